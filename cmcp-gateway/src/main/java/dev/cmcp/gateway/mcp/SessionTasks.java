package dev.cmcp.gateway.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.gateway.ops.LogField;
import dev.cmcp.gateway.redaction.RedactionReport;
import dev.cmcp.gateway.upstream.UpstreamException;
import dev.cmcp.verify.base.CanonicalJson;
import dev.cmcp.verify.base.Digests;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.Optional;

/**
 * MCP 2025-11-25 tasks of an agent's session ({@link TaskRegistry.Form#SESSION}), on a server
 * spoken to in 2025: the {@code CreateTaskResult} of a task-augmented {@code tools/call}, and
 * {@code tasks/get}, {@code tasks/result}, {@code tasks/list} and {@code tasks/cancel}, served for
 * the creating session only, in the upstream session the task lives in. The result comes from a
 * {@code tasks/result} that waits for it; while it waits, the server's questions about the task
 * reach the agent on its stream, as a call's do.
 */
final class SessionTasks {

  private static final Logger LOG = System.getLogger("cmcp.tasks");
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final String IMMEDIATE_RESPONSE = "io.modelcontextprotocol/model-immediate-response";

  private final TaskDelivery delivery;
  private final TaskRegistry registry;

  SessionTasks(TaskDelivery delivery) {
    this.delivery = delivery;
    this.registry = delivery.registry();
  }

  /**
   * The upstream answered a task-augmented call with a {@code CreateTaskResult} ({@code delivered},
   * the agent's answer): the task is recorded in {@code reservation}'s room, the answer rewritten to
   * the gateway's view of it (its id, its ttl, no status message under a redaction) and audited as
   * the call's outcome {@code task_created}.
   */
  ObjectNode created(TaskRegistry.Reservation reservation, TaskMethods.Creation creation, ObjectNode delivered, JsonNode id)
      throws JsonRpcException {
    JsonNode given = delivered.path("result").path("task");
    TaskRegistry.Task task = delivery.newTask(creation, given, "ttl", TaskRegistry.Form.SESSION, id);
    ObjectNode result = NODES.objectNode();
    result.set("task", TaskViews.session(given, task).orElseThrow(() -> new IllegalStateException("checked above")));
    // The server's hint to the model is its free text, which no redaction reads: passed on only without one.
    JsonNode immediate = delivered.path("result").path("_meta").get(IMMEDIATE_RESPONSE);
    if (immediate != null && immediate.isTextual() && creation.redaction().isEmpty()) {
      result.putObject("_meta").set(IMMEDIATE_RESPONSE, immediate);
    }
    ObjectNode answer = delivery.recordCreated(reservation, task, result, id);
    LOG.log(Level.DEBUG, "task created", LogField.of("session_id", task.auditSession()), LogField.of("tool", task.tool()),
        LogField.of("server", task.server()));
    return answer;
  }

  /**
   * {@code tasks/get}, {@code tasks/result}, {@code tasks/list} or {@code tasks/cancel} of session
   * {@code session}.
   *
   * @param stream where the server's requests and log messages about the task reach the agent while
   *     a {@code tasks/result} waits (an {@code input_required} task asks there), unless the creating
   *     decision redacts; the agent may also call the wait off
   */
  ObjectNode handle(String method, JsonNode id, ObjectNode params, String session, CallStream stream) throws JsonRpcException {
    return switch (method) {
      case "tasks/list" -> list(id, params, session);
      case "tasks/get" -> status(id, delivery.find(id, params, session), "tasks/get");
      case "tasks/cancel" -> cancel(id, delivery.find(id, params, session));
      case "tasks/result" -> result(id, delivery.find(id, params, session), stream);
      default -> throw new IllegalArgumentException("not a tasks method: " + method);
    };
  }

  /** The task's status, asked of its server: {@code tasks/get}, or after a {@code tasks/cancel}. */
  private ObjectNode status(JsonNode id, TaskRegistry.Task task, String method) throws JsonRpcException {
    ObjectNode answer = TaskDelivery.agentAnswer(task, id, delivery.ask(task, method, id, CallStream.none()));
    if (answer.get("result") instanceof ObjectNode result) {
      answer.set("result", TaskViews.session(result, task).orElseThrow(() -> TaskDelivery.malformed(task.server(), method, id)));
    }
    return answer;
  }

  /**
   * {@code tasks/cancel}: the server is asked to cancel and, when it has, the creating call's
   * outcome is {@code cancelled}. An error (e.g. the task has ended) reaches the agent as the
   * server gave it.
   */
  private ObjectNode cancel(JsonNode id, TaskRegistry.Task task) throws JsonRpcException {
    ObjectNode answer = status(id, task, "tasks/cancel");
    delivery.cancelled(task, answer, id);
    return answer;
  }

