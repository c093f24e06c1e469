package dev.cmcp.verify.base;

import java.util.Base64;
import java.util.function.Function;

/**
 * base64url without padding (RFC 4648 section 5), read strictly: one byte string has exactly
 * one accepted text, so a signed document cannot be altered by re-encoding a field (padding,
 * stray bits). The one implementation for claims, TPM evidence and checkpoints alike.
 *
 * <p>A reader names its own error: {@code failure} turns the reason ({@code not base64url},
 * {@code expected 32 bytes, found 31}) into the caller's exception type, with the field's path.
 */
public final class Base64Url {

  private Base64Url() {}

  public static String encode(byte[] bytes) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** The bytes {@code text} spells, when it is their one canonical spelling; else {@code failure}'s exception. */
  public static <E extends Exception> byte[] decode(String text, Function<String, E> failure) throws E {
    byte[] bytes;
    try {
      bytes = Base64.getUrlDecoder().decode(text);
    } catch (IllegalArgumentException e) {
      throw failure.apply("not base64url");
    }
    if (!encode(bytes).equals(text)) {
      throw failure.apply("not canonical base64url without padding");
    }
    return bytes;
  }

  /** As {@link #decode(String, Function)}, and exactly {@code expectedLength} bytes long. */
  public static <E extends Exception> byte[] decode(String text, int expectedLength, Function<String, E> failure)
      throws E {
    byte[] bytes = decode(text, failure);
    if (bytes.length != expectedLength) {
      throw failure.apply("expected " + expectedLength + " bytes, found " + bytes.length);
    }
    return bytes;
  }
}
