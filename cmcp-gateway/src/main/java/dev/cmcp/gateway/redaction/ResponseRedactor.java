package dev.cmcp.gateway.redaction;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.cmcp.verify.StrictJson;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Carries out a {@link Redaction} on an upstream's answer before the agent sees it.
 *
 * <p>Where each rule applies, in a JSON-RPC response message:
 *
 * <ul>
 *   <li>Field names: anywhere inside {@code result.structuredContent}, inside {@code error.data},
 *       and inside any {@code text} member whose string is a JSON object or array (tool text
 *       content, resource contents, prompt messages); the text is then written back as compact
 *       JSON. The MCP envelope's own members ({@code type}, {@code uri}, ...) are never field-matched.
 *   <li>Detectors: every string of the message, {@code _meta} and {@code error.message} included,
 *       and every whole number whose digits alone are a match (a card number sent as a number);
 *       in JSON text, the decoded string values, so an escape such as <code>&#92;u0040</code> hides
 *       nothing. Base64 payloads ({@code blob}, and {@code data} of image and audio content) are
 *       binary, not text, and are left alone.
 *   <li>A {@code text} that the strict reader refuses but an ordinary JSON parser accepts (a
 *       duplicate key, nesting too deep) cannot be inspected the way the agent will read it, so
 *       it is replaced whole.
 * </ul>
 *
 * <p>A message with nothing to redact is left byte for byte as it was. Keys of objects are kept
 * even when they are personal data themselves; only values are replaced.
 */
public final class ResponseRedactor {

  public static final String REDACTED = "[REDACTED]";
  /** Our {@code _meta} key: {@code dev.cmcp/} is a prefix of our own, not one MCP reserves. */
  public static final String META_KEY = "dev.cmcp/redactions";
  public static final int MAX_PATHS = 50;

  /** Keys shown as they are in paths; any other key (it may be data itself) is shown as {@code [?]}. */
  private static final Pattern PLAIN_KEY = Pattern.compile("[A-Za-z_][A-Za-z0-9_-]{0,63}");

  private final StrictJson strict;
  private final ObjectMapper lenient =
      new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  public ResponseRedactor(StrictJson strict) {
    this.strict = strict;
  }

  /**
   * Redacts {@code response} in place and, when it has a result, adds {@code
   * result._meta["dev.cmcp/redactions"] = {"count": N}}.
   */
  // Identity, not equality: a walker returns the very node it was given when it changed nothing.
  @SuppressWarnings("ReferenceEquality")
  public RedactionReport redact(ObjectNode response, Redaction redaction) {
    Walk walk = new Walk(redaction);
    if (response.get("result") instanceof ObjectNode result) {
      walk.envelope(result, "");
      JsonNode meta = result.get("_meta");
      ObjectNode metaObject = meta instanceof ObjectNode object ? object : result.putObject("_meta");
      metaObject.putObject(META_KEY).put("count", walk.count);
    }
    if (response.get("error") instanceof ObjectNode error) {
      for (Map.Entry<String, JsonNode> member : new ArrayList<>(error.properties())) {
        String path = "error." + member.getKey();
        JsonNode redacted = member.getKey().equals("data")
            ? walk.data(member.getValue(), path)
            : walk.envelopeValue(error, member.getKey(), member.getValue(), path);
        if (redacted != member.getValue()) {
          error.set(member.getKey(), redacted);
        }
      }
    }
    return walk.report();
  }

  /** One redaction of one message: its counters and the places it changed. */
  private final class Walk {
    private final Redaction redaction;
    private final Set<String> paths = new LinkedHashSet<>();
    private boolean truncated;
    private int count;
    /** While inside JSON text, every change is reported at the text's own path. */
    private String reportAs;

    Walk(Redaction redaction) {
      this.redaction = redaction;
    }

    RedactionReport report() {
      return new RedactionReport(count, List.copyOf(paths), truncated);
    }

    /** MCP structure: patterns on strings, JSON text looked into, structuredContent as data. */
    // Identity, not equality: a walker returns the very node it was given when it changed nothing.
    @SuppressWarnings("ReferenceEquality")
    void envelope(JsonNode node, String path) {
      if (node instanceof ObjectNode object) {
        for (Map.Entry<String, JsonNode> member : new ArrayList<>(object.properties())) {
          String memberPath = join(path, member.getKey());
          JsonNode value = member.getValue();
          JsonNode redacted = member.getKey().equals("structuredContent")
              ? data(value, memberPath)
              : envelopeValue(object, member.getKey(), value, memberPath);
          if (redacted != value) {
            object.set(member.getKey(), redacted);
          }
        }
      } else if (node instanceof ArrayNode array) {
        for (int i = 0; i < array.size(); i++) {
          JsonNode redacted = envelopeValue(array, null, array.get(i), path + "[" + i + "]");
          if (redacted != array.get(i)) {
            array.set(i, redacted);
          }
        }
      }
    }

