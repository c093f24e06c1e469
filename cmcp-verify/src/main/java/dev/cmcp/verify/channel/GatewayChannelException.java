package dev.cmcp.verify.channel;

/**
 * The gateway could not be asked at all: no connection, no TLS, no attestation document. The
 * message says what failed and where; a document that was fetched but does not verify is a
 * report with failed checks, not this.
 */
public final class GatewayChannelException extends Exception {
  private static final long serialVersionUID = 1L;

  public GatewayChannelException(String message) {
    super(message);
  }

  public GatewayChannelException(String message, Throwable cause) {
    super(message, cause);
  }
}
