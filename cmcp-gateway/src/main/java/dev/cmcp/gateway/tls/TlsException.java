package dev.cmcp.gateway.tls;

/** The gateway's TLS key or certificate cannot be made or loaded; the message names the config key to fix. */
public final class TlsException extends Exception {
  private static final long serialVersionUID = 1L;

  public TlsException(String message) {
    super(message);
  }

  public TlsException(String message, Throwable cause) {
    super(message, cause);
  }
}
