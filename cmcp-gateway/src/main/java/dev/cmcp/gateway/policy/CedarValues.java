package dev.cmcp.gateway.policy;

import com.cedarpolicy.value.CedarList;
import com.cedarpolicy.value.CedarMap;
import com.cedarpolicy.value.PrimBool;
import com.cedarpolicy.value.PrimLong;
import com.cedarpolicy.value.PrimString;
import com.cedarpolicy.value.Value;
import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.util.ArrayDeque;
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
 *   <li>string, boolean: the same;
 *   <li>a number whose value is a whole number within Cedar's Long range: a Long, however it is
 *       written ({@code 50}, {@code 50.0} and {@code 5E+1} alike, as JSON Schema's {@code integer}
 *       counts them);
 *   <li>any other number: a String spelling its exact value, one spelling per value: whole numbers
 *       as plain digits ({@code "123456789012345678901234567890"}; beyond 1000 digits in
 *       scientific notation, {@code "1E+5000"}), fractions without trailing zeros in plain decimal
 *       ({@code "1.5"} for {@code 1.50}), or in scientific notation when the first significant
 *       digit lies beyond the sixth decimal place ({@code "1.5E-7"});
 *   <li>object: a record; array: a set (Cedar has no lists: order and duplicates are lost);
 *   <li>null: left out (an object member that is null is absent: test it with {@code has}; a null
 *       array element is dropped).
 * </ul>
 *
 * <p>One value has one Cedar form because a policy compares forms: were {@code 42.0} a String,
 * {@code forbid ... when { context.arguments.id == 42 }} could be dodged by writing {@code 42.0}.
 * A number that became a String is still compared as text, so {@code 1.5 <= 2} fails to evaluate
 * (and fails closed), and a policy cannot tell the number {@code 1.5} from the string {@code
 * "1.5"}.
 *
 * <p>Depth needs no check here: the strict JSON reader bounded it. Keys that Cedar's JSON wire
 * format treats as escapes ({@code __entity}, {@code __extn}, {@code __expr}) are refused, so an
 * argument can never turn into an entity reference or an extension value.
 */
final class CedarValues {

  private static final Set<String> RESERVED_KEYS = Set.of("__entity", "__extn", "__expr");

  /**
   * Whole numbers up to this many digits are spelled out. It matches the strict reader's longest
   * number, so every integer an agent can send keeps its digits, while {@code 1E+999999999} (a
   * short literal) does not become a billion characters.
   */
  private static final int MAX_PLAIN_DIGITS = 1000;

  /**
   * The most JSON values (objects, arrays and scalars, the arguments object included) one call's
   * arguments may hold to be evaluated. Cedar's cost grows with the context it is given: 100,000
   * keys took seconds of CPU per call, which any agent could repeat. Real tool arguments are far
   * below this; a call over it is denied as an evaluation error (fail closed).
   */
  static final int MAX_ARGUMENT_VALUES = 10_000;

  private CedarValues() {}

  /**
   * Tool arguments as the record {@code context.arguments}, refused (IllegalArgumentException)
   * when they hold over {@link #MAX_ARGUMENT_VALUES} values.
   */
  static CedarMap arguments(JsonNode arguments) {
    if (arguments != null) {
      ArrayDeque<JsonNode> pending = new ArrayDeque<>();
      pending.push(arguments);
      int values = 0;
      while (!pending.isEmpty()) {
        JsonNode node = pending.pop();
        if (++values > MAX_ARGUMENT_VALUES) {
          throw new IllegalArgumentException("the arguments hold over " + MAX_ARGUMENT_VALUES
              + " JSON values, more than the policy engine evaluates per call");
        }
        if (node.isContainerNode()) {
          node.forEach(pending::push);
        }
      }
    }
    return record(arguments);
  }

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
      case NUMBER -> Optional.of(number(node.decimalValue()));
      case OBJECT -> Optional.of(record(node));
      case ARRAY -> Optional.of(set(node));
      case BINARY, POJO -> throw new IllegalArgumentException("unsupported JSON node " + node.getNodeType());
    };
  }

  /**
   * About how many characters {@code node} spells (keys and scalar values), counting no further
   * than just past {@code limit}: enough to tell whether it is small, without spelling it out.
   */
  static int spelledLength(JsonNode node, int limit) {
    ArrayDeque<JsonNode> pending = new ArrayDeque<>();
    pending.push(node);
    int chars = 0;
    while (!pending.isEmpty() && chars <= limit) {
      JsonNode next = pending.pop();
      if (next.isObject()) {
        for (Map.Entry<String, JsonNode> field : next.properties()) {
          chars += field.getKey().length() + 1;
          pending.push(field.getValue());
        }
      } else if (next.isArray()) {
        next.forEach(pending::push);
        chars += 1;
      } else {
        chars += next.isTextual() ? next.textValue().length() + 1 : next.asText().length() + 1;
      }
    }
    return chars;
  }

  private static Value number(BigDecimal exact) {
    BigDecimal value = exact.stripTrailingZeros();
    if (value.scale() > 0) {
      return new PrimString(value.toString());
    }
    try {
      return new PrimLong(value.longValueExact());
    } catch (ArithmeticException beyondLong) {
      int digits = value.precision() - value.scale();
      return new PrimString(digits <= MAX_PLAIN_DIGITS ? value.toPlainString() : value.toString());
    }
  }

  private static CedarList set(JsonNode array) {
    List<Value> elements = new ArrayList<>(array.size());
    for (JsonNode element : array) {
      value(element).ifPresent(elements::add);
    }
    return new CedarList(elements);
  }
}
