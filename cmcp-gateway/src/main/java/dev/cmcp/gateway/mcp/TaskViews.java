package dev.cmcp.gateway.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Optional;
import java.util.Set;

/**
 * The agent's view of a server's task object, in each shape an agent may see a task: the
 * gateway's id (never the server's) and ttl, the status and times, and the status message only
 * where the creating decision asked for no redaction (it is the server's free text, which no
 * redaction reads). Pure functions: nothing here talks to a server or writes the audit log.
 */
final class TaskViews {

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  /** The statuses a task may have, in both revisions. */
  static final Set<String> STATUSES = Set.of("working", "input_required", "completed", "failed", "cancelled");
  /** The longest status message passed on, in characters; a longer one is cut. */
  private static final int MAX_STATUS_MESSAGE = 1024;

  private TaskViews() {}

  /** Whether a server's object names a task: a non-empty {@code taskId} and a known status. */
  static boolean namesTask(JsonNode given) {
    return given.path("taskId").isTextual() && !given.path("taskId").asText().isEmpty()
        && STATUSES.contains(given.path("status").asText());
  }

  /**
   * The MCP 2025-11-25 view ({@code ttl}, {@code pollInterval}), for a task of an agent's session.
   * Empty when the object is not a task of this id.
   */
  static Optional<ObjectNode> session(JsonNode upstream, TaskRegistry.Task task) {
    return view(upstream, task, Shape.SESSION);
  }

  /**
   * The 2026-07-28 tasks extension's view ({@code ttlMs}, {@code pollIntervalMs}), for a task of
   * the extension or one translated from a 2025-11-25 server (which names its poll interval {@code
   * pollInterval}). Empty when the object is not a task of this id.
   */
  static Optional<ObjectNode> extension(JsonNode upstream, TaskRegistry.Task task) {
    return view(upstream, task, task.form() == TaskRegistry.Form.TRANSLATED ? Shape.TRANSLATED : Shape.EXTENSION);
  }

  /**
   * How one shape names the ttl and poll interval, where the server's poll interval is read from,
   * and the least poll interval passed on (2025-11-25 allows 0; the extension asks for a positive one).
   */
  private enum Shape {
    SESSION("ttl", "pollInterval", "pollInterval", 0),
    EXTENSION("ttlMs", "pollIntervalMs", "pollIntervalMs", 1),
    TRANSLATED("ttlMs", "pollInterval", "pollIntervalMs", 1);

    private final String ttl;
    private final String pollFrom;
    private final String pollTo;
    private final long leastPoll;

    Shape(String ttl, String pollFrom, String pollTo, long leastPoll) {
      this.ttl = ttl;
      this.pollFrom = pollFrom;
      this.pollTo = pollTo;
      this.leastPoll = leastPoll;
    }
  }

  private static Optional<ObjectNode> view(JsonNode upstream, TaskRegistry.Task task, Shape shape) {
    if (!upstream.path("taskId").asText().equals(task.upstreamTaskId()) || !STATUSES.contains(upstream.path("status").asText())) {
      return Optional.empty();
    }
    ObjectNode view = NODES.objectNode().put("taskId", task.id()).put("status", upstream.get("status").asText());
    JsonNode message = upstream.get("statusMessage");
    if (message != null && message.isTextual() && task.redaction().isEmpty()) {
      view.put("statusMessage", abbreviate(message.asText(), MAX_STATUS_MESSAGE));
    }
    view.put("createdAt", text(upstream.get("createdAt")).orElse(task.createdAt().toString()));
    view.put("lastUpdatedAt", text(upstream.get("lastUpdatedAt")).orElse(task.createdAt().toString()));
    view.put(shape.ttl, task.ttlMillis());
    JsonNode poll = upstream.get(shape.pollFrom);
    if (poll != null && poll.isIntegralNumber() && poll.canConvertToLong() && poll.longValue() >= shape.leastPoll) {
      view.put(shape.pollTo, poll.longValue());
    }
    return Optional.of(view);
  }

  static String abbreviate(String text, int most) {
    return text.length() <= most ? text : text.substring(0, most) + "...";
  }

  /** A server's timestamp, when it is short text; the gateway's own otherwise. */
  private static Optional<String> text(JsonNode node) {
    return node != null && node.isTextual() && node.asText().length() <= 64 ? Optional.of(node.asText()) : Optional.empty();
  }
}
