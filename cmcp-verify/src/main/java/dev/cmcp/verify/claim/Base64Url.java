package dev.cmcp.verify.claim;

import java.util.Base64;

/**
 * base64url without padding (RFC 4648 section 5), read strictly: one byte string has exactly
 * one accepted text, so a claim cannot be altered by re-encoding a field (padding, stray bits).
 */
final class Base64Url {

  private Base64Url() {}

  static String encode(byte[] bytes) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  static byte[] decode(String text, String field) throws ClaimException {
    byte[] bytes;
    try {
      bytes = Base64.getUrlDecoder().decode(text);
    } catch (IllegalArgumentException e) {
      throw new ClaimException(field + ": not base64url");
    }
    if (!encode(bytes).equals(text)) {
      throw new ClaimException(field + ": not canonical base64url without padding");
    }
    return bytes;
  }

  static byte[] decode(String text, String field, int expectedLength) throws ClaimException {
    byte[] bytes = decode(text, field);
    if (bytes.length != expectedLength) {
      throw new ClaimException(field + ": expected " + expectedLength + " bytes, found " + bytes.length);
    }
    return bytes;
  }
}
