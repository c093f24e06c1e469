package dev.cmcp.verify.evidence.tdx;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/** A TCB level's status as Intel's TCB info and QE identity name it ({@code tcbStatus}). */
public enum TcbStatus {
  UP_TO_DATE("UpToDate"),
  SW_HARDENING_NEEDED("SWHardeningNeeded"),
  CONFIGURATION_NEEDED("ConfigurationNeeded"),
  CONFIGURATION_AND_SW_HARDENING_NEEDED("ConfigurationAndSWHardeningNeeded"),
  OUT_OF_DATE("OutOfDate"),
  OUT_OF_DATE_CONFIGURATION_NEEDED("OutOfDateConfigurationNeeded"),
  REVOKED("Revoked");

  private final String intelName;

  TcbStatus(String intelName) {
    this.intelName = intelName;
  }

  /** {@code UpToDate}, as Intel's collateral spells it. */
  public String intelName() {
    return intelName;
  }

  /**
   * The statuses an auditor accepts besides {@code UpToDate}, from a comma-separated list of
   * Intel's names ({@code SWHardeningNeeded,ConfigurationNeeded}); {@code UpToDate} is always in
   * the set, and {@code Revoked} never is.
   */
  public static Set<TcbStatus> acceptedFrom(String list) {
    Set<TcbStatus> accepted = EnumSet.of(UP_TO_DATE);
    for (String name : list.split(",", -1)) {
      String trimmed = name.trim();
      TcbStatus status = fromIntelName(trimmed).orElseThrow(() -> new IllegalArgumentException("TCB status \"" + trimmed
          + "\" is not one of Intel's: " + Arrays.stream(values()).map(TcbStatus::intelName).collect(Collectors.joining(", "))));
      if (status == REVOKED) {
        throw new IllegalArgumentException("a Revoked TCB is never accepted");
      }
      accepted.add(status);
    }
    return accepted;
  }

  static Optional<TcbStatus> fromIntelName(String name) {
    return Arrays.stream(values()).filter(s -> s.intelName.equals(name)).findFirst();
  }
}
