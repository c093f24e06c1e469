package dev.cmcp.gateway.audit;

/** The audit log cannot record: calls must be refused until it can (fail closed). */
public final class AuditException extends Exception {
  private static final long serialVersionUID = 1L;

  public AuditException(String message, Throwable cause) {
    super(message, cause);
  }

  public AuditException(String message) {
    super(message);
  }
}
