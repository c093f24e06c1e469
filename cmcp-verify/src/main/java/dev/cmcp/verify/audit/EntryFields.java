package dev.cmcp.verify.audit;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Typed reads from one audit entry (or one object inside it) that remember what was read, so that
 * {@link #finish} can refuse any member the format does not define: a verifier must not pass over
 * what it did not read.
 */
final class EntryFields {

  private final JsonNode object;
  private final String path;
  private final Set<String> read = new HashSet<>();

  private EntryFields(JsonNode object, String path) {
    this.object = object;
    this.path = path;
  }

  static EntryFields of(JsonNode node, String path) throws AuditFormatException {
    if (node == null || !node.isObject()) {
      throw new AuditFormatException(path + ": expected a JSON object");
    }
    return new EntryFields(node, path);
  }

  /** Refuses every member not read, except {@code ignored} (what another reader checks). */
  void finish(Set<String> ignored) throws AuditFormatException {
    for (Iterator<String> names = object.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!read.contains(name) && !ignored.contains(name)) {
        throw new AuditFormatException(path(name) + ": unknown member");
      }
    }
  }

  void finish() throws AuditFormatException {
    finish(Set.of());
  }

  boolean has(String name) {
    return object.has(name);
  }

  private JsonNode required(String name) throws AuditFormatException {
    read.add(name);
    JsonNode value = object.get(name);
    if (value == null) {
      throw new AuditFormatException(path(name) + ": missing");
    }
    return value;
  }

  String text(String name) throws AuditFormatException {
    JsonNode value = required(name);
    if (!value.isTextual()) {
      throw new AuditFormatException(path(name) + ": expected a string");
    }
    return value.asText();
  }

  /** A member that must be present and is a string or null. */
  Optional<String> nullableText(String name) throws AuditFormatException {
    JsonNode value = required(name);
    if (value.isNull()) {
      return Optional.empty();
    }
    return Optional.of(text(name));
  }

  /** A string member that may be absent (never null). */
  Optional<String> optionalText(String name) throws AuditFormatException {
    return has(name) ? Optional.of(text(name)) : Optional.empty();
  }

  /** A member a later version of the format added: absent in older entries, else a string or null. */
  Optional<String> laterNullableText(String name) throws AuditFormatException {
    read.add(name);
    return has(name) ? nullableText(name) : Optional.empty();
  }

  long integer(String name) throws AuditFormatException {
    JsonNode value = required(name);
    if (!value.isIntegralNumber() || !value.canConvertToLong()) {
      throw new AuditFormatException(path(name) + ": expected an integer");
    }
    return value.longValue();
  }

  int smallInteger(String name) throws AuditFormatException {
    JsonNode value = required(name);
    if (!value.isIntegralNumber() || !value.canConvertToInt()) {
      throw new AuditFormatException(path(name) + ": expected an integer of at most 32 bits");
    }
    return value.intValue();
  }

  boolean bool(String name) throws AuditFormatException {
    JsonNode value = required(name);
    if (!value.isBoolean()) {
      throw new AuditFormatException(path(name) + ": expected true or false");
    }
    return value.booleanValue();
  }

  List<String> texts(String name) throws AuditFormatException {
    JsonNode value = required(name);
    if (!value.isArray()) {
      throw new AuditFormatException(path(name) + ": expected an array of strings");
    }
    List<String> texts = new ArrayList<>();
    for (int i = 0; i < value.size(); i++) {
      if (!value.get(i).isTextual()) {
        throw new AuditFormatException(path(name) + "[" + i + "]: expected a string");
      }
      texts.add(value.get(i).asText());
    }
    return List.copyOf(texts);
  }

  List<Long> integers(String name) throws AuditFormatException {
    JsonNode value = required(name);
    if (!value.isArray()) {
      throw new AuditFormatException(path(name) + ": expected an array of integers");
    }
    List<Long> integers = new ArrayList<>();
    for (int i = 0; i < value.size(); i++) {
      JsonNode item = value.get(i);
      if (!item.isIntegralNumber() || !item.canConvertToLong()) {
        throw new AuditFormatException(path(name) + "[" + i + "]: expected an integer");
      }
      integers.add(item.longValue());
    }
    return List.copyOf(integers);
  }

  /** A member that must be present and is an object or null. */
  Optional<EntryFields> nullableObject(String name) throws AuditFormatException {
    JsonNode value = required(name);
    return value.isNull() ? Optional.empty() : Optional.of(of(value, path(name)));
  }

  EntryFields object(String name) throws AuditFormatException {
    return of(required(name), path(name));
  }

  String path(String name) {
    return path + "." + name;
  }
}
