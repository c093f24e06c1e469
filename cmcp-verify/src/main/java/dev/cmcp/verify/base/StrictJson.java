package dev.cmcp.verify.base;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The one JSON reader for untrusted input: agents' requests, upstream answers, catalogs,
 * manifests and claims.
 *
 * <p>It rejects what would let two parsers disagree about one document: duplicate keys, bytes
 * that are not UTF-8, trailing content after the value. It bounds nesting depth and the size of
 * strings and numbers. Parsing to a tree and forwarding the tree means the policy sees exactly
 * what the upstream receives.
 *
 * <p>It accepts only I-JSON (RFC 7493): no number beyond the range of a double, no unpaired
 * UTF-16 surrogate (an escaped half of a surrogate pair without the other half) in a string or
 * name. RFC 8785, the canonical form that every
 * cMCP hash and signature covers, is defined only for I-JSON: beyond it, canonicalization throws
 * (numbers) or turns the surrogate into {@code ?}, so two different documents would share one
 * audit hash while the upstream receives the surrogate the hash does not show.
 */
public final class StrictJson {

  /** Deep enough for real tool arguments, shallow enough that recursion over a tree is safe. */
  public static final int DEFAULT_MAX_DEPTH = 64;

  private final ObjectMapper mapper;

  public StrictJson() {
    this(DEFAULT_MAX_DEPTH);
  }

  public StrictJson(int maxDepth) {
    JsonFactory factory =
        JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .streamReadConstraints(
                StreamReadConstraints.builder()
                    .maxNestingDepth(maxDepth)
                    .maxNumberLength(1000)
                    .maxStringLength(64 * 1024 * 1024)
                    .build())
            .build();
    this.mapper =
        new ObjectMapper(factory)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS);
    this.mapper.configure(JsonParser.Feature.INCLUDE_SOURCE_IN_LOCATION, false);
  }

  /** The mapper behind this reader, for writing trees back out. Never use it to read. */
  public ObjectMapper mapper() {
    return mapper;
  }

  /** Parses one JSON value from UTF-8 bytes; anything else is a {@link MalformedJsonException}. */
  public JsonNode parse(byte[] utf8) throws MalformedJsonException {
    String text;
    try {
      text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(utf8))
              .toString();
    } catch (CharacterCodingException e) {
      throw new MalformedJsonException("body is not valid UTF-8");
    }
    return parse(text);
  }

  /** Parses one JSON value from text. */
  public JsonNode parse(String text) throws MalformedJsonException {
    if (text.startsWith("\uFEFF")) {
      throw new MalformedJsonException("byte order mark is not allowed");
    }
    JsonNode node;
    try {
      node = mapper.readTree(text);
    } catch (JsonProcessingException e) {
      String where =
          e.getLocation() == null
              ? ""
              : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")";
      throw new MalformedJsonException(e.getOriginalMessage() + where);
    } catch (NumberFormatException e) {
      // Jackson throws this, unwrapped, for a number whose exponent is beyond an int
      // (1E99999999999); found by fuzzing, it escaped every caller as an unchecked exception.
      throw new MalformedJsonException("a number's exponent is out of range");
    }
    if (node == null || node.isMissingNode()) {
      throw new MalformedJsonException("empty document");
    }
    requireIJson(node);
    return node;
  }

  /** See the class comment. Recursion is bounded by the nesting depth the parser enforced. */
  private static void requireIJson(JsonNode node) throws MalformedJsonException {
    if (node.isNumber() && Double.isInfinite(node.doubleValue())) {
      throw new MalformedJsonException("the number " + abbreviate(node.asText())
          + " is beyond the range of a double, so it has no canonical form (RFC 8785)");
    }
    if (node.isTextual()) {
      requireNoLoneSurrogate(node.textValue(), "a string");
    }
    if (node.isObject()) {
      for (Map.Entry<String, JsonNode> member : node.properties()) {
        requireNoLoneSurrogate(member.getKey(), "a member name");
        requireIJson(member.getValue());
      }
    }
    if (node.isArray()) {
      for (JsonNode element : node) {
        requireIJson(element);
      }
    }
  }

  private static void requireNoLoneSurrogate(String text, String what) throws MalformedJsonException {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      boolean paired = Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1));
      if (paired) {
        i++;
      } else if (Character.isSurrogate(c)) {
        throw new MalformedJsonException(what + " holds an unpaired UTF-16 surrogate (\\u"
            + Integer.toHexString(c) + "), which is not Unicode text and has no canonical form (RFC 8785)");
      }
    }
  }

  private static String abbreviate(String text) {
    return text.length() <= 40 ? text : text.substring(0, 37) + "...";
  }

  /** Thrown for any input that is not exactly one well-formed, bounded JSON value. */
  public static final class MalformedJsonException extends Exception {
    private static final long serialVersionUID = 1L;

    public MalformedJsonException(String message) {
      super(message);
    }
  }
}
