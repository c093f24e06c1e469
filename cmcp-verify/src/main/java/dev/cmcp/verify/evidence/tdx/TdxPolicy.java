package dev.cmcp.verify.evidence.tdx;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * What a TDX quote must show beyond being genuine.
 *
 * @param allowDebug accept a debug TD; a debug TD's memory is readable by the host, so never in production
 * @param expectedMrtd hex MRTD (48 bytes) the TD must have; empty to report it without checking
 * @param acceptedTcbStatuses TCB statuses of the platform and of the quoting enclave that pass
 */
public record TdxPolicy(boolean allowDebug, Optional<String> expectedMrtd, Set<TcbStatus> acceptedTcbStatuses) {

  private static final int MRTD_BYTES = 48;

  public TdxPolicy {
    expectedMrtd = expectedMrtd.map(hex -> hex.toLowerCase(Locale.ROOT));
    expectedMrtd.ifPresent(TdxPolicy::requireMrtdHex);
    if (acceptedTcbStatuses.isEmpty()) {
      throw new IllegalArgumentException("acceptedTcbStatuses: name at least one TCB status, e.g. UpToDate");
    }
    acceptedTcbStatuses = Set.copyOf(acceptedTcbStatuses);
  }

  /** Debug TDs rejected, no expected MRTD, only an up-to-date TCB accepted. */
  public static TdxPolicy defaults() {
    return new TdxPolicy(false, Optional.empty(), EnumSet.of(TcbStatus.UP_TO_DATE));
  }

  public TdxPolicy withExpectedMrtd(String hex) {
    return new TdxPolicy(allowDebug, Optional.of(hex), acceptedTcbStatuses);
  }

  public TdxPolicy withDebugAllowed(boolean allowed) {
    return new TdxPolicy(allowed, expectedMrtd, acceptedTcbStatuses);
  }

  public TdxPolicy withAcceptedTcbStatuses(Set<TcbStatus> statuses) {
    return new TdxPolicy(allowDebug, expectedMrtd, statuses);
  }

  private static void requireMrtdHex(String hex) {
    if (hex.length() != 2 * MRTD_BYTES || !hex.matches("[0-9a-fA-F]*")) {
      throw new IllegalArgumentException("expected MRTD must be " + 2 * MRTD_BYTES + " hex digits, not \"" + hex + "\"");
    }
  }
}
