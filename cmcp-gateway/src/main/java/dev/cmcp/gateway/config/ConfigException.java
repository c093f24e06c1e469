package dev.cmcp.gateway.config;

/**
 * The gateway's configuration or environment is unusable. The message is the whole text shown to
 * the user: where the problem is and what to change.
 */
public final class ConfigException extends Exception {
  private static final long serialVersionUID = 1L;

  public ConfigException(String message) {
    super(message);
  }
}
