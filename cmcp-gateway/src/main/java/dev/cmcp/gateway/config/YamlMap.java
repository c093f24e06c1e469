package dev.cmcp.gateway.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * One map of a YAML document, read key by key. Each reader checks the value's type and range, and
 * its errors name the file, the line, the key's path and what to write instead.
 */
final class YamlMap {

  private final YamlDocument document;
  private final String path;
  private final JsonNode node;

  private YamlMap(YamlDocument document, String path, JsonNode node) {
    this.document = document;
    this.path = path;
    this.node = node;
  }

  /** The document's top level, which must be a map. */
  static YamlMap root(YamlDocument document) throws ConfigException {
    if (!document.root().isObject()) {
      throw document.error("", "the file must be a map of settings (key: value), not " + describe(document.root()));
    }
    return new YamlMap(document, "", document.root());
  }

  /** The map under {@code key}; an empty one when the key is absent. */
  YamlMap map(String key) throws ConfigException {
    Optional<JsonNode> value = value(key);
    if (value.isPresent() && !value.get().isObject()) {
      throw typeError(key, "a map of settings", value.get());
    }
    return new YamlMap(document, pathOf(key), value.orElse(JsonNodeFactory.instance.objectNode()));
  }

  /** Refuses any key not in {@code known}, suggesting the closest known one. */
  void rejectUnknownKeys(Set<String> known) throws ConfigException {
    for (String key : keys()) {
      if (!known.contains(key)) {
        throw error(key, "unknown key; " + suggestion(key, known));
      }
    }
  }

  List<String> keys() {
    List<String> keys = new ArrayList<>();
    node.fieldNames().forEachRemaining(keys::add);
    return keys;
  }

  boolean has(String key) {
    return node.has(key);
  }

  /** Whether {@code key} holds true or false, as YAML 1.1 reads unquoted on/off/yes/no too. */
  boolean isBoolean(String key) {
    return node.has(key) && node.get(key).isBoolean();
  }

  Optional<String> string(String key) throws ConfigException {
    Optional<JsonNode> value = value(key);
    if (value.isEmpty()) {
      return Optional.empty();
    }
    if (!value.get().isTextual()) {
      throw typeError(key, "a string", value.get());
    }
    if (value.get().asText().isEmpty()) {
      throw error(key, "must not be empty; write a value or remove the key");
    }
    return Optional.of(value.get().asText());
  }

  /** {@code true} or {@code false}, unquoted. */
  Optional<Boolean> bool(String key) throws ConfigException {
    Optional<JsonNode> value = value(key);
    if (value.isPresent() && !value.get().isBoolean()) {
      throw typeError(key, "true or false", value.get());
    }
    return value.map(JsonNode::booleanValue);
  }

  /** A whole number greater than zero. */
  Optional<Long> positive(String key) throws ConfigException {
    Optional<Long> number = wholeNumber(key);
    if (number.isPresent() && number.get() <= 0) {
      throw error(key, "must be greater than 0, not " + number.get());
    }
    return number;
  }

  /** A whole number, zero or more. */
  Optional<Long> notNegative(String key) throws ConfigException {
    Optional<Long> number = wholeNumber(key);
    if (number.isPresent() && number.get() < 0) {
      throw error(key, "must be 0 or more, not " + number.get());
    }
    return number;
  }

  /** One of {@code choices}, written by the spelling {@code name} gives it. */
  <E> Optional<E> choice(String key, E[] choices, Function<E, String> name) throws ConfigException {
    Optional<String> written = string(key);
    if (written.isEmpty()) {
      return Optional.empty();
    }
    for (E choice : choices) {
      if (name.apply(choice).equals(written.get())) {
        return Optional.of(choice);
      }
    }
    String allowed = Arrays.stream(choices).map(name).collect(Collectors.joining(", "));
    throw error(key, "\"" + written.get() + "\" is not allowed; use one of " + allowed);
  }

  /** The maps of a list under {@code key}; none when the key is absent. */
  List<YamlMap> maps(String key) throws ConfigException {
    Optional<JsonNode> value = value(key);
    if (value.isEmpty()) {
      return List.of();
    }
    if (!value.get().isArray()) {
      throw typeError(key, "a list of maps", value.get());
    }
    List<YamlMap> maps = new ArrayList<>();
    for (int i = 0; i < value.get().size(); i++) {
      JsonNode item = value.get().get(i);
      String itemPath = pathOf(key) + "[" + i + "]";
      if (!item.isObject()) {
        throw document.error(itemPath, "expected a map of settings, got " + describe(item));
      }
      maps.add(new YamlMap(document, itemPath, item));
    }
    return maps;
  }

