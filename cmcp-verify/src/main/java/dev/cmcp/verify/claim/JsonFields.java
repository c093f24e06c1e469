package dev.cmcp.verify.claim;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Typed reads from one JSON object of an untrusted document, naming the path of whatever is
 * wrong. Every field a format lists must be present (null where the format allows it), and a
 * field it does not list is an error: a verifier must not pass what it did not read.
 */
final class JsonFields {

  static final Pattern HEX_HASH = Pattern.compile("[0-9a-f]{64}");

  private final JsonNode object;
  private final String path;

  private JsonFields(JsonNode object, String path) {
    this.object = object;
    this.path = path;
  }

  /** {@code node} as an object with exactly the fields {@code names}. */
  static JsonFields exactly(JsonNode node, String path, Set<String> names) throws ClaimException {
    return exactly(node, path, names, Set.of());
  }

  /**
   * {@code node} as an object with the fields {@code names}, and perhaps {@code optional} ones:
   * fields a later version of the format added, which older claims lack.
   */
  static JsonFields exactly(JsonNode node, String path, Set<String> names, Set<String> optional) throws ClaimException {
    if (node == null || !node.isObject()) {
      throw new ClaimException(label(path) + "expected a JSON object");
    }
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String name = it.next();
      if (!names.contains(name) && !optional.contains(name)) {
        throw new ClaimException(join(path, name) + ": unknown field");
      }
    }
    for (String name : names) {
      if (!node.has(name)) {
        throw new ClaimException(join(path, name) + ": missing");
      }
    }
    return new JsonFields(node, path);
  }

  String path(String name) {
    return join(path, name);
  }

  JsonNode node(String name) {
    return object.get(name);
  }

  boolean has(String name) {
    return object.has(name);
  }

  boolean isNull(String name) {
    return object.get(name).isNull();
  }

  String text(String name) throws ClaimException {
    JsonNode value = object.get(name);
    if (!value.isTextual()) {
      throw new ClaimException(path(name) + ": expected a string");
    }
    return value.asText();
  }

  String text(String name, Pattern format, String expectation) throws ClaimException {
    String value = text(name);
    if (!format.matcher(value).matches()) {
      throw new ClaimException(path(name) + ": expected " + expectation);
    }
    return value;
  }

  String oneOf(String name, Set<String> allowed) throws ClaimException {
    String value = text(name);
    if (!allowed.contains(value)) {
      throw new ClaimException(path(name) + ": expected one of " + allowed.stream().sorted().toList() + ", found \"" + value + "\"");
    }
    return value;
  }

  String hexHash(String name) throws ClaimException {
    return text(name, HEX_HASH, "64 lower-case hex digits");
  }

  long nonNegativeInteger(String name) throws ClaimException {
    JsonNode value = object.get(name);
    if (!value.isIntegralNumber() || !value.canConvertToLong() || value.longValue() < 0) {
      throw new ClaimException(path(name) + ": expected a non-negative integer");
    }
    return value.longValue();
  }

  JsonFields object(String name, Set<String> names) throws ClaimException {
    return exactly(object.get(name), path(name), names);
  }

  JsonFields object(String name, Set<String> names, Set<String> optional) throws ClaimException {
    return exactly(object.get(name), path(name), names, optional);
  }

  List<JsonNode> array(String name) throws ClaimException {
    JsonNode value = object.get(name);
    if (!value.isArray()) {
      throw new ClaimException(path(name) + ": expected an array");
    }
    List<JsonNode> items = new ArrayList<>();
    value.forEach(items::add);
    return items;
  }

  List<String> hexHashes(String name) throws ClaimException {
    List<String> hashes = new ArrayList<>();
    List<JsonNode> items = array(name);
    for (int i = 0; i < items.size(); i++) {
      JsonNode item = items.get(i);
      if (!item.isTextual() || !HEX_HASH.matcher(item.asText()).matches()) {
        throw new ClaimException(path(name) + "[" + i + "]: expected 64 lower-case hex digits");
      }
      hashes.add(item.asText());
    }
    return List.copyOf(hashes);
  }

  List<String> texts(String name) throws ClaimException {
    List<String> texts = new ArrayList<>();
    List<JsonNode> items = array(name);
    for (int i = 0; i < items.size(); i++) {
      if (!items.get(i).isTextual()) {
        throw new ClaimException(path(name) + "[" + i + "]: expected a string");
      }
      texts.add(items.get(i).asText());
    }
    return List.copyOf(texts);
  }

  private static String join(String path, String name) {
    return path.isEmpty() ? name : path + "." + name;
  }

  private static String label(String path) {
    return path.isEmpty() ? "claim: " : path + ": ";
  }
}
