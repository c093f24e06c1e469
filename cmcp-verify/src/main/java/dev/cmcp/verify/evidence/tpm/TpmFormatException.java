package dev.cmcp.verify.evidence.tpm;

/** Bytes that are not the TPM structure, or the evidence JSON, they claim to be. */
public final class TpmFormatException extends Exception {
  private static final long serialVersionUID = 1L;

  TpmFormatException(String message) {
    super(message);
  }

  TpmFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}
