package dev.cmcp.verify.base;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.erdtman.jcs.JsonCanonicalizer;

/**
 * RFC 8785 (JCS) canonical JSON: the byte form every hash and signature in cMCP is computed over.
 *
 * <p>Serialisation is delegated to the JCS reference implementation; this class only adapts it
 * to Jackson trees so callers never hash a non-canonical rendering by accident.
 */
public final class CanonicalJson {

  private static final ObjectMapper PLAIN = new ObjectMapper();

  private CanonicalJson() {}

  /** The canonical UTF-8 bytes of a JSON tree. */
  public static byte[] bytes(JsonNode node) {
    try {
      return new JsonCanonicalizer(PLAIN.writeValueAsString(node)).getEncodedUTF8();
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("cannot serialise JSON tree: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      // JCS rejects what RFC 8785 cannot represent (NaN, infinities, lone surrogates).
      throw new IllegalArgumentException("JSON cannot be canonicalised (RFC 8785): " + e.getMessage(), e);
    }
  }

  /** The canonical form of a JSON text. */
  public static String canonicalize(String json) {
    try {
      return new JsonCanonicalizer(json).getEncodedString();
    } catch (IOException e) {
      throw new IllegalArgumentException("JSON cannot be canonicalised (RFC 8785): " + e.getMessage(), e);
    }
  }

  /** The canonical form of a JSON tree, as a string. */
  public static String string(JsonNode node) {
    return new String(bytes(node), StandardCharsets.UTF_8);
  }
}
