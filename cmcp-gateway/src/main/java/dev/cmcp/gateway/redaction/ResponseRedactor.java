package dev.cmcp.gateway.redaction;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.DecimalNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.cmcp.verify.base.StrictJson;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
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
  /** Digits of the longest whole number tried against the detectors: 19 for a card, 15 for a phone. */
  private static final int MAX_WHOLE_DIGITS = 20;

  /** A number in exponent form within text; bounded so that a long run of digits costs one scan. */
  private static final Pattern EXPONENT_NUMBER =
      Pattern.compile("(?<![\\d.+-])[+-]?\\d{1,25}(?:\\.\\d{1,25})?[eE][+-]?\\d{1,3}(?![\\d.])");
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
      return value.isNumber() ? number(value, path) : value;
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
      return node.isNumber() ? number(node, path) : node;
    }

    private JsonNode text(String text, JsonNode original, String path) {
      String trimmed = text.strip();
      // A JSON string is looked into too: its escapes would hide a match from the patterns.
      if (!trimmed.startsWith("{") && !trimmed.startsWith("[") && !trimmed.startsWith("\"")) {
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
      Detector.Replaced numbers = numbersInText(text);
      text = numbers.text();
      found += numbers.count();
      if (found == 0) {
        return value;
      }
      record(path, found);
      return TextNode.valueOf(text);
    }

    /**
     * A number whose value is, say, a card number is as revealing as the string would be, in
     * whatever form it is written: {@code 4111111111111111}, {@code 4111111111111111.0}, {@code
     * 4.111111111111111e15}. Both the exact value and the double an agent's JSON reader would make
     * of it are tried, as either may be whole.
     */
    private JsonNode number(JsonNode value, String path) {
      if (!isMatch(value)) {
        return value;
      }
      record(path, 1);
      return TextNode.valueOf(REDACTED);
    }

    private boolean isMatch(JsonNode number) {
      for (BigInteger whole : wholeValues(number)) {
        String digits = whole.abs().toString();
        for (Detector detector : Detector.values()) {
          if (redaction.detectors().contains(detector) && detector.replaceIn(digits, REDACTED).text().equals(REDACTED)) {
            return true;
          }
        }
      }
      return false;
    }

    /**
     * Numbers written in exponent form inside text ({@code "4.111111111111111e15"}), which no
     * detector's digits-only pattern sees, replaced when their value is a match.
     */
    private Detector.Replaced numbersInText(String text) {
      if (text.indexOf('e') < 0 && text.indexOf('E') < 0) {
        return new Detector.Replaced(text, 0);
      }
      Matcher matcher = EXPONENT_NUMBER.matcher(text);
      StringBuilder out = null;
      int copiedUpTo = 0;
      int found = 0;
      while (matcher.find()) {
        if (!isMatch(DecimalNode.valueOf(new BigDecimal(matcher.group())))) {
          continue;
        }
        if (out == null) {
          out = new StringBuilder(text.length());
        }
        out.append(text, copiedUpTo, matcher.start()).append(REDACTED);
        copiedUpTo = matcher.end();
        found++;
      }
      return out == null ? new Detector.Replaced(text, 0) : new Detector.Replaced(out.append(text, copiedUpTo, text.length()).toString(), found);
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

  /**
   * The whole numbers a JSON number stands for: its exact value when that is whole, and the
   * nearest double when that is whole. Only values of at most {@link #MAX_WHOLE_DIGITS} digits,
   * more than any detector matches, so a number like {@code 1e300} costs nothing.
   */
  static Set<BigInteger> wholeValues(JsonNode number) {
    Set<BigInteger> values = new LinkedHashSet<>(2);
    if (number.isIntegralNumber()) {
      BigInteger exact = number.bigIntegerValue();
      if (exact.abs().toString().length() <= MAX_WHOLE_DIGITS) {
        values.add(exact);
      }
    } else {
      BigDecimal exact = number.decimalValue();
      if (exact.signum() != 0 && exact.precision() - exact.scale() <= MAX_WHOLE_DIGITS
          && exact.stripTrailingZeros().scale() <= 0) {
        values.add(exact.toBigIntegerExact());
      }
    }
    double nearest = number.doubleValue();
    if (Double.isFinite(nearest) && nearest == Math.rint(nearest) && Math.abs(nearest) < 1e20) {
      values.add(new BigDecimal(nearest).toBigIntegerExact());
    }
    return values;
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
