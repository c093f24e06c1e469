package dev.cmcp.verify.base;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Typed reads from one JSON object of an untrusted document (a claim, an audit entry, evidence),
 * naming the path of whatever is wrong: the one strict member reader of every wire format this
 * library reads. A member the format does not define is an error, so a verifier never passes
 * over what it did not read: either the format's members are listed up front ({@link #exactly}),
 * or the reader remembers what was read and {@link #finish} refuses the rest.
 *
 * <p>Each format names its own exception type through {@code failure}, which turns a message
 * ({@code gateway.calls[2].note: unknown field}) into the exception thrown.
 *
 * @param <E> the exception a reader of this format throws
 */
public final class JsonFields<E extends Exception> {

  /** A SHA-256 digest as every format spells it: 64 lower-case hex digits. */
  public static final Pattern HEX_HASH = Pattern.compile("[0-9a-f]{64}");

  private final JsonNode object;
  private final String path;
  private final Function<String, E> failure;
  private final Set<String> read = new HashSet<>();

  private JsonFields(JsonNode object, String path, Function<String, E> failure) {
    this.object = object;
    this.path = path;
    this.failure = failure;
  }

  /** {@code node} as an object whose members {@link #finish} checks once they are read. */
  public static <E extends Exception> JsonFields<E> of(JsonNode node, String path, Function<String, E> failure)
      throws E {
    if (node == null || !node.isObject()) {
      throw failure.apply((path.isEmpty() ? "" : path + ": ") + "expected a JSON object");
    }
    return new JsonFields<>(node, path, failure);
  }

  /** {@code node} as an object with exactly the members {@code names}. */
  public static <E extends Exception> JsonFields<E> exactly(
      JsonNode node, String path, Set<String> names, Function<String, E> failure) throws E {
    return exactly(node, path, names, Set.of(), failure);
  }

  /**
   * {@code node} as an object with the members {@code names}, and perhaps {@code optional} ones:
   * members a later version of the format added, which older documents lack.
   */
  public static <E extends Exception> JsonFields<E> exactly(
      JsonNode node, String path, Set<String> names, Set<String> optional, Function<String, E> failure) throws E {
    JsonFields<E> fields = of(node, path, failure);
    fields.read.addAll(names);
    fields.read.addAll(optional);
    fields.finish();
    for (String name : names) {
      fields.required(name);
    }
    return fields;
  }

  /** Refuses every member not read, except {@code ignored} (what another reader checks). */
  public void finish(Set<String> ignored) throws E {
    for (Iterator<String> names = object.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!read.contains(name) && !ignored.contains(name)) {
        throw failure.apply(path(name) + ": unknown field");
      }
    }
  }

  public void finish() throws E {
    finish(Set.of());
  }

  public String path(String name) {
    return path.isEmpty() ? name : path + "." + name;
  }

  /** The message's exception, at this object's member {@code name}: {@code trace.cnf.jwk: ...}. */
  private E error(String name, String reason) {
    return failure.apply(path(name) + ": " + reason);
  }

  public boolean has(String name) {
    return object.has(name);
  }

  /** A member that must be present, as it is. */
  public JsonNode node(String name) throws E {
    return required(name);
  }

  public boolean isNull(String name) throws E {
    return required(name).isNull();
  }

  private JsonNode required(String name) throws E {
    read.add(name);
    JsonNode value = object.get(name);
    if (value == null) {
      throw error(name, "missing");
    }
    return value;
  }

  public String text(String name) throws E {
    JsonNode value = required(name);
    if (!value.isTextual()) {
      throw error(name, "expected a string");
    }
    return value.asText();
  }

  public String text(String name, Pattern format, String expectation) throws E {
    String value = text(name);
    if (!format.matcher(value).matches()) {
      throw error(name, "expected " + expectation);
    }
    return value;
  }

  public String oneOf(String name, Set<String> allowed) throws E {
    String value = text(name);
    if (!allowed.contains(value)) {
      throw error(name, "expected one of " + allowed.stream().sorted().toList() + ", found \"" + value + "\"");
    }
    return value;
  }

  public String hexHash(String name) throws E {
    return text(name, HEX_HASH, "64 lower-case hex digits");
  }

  /** A member that must be present and is a string or null. */
  public Optional<String> nullableText(String name) throws E {
    return required(name).isNull() ? Optional.empty() : Optional.of(text(name));
  }

  /** A string member that may be absent (never null). */
  public Optional<String> optionalText(String name) throws E {
    read.add(name);
    return has(name) ? Optional.of(text(name)) : Optional.empty();
  }

  /** A member a later version of the format added: absent in older documents, else a string or null. */
  public Optional<String> laterNullableText(String name) throws E {
    read.add(name);
    return has(name) ? nullableText(name) : Optional.empty();
  }

  public long integer(String name) throws E {
    JsonNode value = required(name);
    if (!value.isIntegralNumber() || !value.canConvertToLong()) {
      throw error(name, "expected an integer");
    }
    return value.longValue();
  }

  public int smallInteger(String name) throws E {
    JsonNode value = required(name);
    if (!value.isIntegralNumber() || !value.canConvertToInt()) {
      throw error(name, "expected an integer of at most 32 bits");
    }
    return value.intValue();
  }

  public long nonNegativeInteger(String name) throws E {
    JsonNode value = required(name);
    if (!value.isIntegralNumber() || !value.canConvertToLong() || value.longValue() < 0) {
      throw error(name, "expected a non-negative integer");
    }
    return value.longValue();
  }

  public boolean bool(String name) throws E {
    JsonNode value = required(name);
    if (!value.isBoolean()) {
      throw error(name, "expected true or false");
    }
    return value.booleanValue();
  }

  /** A member object whose members {@link #finish} checks once read. */
  public JsonFields<E> object(String name) throws E {
    return of(required(name), path(name), failure);
  }

  /** A member object with exactly the members {@code names}. */
  public JsonFields<E> object(String name, Set<String> names) throws E {
    return exactly(required(name), path(name), names, failure);
  }

  public JsonFields<E> object(String name, Set<String> names, Set<String> optional) throws E {
    return exactly(required(name), path(name), names, optional, failure);
  }

  /** A member that must be present and is an object or null. */
  public Optional<JsonFields<E>> nullableObject(String name) throws E {
    JsonNode value = required(name);
    return value.isNull() ? Optional.empty() : Optional.of(of(value, path(name), failure));
  }

  public List<JsonNode> array(String name) throws E {
    JsonNode value = required(name);
    if (!value.isArray()) {
      throw error(name, "expected an array");
    }
    List<JsonNode> items = new ArrayList<>();
    value.forEach(items::add);
    return items;
  }

  public List<String> texts(String name) throws E {
    List<String> texts = new ArrayList<>();
    List<JsonNode> items = array(name);
    for (int i = 0; i < items.size(); i++) {
      if (!items.get(i).isTextual()) {
        throw failure.apply(path(name) + "[" + i + "]: expected a string");
      }
      texts.add(items.get(i).asText());
    }
    return List.copyOf(texts);
  }

  public List<String> hexHashes(String name) throws E {
    List<String> hashes = new ArrayList<>();
    List<JsonNode> items = array(name);
    for (int i = 0; i < items.size(); i++) {
      JsonNode item = items.get(i);
      if (!item.isTextual() || !HEX_HASH.matcher(item.asText()).matches()) {
        throw failure.apply(path(name) + "[" + i + "]: expected 64 lower-case hex digits");
      }
      hashes.add(item.asText());
    }
    return List.copyOf(hashes);
  }

  public List<Long> integers(String name) throws E {
    List<Long> integers = new ArrayList<>();
    List<JsonNode> items = array(name);
    for (int i = 0; i < items.size(); i++) {
      JsonNode item = items.get(i);
      if (!item.isIntegralNumber() || !item.canConvertToLong()) {
        throw failure.apply(path(name) + "[" + i + "]: expected an integer");
      }
      integers.add(item.longValue());
    }
    return List.copyOf(integers);
  }
}
