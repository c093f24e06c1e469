package dev.cmcp.verify.claim;

/**
 * A claim, or a part of one, that cannot be read or does not verify. The message names the
 * field ({@code gateway.calls[2].inclusion_proof[0]: ...}) and what was expected.
 */
public final class ClaimException extends Exception {
  private static final long serialVersionUID = 1L;

  public ClaimException(String message) {
    super(message);
  }
}