    /** One value of the envelope; returns the node to keep (the same one when unchanged). */
    JsonNode envelopeValue(JsonNode parent, String name, JsonNode value, String path) {
      if (value.isContainerNode()) {
        envelope(value, path);
        return value;
      }
      if (value.isTextual()) {
        if (isBinary(parent, name)) {
          return value;
        }
        return "text".equals(name) ? text(value.textValue(), value, path) : patterns(value, path);
      }
      return value.isIntegralNumber() ? number(value, path) : value;
    }

    /** Structured data: field names and patterns everywhere. */
    // Identity, not equality: a walker returns the very node it was given when it changed nothing.
    @SuppressWarnings("ReferenceEquality")
    JsonNode data(JsonNode node, String path) {
      if (node instanceof ObjectNode object) {
        for (Map.Entry<String, JsonNode> member : new ArrayList<>(object.properties())) {
          String memberPath = join(path, member.getKey());
          JsonNode value = member.getValue();
          if (redaction.redactsField(member.getKey()) && !value.isNull()) {
            object.put(member.getKey(), REDACTED);
            record(memberPath, 1);
            continue;
          }
          JsonNode redacted = data(value, memberPath);
          if (redacted != value) {
            object.set(member.getKey(), redacted);
          }
        }
        return object;
      }
      if (node instanceof ArrayNode array) {
        for (int i = 0; i < array.size(); i++) {
          JsonNode redacted = data(array.get(i), path + "[" + i + "]");
          if (redacted != array.get(i)) {
            array.set(i, redacted);
          }
        }
        return array;
      }
      if (node.isTextual()) {
        return patterns(node, path);
      }
      return node.isIntegralNumber() ? number(node, path) : node;
    }

    private JsonNode text(String text, JsonNode original, String path) {
      String trimmed = text.strip();
      if (!trimmed.startsWith("{") && !trimmed.startsWith("[")) {
        return patterns(original, path);
      }
      JsonNode parsed;
      try {
        parsed = strict.parse(text);
      } catch (StrictJson.MalformedJsonException e) {
        if (!parsesLeniently(text)) {
          return patterns(original, path);
        }
        record(path, 1);
        return TextNode.valueOf(REDACTED);
      }
      int before = count;
      String outer = reportAs;
      reportAs = outer != null ? outer : path;
      try {
        JsonNode redacted = data(parsed, path);
        return count == before ? original : TextNode.valueOf(strict.mapper().writeValueAsString(redacted));
      } catch (JsonProcessingException e) {
        throw new IllegalStateException("a parsed JSON tree could not be written back", e);
      } finally {
        reportAs = outer;
      }
    }

    private JsonNode patterns(JsonNode value, String path) {
      String text = value.textValue();
      int found = 0;
      for (Detector detector : Detector.values()) {
        if (redaction.detectors().contains(detector)) {
          Detector.Replaced replaced = detector.replaceIn(text, REDACTED);
          text = replaced.text();
          found += replaced.count();
        }
      }
      if (found == 0) {
        return value;
      }
      record(path, found);
      return TextNode.valueOf(text);
    }

    /** A whole number whose digits are, say, a card number is as revealing as the string would be. */
    private JsonNode number(JsonNode value, String path) {
      String digits = value.bigIntegerValue().toString();
      for (Detector detector : Detector.values()) {
        if (redaction.detectors().contains(detector) && detector.replaceIn(digits, REDACTED).text().equals(REDACTED)) {
          record(path, 1);
          return TextNode.valueOf(REDACTED);
        }
      }
      return value;
    }

    private void record(String path, int found) {
      count += found;
      String where = reportAs != null ? reportAs : path;
      if (paths.contains(where)) {
        return;
      }
      if (paths.size() < MAX_PATHS) {
        paths.add(where);
      } else {
        truncated = true;
      }
    }
  }

  private boolean parsesLeniently(String text) {
    try {
      return lenient.readTree(text) != null;
    } catch (JsonProcessingException e) {
      return false;
    }
  }

  /** Base64 payloads: {@code blob} of resource contents, {@code data} of image and audio content. */
  private static boolean isBinary(JsonNode parent, String name) {
    if ("blob".equals(name)) {
      return true;
    }
    if (!"data".equals(name) || parent == null) {
      return false;
    }
    String type = parent.path("type").asText("");
    return type.equals("image") || type.equals("audio");
  }

  private static String join(String path, String key) {
    String segment = PLAIN_KEY.matcher(key).matches() ? key : "[?]";
    if (segment.startsWith("[")) {
      return path + segment;
    }
    return path.isEmpty() ? segment : path + "." + segment;
  }
}
