package dev.cmcp.verify.evidence;

/**
 * A certificates folder, or a file in it, that cannot be read as certificates and CRLs. The
 * message names the folder or file and what was found instead.
 */
public final class TrustStoreException extends Exception {
  private static final long serialVersionUID = 1L;

  public TrustStoreException(String message) {
    super(message);
  }

  public TrustStoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
