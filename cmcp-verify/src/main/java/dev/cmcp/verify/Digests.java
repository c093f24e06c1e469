package dev.cmcp.verify;

import com.fasterxml.jackson.databind.JsonNode;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 helpers and the {@code sha256:<hex>} notation used for bundle, catalog and payload hashes. */
public final class Digests {

  public static final String SHA256_PREFIX = "sha256:";

  private Digests() {}

  public static byte[] sha256(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(data);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }

  public static String sha256Hex(byte[] data) {
    return HexFormat.of().formatHex(sha256(data));
  }

  /** {@code sha256:} + hex SHA-256 of the RFC 8785 canonical form of {@code node}. */
  public static String canonicalSha256(JsonNode node) {
    return SHA256_PREFIX + sha256Hex(CanonicalJson.bytes(node));
  }

  /** True when {@code value} is {@code sha256:} followed by 64 lower-case hex digits. */
  public static boolean isSha256Notation(String value) {
    return value != null && value.matches("sha256:[0-9a-f]{64}");
  }
}
