package dev.cmcp.gateway.policy;

import com.cedarpolicy.value.CedarList;
import com.cedarpolicy.value.CedarMap;
import com.cedarpolicy.value.PrimBool;
import com.cedarpolicy.value.PrimLong;
import com.cedarpolicy.value.PrimString;
import com.cedarpolicy.value.Value;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * JSON (tool arguments, catalog attributes) as Cedar values.
 *
 * <ul>
 *   <li>string, boolean: the same; an integer within Cedar's Long range: a Long;
 *   <li>object: a record; array: a set (Cedar has no lists: order and duplicates are lost);
 *   <li>a fraction, or an integer beyond Long: a String holding its decimal text ({@code "1.5"},
 *       {@code "1E+400"}), so no digit is lost and a policy can still compare it;
 *   <li>null: left out (an object member that is null is absent: test it with {@code has}; a null
 *       array element is dropped).
 * </ul>
 *
 * <p>Depth needs no check here: the strict JSON reader bounded it. Keys that Cedar's JSON wire
 * format treats as escapes ({@code __entity}, {@code __extn}, {@code __expr}) are refused, so an
 * argument can never turn into an entity reference or an extension value.
 */
final class CedarValues {

  private static final Set<String> RESERVED_KEYS = Set.of("__entity", "__extn", "__expr");

  private CedarValues() {}

  /** A JSON object as a Cedar record; {@code null}, JSON null or a missing node as an empty one. */
  static CedarMap record(JsonNode object) {
    if (object == null || object.isNull() || object.isMissingNode()) {
      return new CedarMap();
    }
    if (!object.isObject()) {
      throw new IllegalArgumentException("expected a JSON object, got " + object.getNodeType());
    }
    Map<String, Value> fields = new HashMap<>();
    for (Map.Entry<String, JsonNode> field : object.properties()) {
      if (RESERVED_KEYS.contains(field.getKey())) {
        throw new IllegalArgumentException("key " + field.getKey() + " is reserved by Cedar's JSON format");
      }
      value(field.getValue()).ifPresent(v -> fields.put(field.getKey(), v));
    }
    return new CedarMap(fields);
  }

  /** The Cedar form of {@code node}; empty for JSON null. */
  static Optional<Value> value(JsonNode node) {
    return switch (node.getNodeType()) {
      case NULL, MISSING -> Optional.empty();
      case STRING -> Optional.of(new PrimString(node.textValue()));
      case BOOLEAN -> Optional.of(new PrimBool(node.booleanValue()));
      case NUMBER ->
          Optional.of(node.isIntegralNumber() && node.canConvertToLong() ? new PrimLong(node.longValue()) : new PrimString(node.asText()));
      case OBJECT -> Optional.of(record(node));
      case ARRAY -> Optional.of(set(node));
      case BINARY, POJO -> throw new IllegalArgumentException("unsupported JSON node " + node.getNodeType());
    };
  }

  private static CedarList set(JsonNode array) {
    List<Value> elements = new ArrayList<>(array.size());
    for (JsonNode element : array) {
      value(element).ifPresent(elements::add);
    }
    return new CedarList(elements);
  }
}