  /** A number from 0 to 1. */
  Optional<Double> fraction(String key) throws ConfigException {
    Optional<JsonNode> value = value(key);
    if (value.isEmpty()) {
      return Optional.empty();
    }
    if (!value.get().isNumber()) {
      throw typeError(key, "a number from 0 to 1", value.get());
    }
    double number = value.get().doubleValue();
    if (!(number >= 0 && number <= 1)) {
      throw error(key, "must be from 0 to 1, not " + value.get().asText());
    }
    return Optional.of(number);
  }

  /** A map whose values are all strings; empty when the key is absent. */
  Map<String, String> stringMap(String key) throws ConfigException {
    Optional<JsonNode> value = value(key);
    if (value.isEmpty()) {
      return Map.of();
    }
    if (!value.get().isObject()) {
      throw typeError(key, "a map of names to strings", value.get());
    }
    Map<String, String> strings = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> field : value.get().properties()) {
      if (!field.getValue().isTextual()) {
        throw document.error(pathOf(key) + "." + field.getKey(), "expected a string, got " + describe(field.getValue()) + " (put it in quotes)");
      }
      strings.put(field.getKey(), field.getValue().asText());
    }
    return strings;
  }

  List<String> strings(String key) throws ConfigException {
    Optional<JsonNode> value = value(key);
    if (value.isEmpty()) {
      return List.of();
    }
    if (!value.get().isArray()) {
      throw typeError(key, "a list of strings", value.get());
    }
    List<String> strings = new ArrayList<>();
    for (int i = 0; i < value.get().size(); i++) {
      JsonNode item = value.get().get(i);
      if (!item.isTextual()) {
        throw document.error(pathOf(key) + "[" + i + "]", "expected a string, got " + describe(item));
      }
      strings.add(item.asText());
    }
    return strings;
  }

  int line(String key) {
    return document.lineOf(pathOf(key));
  }

  ConfigException error(String key, String message) {
    return document.error(pathOf(key), message);
  }

  ConfigException error(String key, int index, String message) {
    return document.error(pathOf(key) + "[" + index + "]", message);
  }

  String pathOf(String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  private Optional<JsonNode> value(String key) throws ConfigException {
    JsonNode value = node.get(key);
    if (value == null) {
      return Optional.empty();
    }
    if (value.isNull()) {
      throw error(key, "has no value; write one or remove the key to use the default");
    }
    return Optional.of(value);
  }

  private Optional<Long> wholeNumber(String key) throws ConfigException {
    Optional<JsonNode> value = value(key);
    if (value.isEmpty()) {
      return Optional.empty();
    }
    if (!value.get().isIntegralNumber()) {
      throw typeError(key, "a whole number", value.get());
    }
    if (!value.get().canConvertToLong()) {
      throw error(key, value.get().asText() + " is too large");
    }
    return Optional.of(value.get().longValue());
  }

  private ConfigException typeError(String key, String expected, JsonNode actual) {
    String hint = "";
    if (expected.equals("a string") && actual.isValueNode()) {
      hint = " (put it in quotes)";
    } else if (expected.equals("a whole number") && actual.isTextual()) {
      hint = " (write it without quotes)";
    }
    return error(key, "expected " + expected + ", got " + describe(actual) + hint);
  }

  private static String describe(JsonNode value) {
    return switch (value.getNodeType()) {
      case STRING -> "the string \"" + value.asText() + "\"";
      case NUMBER -> "the number " + value.asText();
      case BOOLEAN -> "the boolean " + value.asText() + " (YAML reads true/false/yes/no/on/off as booleans)";
      case ARRAY -> "a list";
      case OBJECT -> "a map";
      default -> "no value";
    };
  }

  /** "did you mean X?" for a near miss, else the list of keys allowed here. */
  private static String suggestion(String key, Set<String> known) {
    return known.stream()
        .filter(candidate -> isNear(key, candidate))
        .min(Comparator.comparingInt(candidate -> editDistance(key, candidate)))
        .map(candidate -> "did you mean " + candidate + "?")
        .orElse("allowed here: " + String.join(", ", new TreeSet<>(known)));
  }

  /** A typo (a few edits) or a shortened or lengthened name, like catalog for catalog_path. */
  private static boolean isNear(String key, String candidate) {
    boolean typo = editDistance(key, candidate) <= Math.max(2, key.length() / 4);
    boolean partOf = key.length() >= 4 && (candidate.contains(key) || key.contains(candidate));
    return typo || partOf;
  }

  /** Levenshtein distance: the fewest one-character edits that turn {@code a} into {@code b}. */
  private static int editDistance(String a, String b) {
    int[] previous = new int[b.length() + 1];
    int[] current = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      current[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
      }
      int[] swap = previous;
      previous = current;
      current = swap;
    }
    return previous[b.length()];
  }
}
