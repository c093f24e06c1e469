package dev.cmcp.gateway.policy;

/**
 * A policy bundle that cannot be loaded or turned into an engine. The message names the file
 * (and line, where there is one) and says what to fix.
 */
public final class PolicyException extends Exception {
  private static final long serialVersionUID = 1L;

  public PolicyException(String message) {
    super(message);
  }

  public PolicyException(String message, Throwable cause) {
    super(message, cause);
  }
}
