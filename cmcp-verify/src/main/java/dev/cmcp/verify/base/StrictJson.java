package dev.cmcp.verify.base;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
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

  /** Reads tokens only, to count values before a tree is built; lenient on purpose. */
  private static final JsonFactory COUNTER = JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder().maxStringLength(Integer.MAX_VALUE).build())
      .build();

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

  /**
   * Parses one JSON value from UTF-8 bytes; anything else is a {@link MalformedJsonException}.
   *
   * <p>A well-formed body is parsed from the bytes in one pass and then checked to be UTF-8 (a scan
   * when it is ASCII). A body that pass refuses, and any that Jackson might not read as UTF-8 (a
   * zero byte or a byte order mark at the start), is decoded to text and parsed again, so that its
   * refusal and message are those of {@link #parse(String)} on the decoded text (columns counted in
   * characters, "body is not valid UTF-8" for bytes that are not).
   */
  public JsonNode parse(byte[] utf8) throws MalformedJsonException {
    JsonNode parsed = parseInOnePass(utf8);
    return parsed != null ? parsed : parseDecoded(utf8);
  }

  /**
   * Parses one JSON value from UTF-8 bytes holding at most {@code maxValues} JSON values (each
   * scalar, array and object), and refuses a larger one with a {@link TooManyValuesException}
   * before a tree of it is built.
   *
   * <p>Every value starts at a byte of its own, so a body of at most {@code maxValues} bytes is
   * within the limit and is parsed in one pass. A longer one is first counted on a lenient token
   * stream that stops at the {@code maxValues + 1}st value (a 4 MiB array of numbers is refused
   * after reading a small part of it, and nothing is built); one it cannot read is counted as far
   * as it can be, and its fault is then told by the parse. So a body over the limit is refused as
   * such even where it is also malformed further on.
   */
  public JsonNode parse(byte[] utf8, int maxValues) throws MalformedJsonException {
    if (utf8.length > maxValues) {
      refuseOverLimit(utf8, maxValues);
    }
    return parse(utf8);
  }

  private static void refuseOverLimit(byte[] utf8, int maxValues) throws TooManyValuesException {
    int values = 0;
    try (JsonParser tokens = COUNTER.createParser(utf8)) {
      for (JsonToken token = tokens.nextToken(); token != null; token = tokens.nextToken()) {
        if ((token.isScalarValue() || token.isStructStart()) && ++values > maxValues) {
          throw new TooManyValuesException(maxValues);
        }
      }
    } catch (IOException unreadable) {
      // counted as far as it could be read; the parse says what is wrong with it
    }
  }

  /** The tree of a body that is I-JSON in UTF-8, parsed from the bytes; null for any other. */
  private JsonNode parseInOnePass(byte[] utf8) {
    if (!readAsUtf8ByJackson(utf8)) {
      return null;
    }
    JsonNode node;
    try (JsonParser tokens = mapper.getFactory().createParser(utf8)) {
      node = mapper.readValue(tokens, JsonNode.class);
    } catch (IOException | RuntimeException refused) {
      return null;
    }
    if (node == null || node.isMissingNode() || !isUtf8(utf8)) {
      return null;
    }
    try {
      requireIJson(node);
    } catch (MalformedJsonException notIJson) {
      return null;
    }
    return node;
  }

  /**
   * Whether Jackson reads these bytes as UTF-8: it takes a byte order mark, and zero bytes among
   * the first four, as a sign of another encoding (neither is in a body {@link #parse(String)}
   * accepts once decoded).
   */
  private static boolean readAsUtf8ByJackson(byte[] utf8) {
    for (int i = 0; i < Math.min(4, utf8.length); i++) {
      int b = utf8[i] & 0xFF;
      if (b == 0 || b == 0xEF || b == 0xFE || b == 0xFF) {
        return false;
      }
    }
    return true;
  }

  /**
   * Exactly the check of {@link #parseDecoded}'s decoder, which is stricter than Jackson's (it
   * refuses overlong forms and encoded surrogates); ASCII, the usual case, is a scan.
   */
  private static boolean isUtf8(byte[] bytes) {
    for (byte b : bytes) {
      if (b < 0) {
        try {
          strictUtf8().decode(ByteBuffer.wrap(bytes));
          return true;
        } catch (CharacterCodingException e) {
          return false;
        }
      }
    }
    return true;
  }

  private static CharsetDecoder strictUtf8() {
    return StandardCharsets.UTF_8
        .newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
  }

  private JsonNode parseDecoded(byte[] utf8) throws MalformedJsonException {
    String text;
    try {
      text = strictUtf8().decode(ByteBuffer.wrap(utf8)).toString();
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
  public static class MalformedJsonException extends Exception {
    private static final long serialVersionUID = 1L;

    public MalformedJsonException(String message) {
      super(message);
    }
  }

  /** The input holds more JSON values than {@link #parse(byte[], int)} was allowed to read. */
  public static final class TooManyValuesException extends MalformedJsonException {
    private static final long serialVersionUID = 1L;

    private final int maxValues;

    public TooManyValuesException(int maxValues) {
      super("the document holds more than " + maxValues + " JSON values");
      this.maxValues = maxValues;
    }

    /** The limit that was passed. */
    public int maxValues() {
      return maxValues;
    }
  }
}
