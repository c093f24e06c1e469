package dev.cmcp.gateway.config;

/** What happens to calls while attestation evidence is older than validity_seconds. */
public enum StalenessPolicy {
  /** Calls are refused until fresh evidence is obtained. */
  FAIL_CLOSED("fail_closed"),
  /** Calls go on; the staleness is logged. */
  WARN_ONLY("warn_only");

  private final String configName;

  StalenessPolicy(String configName) {
    this.configName = configName;
  }

  /** The spelling used in cmcp-config.yaml. */
  public String configName() {
    return configName;
  }
}
