package dev.cmcp.gateway.config;

/** How often the gateway issues a signed claim. */
public enum ClaimGranularity {
  /** One claim per session, covering all its calls. */
  SESSION("session"),
  /** One claim per tool call. */
  CALL("call");

  private final String configName;

  ClaimGranularity(String configName) {
    this.configName = configName;
  }

  /** The spelling used in cmcp-config.yaml. */
  public String configName() {
    return configName;
  }
}
