package dev.cmcp.gateway.explorer;

import dev.cmcp.gateway.explorer.AuditArchive.Call;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The page's filters, from its query string: principal, tool and decision (exact), and a time
 * range, {@code from} inclusive and {@code to} exclusive, in UTC.
 */
record CallFilter(Optional<String> principal, Optional<String> tool, Optional<String> decision, Optional<Instant> from,
    Optional<Instant> to) {

  static final CallFilter NONE = new CallFilter(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
  private static final Set<String> NAMES = Set.of("principal", "tool", "decision", "from", "to");
  private static final Set<String> DECISIONS = Set.of("allow", "redact", "deny");
  private static final int MAX_QUERY_CHARS = 4096;

  /** A filter the page's form cannot make. */
  static final class BadFilterException extends Exception {
    private static final long serialVersionUID = 1L;

    BadFilterException(String message) {
      super(message);
    }
  }

  /** @param rawQuery the URL's query, still percent-encoded; null for none */
  static CallFilter parse(String rawQuery) throws BadFilterException {
    if (rawQuery == null || rawQuery.isEmpty()) {
      return NONE;
    }
    if (rawQuery.length() > MAX_QUERY_CHARS) {
      throw new BadFilterException("the query is over " + MAX_QUERY_CHARS + " characters");
    }
    Map<String, String> values = new HashMap<>();
    for (String pair : rawQuery.split("&", -1)) {
      if (pair.isEmpty()) {
        continue;
      }
      int equals = pair.indexOf('=');
      String name = decode(equals < 0 ? pair : pair.substring(0, equals));
      String value = equals < 0 ? "" : decode(pair.substring(equals + 1));
      if (!NAMES.contains(name)) {
        throw new BadFilterException("unknown filter \"" + name + "\"; the filters are principal, tool, decision, from and to");
      }
      if (!value.isEmpty() && values.put(name, value) != null) {
        throw new BadFilterException("filter " + name + " given twice");
      }
    }
    Optional<String> decision = Optional.ofNullable(values.get("decision"));
    if (decision.isPresent() && !DECISIONS.contains(decision.get())) {
      throw new BadFilterException("decision must be allow, redact or deny, not \"" + decision.get() + "\"");
    }
    return new CallFilter(Optional.ofNullable(values.get("principal")), Optional.ofNullable(values.get("tool")), decision,
        time("from", values.get("from")), time("to", values.get("to")));
  }

  private static String decode(String text) throws BadFilterException {
    try {
      return URLDecoder.decode(text, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw new BadFilterException("the query is not percent-encoded correctly");
    }
  }

  /** What a datetime-local input sends ({@code 2026-11-25T10:00} or with seconds), or an ISO instant. */
  private static Optional<Instant> time(String name, String text) throws BadFilterException {
    if (text == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(text.endsWith("Z") ? Instant.parse(text) : LocalDateTime.parse(text).toInstant(ZoneOffset.UTC));
    } catch (DateTimeParseException e) {
      throw new BadFilterException(name + " must be a UTC time like 2026-11-25T10:00, not \"" + text + "\"");
    }
  }

  List<Call> apply(List<Call> calls) {
    return calls.stream()
        .filter(call -> principal.isEmpty() || principal.get().equals(call.principal()))
        .filter(call -> tool.isEmpty() || tool.get().equals(call.tool()))
        .filter(call -> decision.isEmpty() || decision.get().equals(call.decision()))
        .filter(call -> from.isEmpty() || !call.time().isBefore(from.get()))
        .filter(call -> to.isEmpty() || call.time().isBefore(to.get()))
        .toList();
  }

  String fromText() {
    return from.map(CallFilter::local).orElse("");
  }

  String toText() {
    return to.map(CallFilter::local).orElse("");
  }

  private static String local(Instant instant) {
    return LocalDateTime.ofInstant(instant, ZoneOffset.UTC).toString();
  }

  /** The filter as a query string, {@code ?...}, or empty when nothing is filtered. */
  String query() {
    StringBuilder query = new StringBuilder();
    add(query, "principal", principal);
    add(query, "tool", tool);
    add(query, "decision", decision);
    add(query, "from", from.map(CallFilter::local));
    add(query, "to", to.map(CallFilter::local));
    return query.toString();
  }

  private static void add(StringBuilder query, String name, Optional<String> value) {
    value.ifPresent(text -> query.append(query.isEmpty() ? '?' : '&').append(name).append('=')
        .append(URLEncoder.encode(text, StandardCharsets.UTF_8)));
  }
}
