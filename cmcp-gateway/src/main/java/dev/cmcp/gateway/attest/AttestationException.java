package dev.cmcp.gateway.attest;

/** The attestation provider could not be started; the gateway refuses to serve. */
public final class AttestationException extends Exception {
  private static final long serialVersionUID = 1L;

  public AttestationException(String message) {
    super(message);
  }
}
