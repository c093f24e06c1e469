package dev.cmcp.verify;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * What an auditor expects of a claim. Start from {@link #of} and add expectations; each one
 * given turns a skipped check into a requested one.
 *
 * @param now the time freshness is judged at (the clock, or a time under audit)
 */
public record VerificationOptions(
    EvidencePolicy evidencePolicy,
    Instant now,
    Optional<String> expectedBundleHash,
    Optional<String> expectedMeasurement,
    Optional<Path> auditLog) {

  public VerificationOptions {
    Objects.requireNonNull(evidencePolicy, "evidencePolicy");
    Objects.requireNonNull(now, "now");
    expectedBundleHash = expectedBundleHash.map(VerificationOptions::bundleHash);
    expectedMeasurement = expectedMeasurement.map(VerificationOptions::measurement);
    Objects.requireNonNull(auditLog, "auditLog");
  }

  public static VerificationOptions of(EvidencePolicy evidencePolicy, Instant now) {
    return new VerificationOptions(evidencePolicy, now, Optional.empty(), Optional.empty(), Optional.empty());
  }

  /** Expect this policy bundle ({@code sha256:<hex>}) for the claim and each of its calls. */
  public VerificationOptions withExpectedBundleHash(String bundleHash) {
    return new VerificationOptions(evidencePolicy, now, Optional.of(bundleHash), expectedMeasurement, auditLog);
  }

  /** Expect this runtime measurement (hex). */
  public VerificationOptions withExpectedMeasurement(String measurement) {
    return new VerificationOptions(evidencePolicy, now, expectedBundleHash, Optional.of(measurement), auditLog);
  }

  /** Replay this audit log file and compare it with the claim. */
  public VerificationOptions withAuditLog(Path file) {
    return new VerificationOptions(evidencePolicy, now, expectedBundleHash, expectedMeasurement, Optional.of(file));
  }

  private static String bundleHash(String value) {
    String normalized = value.trim().toLowerCase(Locale.ROOT);
    if (!Digests.isSha256Notation(normalized)) {
      throw new IllegalArgumentException("expected bundle hash must be sha256:<64 hex digits>, not \"" + value + "\"");
    }
    return normalized;
  }

  private static String measurement(String value) {
    String normalized = value.trim().toLowerCase(Locale.ROOT);
    if (!normalized.matches("(?:[0-9a-f]{2})+")) {
      throw new IllegalArgumentException("expected measurement must be hex digits, not \"" + value + "\"");
    }
    return normalized;
  }
}
