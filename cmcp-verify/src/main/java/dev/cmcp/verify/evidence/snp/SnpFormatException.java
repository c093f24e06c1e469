package dev.cmcp.verify.evidence.snp;

/** Evidence bytes, or a certificate extension, not laid out as AMD specifies; never leaves this package. */
final class SnpFormatException extends Exception {
  private static final long serialVersionUID = 1L;

  SnpFormatException(String message) {
    super(message);
  }
}
