package dev.cmcp.gateway.config;

/** What the gateway does with a policy denial. */
public enum EnforcementMode {
  /** A denied call is refused and never reaches the upstream server. */
  ENFORCING("enforcing"),
  /** A denied call is logged and audited, then forwarded anyway: for trying out a new bundle. */
  ADVISORY("advisory"),
  /** A denied call is audited and forwarded without operational log lines. */
  SILENT("silent");

  private final String configName;

  EnforcementMode(String configName) {
    this.configName = configName;
  }

  /** The spelling used in cmcp-config.yaml and in claims. */
  public String configName() {
    return configName;
  }
}