  /**
   * {@code tasks/list}: the session's own tasks, as the gateway recorded them, each one's status
   * asked of its server; never the server's list, which would show every task of a shared upstream
   * session. A task whose server cannot answer now is left out, as a {@code tasks/get} of it would fail.
   */
  private ObjectNode list(JsonNode id, ObjectNode params, String session) throws JsonRpcException {
    if (params.hasNonNull("cursor")) {
      throw Caller.invalidParams(id, "tasks/list: unknown cursor (the gateway lists a session's tasks in one page)");
    }
    ArrayNode tasks = NODES.arrayNode();
    for (TaskRegistry.Task task : registry.of(session)) {
      try {
        ObjectNode answer = delivery.ask(task, "tasks/get", id, CallStream.none());
        if (answer.get("result") instanceof ObjectNode result) {
          TaskViews.session(result, task).ifPresent(tasks::add);
        }
      } catch (JsonRpcException e) {
        LOG.log(Level.DEBUG, "tasks/list: a task of upstream {0} left out: {1}", task.server(), e.getMessage());
      }
    }
    ObjectNode answer = NODES.objectNode().put("jsonrpc", "2.0");
    answer.set("id", id);
    answer.putObject("result").set("tasks", tasks);
    return answer;
  }

  /**
   * {@code tasks/result}: the creating call's result, redacted by its decision's redaction and
   * audited as another outcome of its decision (the digest of what is delivered, never the result).
   * Withheld when the bundle or catalog changed since the call was decided.
   */
  private ObjectNode result(JsonNode id, TaskRegistry.Task task, CallStream stream) throws JsonRpcException {
    delivery.refuseUnlessDeliverable(id, task);
    ObjectNode upstream;
    try {
      upstream = delivery.send(task, "tasks/result", stream);
    } catch (UpstreamException e) {
      // As a call's outcome says it: the agent called the wait off, the answer was too large, or the server failed.
      delivery.outcome(task, switch (e.kind()) {
        case RESPONSE_TOO_LARGE -> "response_too_large";
        case CANCELLED -> "cancelled";
        default -> "upstream_error";
      }, Optional.empty(), Optional.empty(), id);
      throw TaskDelivery.failed(task, "tasks/result", e, id);
    }
    ObjectNode answer;
    try {
      answer = TaskDelivery.agentAnswer(task, id, upstream);
    } catch (JsonRpcException e) {
      delivery.outcome(task, "upstream_error", Optional.empty(), Optional.empty(), id);
      throw e;
    }
    if (answer.get("result") instanceof ObjectNode result && result.get("_meta") instanceof ObjectNode meta) {
      // The server's id for the task is not the agent's; set again below, after redaction.
      meta.remove(TaskMethods.RELATED_TASK);
    }
    Optional<RedactionReport> redactions = delivery.redacted(id, task, answer);
    if (answer.get("result") instanceof ObjectNode result) {
      ObjectNode meta = result.get("_meta") instanceof ObjectNode existing ? existing : result.putObject("_meta");
      meta.putObject(TaskMethods.RELATED_TASK).put("taskId", task.id());
      String outcome = result.path("isError").asBoolean(false) ? "tool_error" : "ok";
      delivery.outcome(task, outcome, Optional.of(Digests.sha256Hex(CanonicalJson.bytes(result))), redactions, id);
      registry.finished(task);
    } else {
      delivery.outcome(task, "upstream_error", Optional.empty(), redactions, id);
    }
    return answer;
  }

  /** A notification for the agent session that created a task: where it goes, and what it says. */
  record StatusNotice(String agentSession, ObjectNode notification) {}

  /**
   * A server's MCP 2025-11-25 {@code notifications/tasks/status}, sent after the creating call
   * returned, as the creating session gets it: the gateway's view of the task ({@link
   * TaskViews#session}: its id and ttl, no status message under a redaction). Empty when the
   * gateway recorded no such task in that upstream session, or when the params are not a task's:
   * nobody else ever hears it.
   */
  Optional<StatusNotice> statusNotice(String server, String upstreamSession, String upstreamTaskId, ObjectNode params) {
    return registry.findUpstream(server, upstreamSession, upstreamTaskId).filter(task -> task.form() == TaskRegistry.Form.SESSION)
        .flatMap(task -> TaskViews.session(params, task).map(view -> {
          ObjectNode notification = NODES.objectNode().put("jsonrpc", "2.0").put("method", "notifications/tasks/status");
          notification.set("params", view);
          return new StatusNotice(task.agentSession(), notification);
        }));
  }
}
