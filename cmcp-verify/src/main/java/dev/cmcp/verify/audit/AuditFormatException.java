package dev.cmcp.verify.audit;

/**
 * An audit entry that is not one this format defines: an unknown type, a missing or unknown
 * member, or a member of the wrong JSON type. The message names the member, for a report.
 */
public final class AuditFormatException extends Exception {

  private static final long serialVersionUID = 1L;

  public AuditFormatException(String message) {
    super(message);
  }
}
