package dev.cmcp.verify.base;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
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

  /** Hex SHA-256 of a file's bytes, read as a stream (a file of any size costs a small buffer). */
  public static String sha256Hex(Path file) throws IOException {
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
    try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
      in.transferTo(OutputStream.nullOutputStream());
    }
    return HexFormat.of().formatHex(digest.digest());
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
