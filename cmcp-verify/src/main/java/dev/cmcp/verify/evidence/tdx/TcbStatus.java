package dev.cmcp.verify.evidence.tdx;

import java.util.Arrays;
import java.util.Optional;

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

  static Optional<TcbStatus> fromIntelName(String name) {
    return Arrays.stream(values()).filter(s -> s.intelName.equals(name)).findFirst();
  }
}
