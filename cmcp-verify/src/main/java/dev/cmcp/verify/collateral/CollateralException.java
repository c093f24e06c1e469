package dev.cmcp.verify.collateral;

/**
 * Collateral was asked for and cannot be had: a service cannot be reached or answers with
 * something that is not what was asked for, a cached copy is stale and cannot be renewed, or
 * the evidence does not say what to ask for. The message names the URL and what to do; the
 * evidence is then not verified (fail closed), never verified with less.
 */
public final class CollateralException extends Exception {
  private static final long serialVersionUID = 1L;

  public CollateralException(String message) {
    super(message);
  }

  public CollateralException(String message, Throwable cause) {
    super(message, cause);
  }
}
