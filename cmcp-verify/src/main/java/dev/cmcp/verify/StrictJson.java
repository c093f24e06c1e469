package dev.cmcp.verify;

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

/**
 * The one JSON reader for untrusted input: agents' requests, upstream answers, catalogs,
 * manifests and claims.
 *
 * <p>It rejects what would let two parsers disagree about one document: duplicate keys, bytes
 * that are not UTF-8, trailing content after the value. It bounds nesting depth and the size of
 * strings and numbers. Parsing to a tree and forwarding the tree means the policy sees exactly
 * what the upstream receives.
 */
public final class StrictJson {

  /** Deep enough for real tool arguments, shallow enough that recursion over a tree is safe. */
  public static final int DEFAULT_MAX_DEPTH = 64;

  private final ObjectMapper mapper;
  private final int maxDepth;

  public StrictJson() {
    this(DEFAULT_MAX_DEPTH);
  }

  public StrictJson(int maxDepth) {
    this.maxDepth = maxDepth;
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

  public int maxDepth() {
    return maxDepth;
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
    try {
      JsonNode node = mapper.readTree(text);
      if (node == null || node.isMissingNode()) {
        throw new MalformedJsonException("empty document");
      }
      return node;
    } catch (JsonProcessingException e) {
      String where =
          e.getLocation() == null
              ? ""
              : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")";
      throw new MalformedJsonException(e.getOriginalMessage() + where);
    }
  }

  /** Thrown for any input that is not exactly one well-formed, bounded JSON value. */
  public static final class MalformedJsonException extends Exception {
    private static final long serialVersionUID = 1L;

    public MalformedJsonException(String message) {
      super(message);
    }
  }
}
