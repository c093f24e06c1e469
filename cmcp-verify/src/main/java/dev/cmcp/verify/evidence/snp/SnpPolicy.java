package dev.cmcp.verify.evidence.snp;

import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * What a verifier demands of an SEV-SNP guest beyond a genuine report. Start from
 * {@link #defaults()} (debug guests refused, no minimum TCB, no expected measurement, product
 * line read from the VCEK) and relax or add explicitly.
 *
 * @param allowDebug accept a guest whose policy lets the host read and alter its memory
 * @param minimumTcb the lowest REPORTED_TCB accepted, level by level
 * @param expectedMeasurement the launch digest expected, 96 lower-case hex digits
 * @param product the product line, when the VCEK does not say or the caller knows better
 */
public record SnpPolicy(
    boolean allowDebug,
    Optional<TcbVersion> minimumTcb,
    Optional<String> expectedMeasurement,
    Optional<SnpProduct> product) {

  public SnpPolicy {
    Objects.requireNonNull(minimumTcb, "minimumTcb");
    expectedMeasurement = expectedMeasurement.map(SnpPolicy::measurement);
    Objects.requireNonNull(product, "product");
  }

  /** Debug guests refused; nothing else demanded. */
  public static SnpPolicy defaults() {
    return new SnpPolicy(false, Optional.empty(), Optional.empty(), Optional.empty());
  }

  /** Accept guests with the DEBUG policy bit (development only: the host can read their memory). */
  public SnpPolicy allowingDebug() {
    return new SnpPolicy(true, minimumTcb, expectedMeasurement, product);
  }

  public SnpPolicy withMinimumTcb(TcbVersion minimum) {
    return new SnpPolicy(allowDebug, Optional.of(minimum), expectedMeasurement, product);
  }

  /** Expect this MEASUREMENT (48 bytes as 96 hex digits). */
  public SnpPolicy withExpectedMeasurement(String hex) {
    return new SnpPolicy(allowDebug, minimumTcb, Optional.of(hex), product);
  }

  public SnpPolicy withProduct(SnpProduct line) {
    return new SnpPolicy(allowDebug, minimumTcb, expectedMeasurement, Optional.of(line));
  }

  private static String measurement(String value) {
    String normalized = value.trim().toLowerCase(Locale.ROOT);
    if (!normalized.matches("[0-9a-f]{96}")) {
      throw new IllegalArgumentException("expected SEV-SNP measurement must be 96 hex digits (48 bytes), not \""
          + value + "\"");
    }
    return normalized;
  }
}
