package dev.cmcp.verify.claim;

import java.util.function.Function;

/**
 * A claim, or a part of one, that cannot be read or does not verify. The message names the
 * field ({@code gateway.calls[2].inclusion_proof[0]: ...}) and what was expected.
 */
public final class ClaimException extends Exception {
  private static final long serialVersionUID = 1L;

  public ClaimException(String message) {
    super(message);
  }

  /** The error for a reason found at {@code path}: {@code x: not base64url}. */
  static Function<String, ClaimException> at(String path) {
    return reason -> new ClaimException(path + ": " + reason);
  }
}
