package dev.cmcp.gateway.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.gateway.ops.LogField;
import dev.cmcp.gateway.redaction.RedactionReport;
import dev.cmcp.gateway.upstream.UpstreamException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.Optional;

/**
 * A 2025-11-25 server's task shown to a 2026-07-28 agent that declares the tasks extension
 * ({@link TaskRegistry.Form#TRANSLATED}): the agent sees the extension's flat {@code
 * CreateTaskResult} and methods; the server is asked in 2025-11-25. Its result is fetched with
 * {@code tasks/result} once the task ended, and inlined in {@code tasks/get} as the extension does.
 * Its questions cannot be translated (a 2025-11-25 server asks them only on a waiting {@code
 * tasks/result}'s stream, which the extension has no way to give the agent), so the agent is told
 * to cancel.
 */
final class TranslatedTasks {

  private static final Logger LOG = System.getLogger("cmcp.tasks");
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private final TaskDelivery delivery;
  private final TaskRegistry registry;

  TranslatedTasks(TaskDelivery delivery) {
    this.delivery = delivery;
    this.registry = delivery.registry();
  }

  /**
   * The 2025-11-25 server answered the call with a {@code CreateTaskResult} (the task under {@code
   * result.task}): recorded as {@link SessionTasks#created} records one, but the agent gets the
   * extension's flat {@code CreateTaskResult} ({@code resultType: "task"}, {@code ttlMs}, {@code
   * pollIntervalMs}).
   */
  ObjectNode created(TaskRegistry.Reservation reservation, TaskMethods.Creation creation, ObjectNode delivered, JsonNode id)
      throws JsonRpcException {
    JsonNode given = delivered.path("result").path("task");
    TaskRegistry.Task task = delivery.newTask(creation, given, "ttl", TaskRegistry.Form.TRANSLATED, id);
    ObjectNode result = TaskViews.extension(given, task).orElseThrow(() -> new IllegalStateException("checked above"));
    result.put("resultType", "task");
    ObjectNode answer = delivery.recordCreated(reservation, task, result, id);
    LOG.log(Level.DEBUG, "task created", LogField.of("session_id", task.auditSession()), LogField.of("tool", task.tool()),
        LogField.of("server", task.server()));
    return answer;
  }

  /** {@code tasks/get}, {@code tasks/update} or {@code tasks/cancel} of the extension, for a translated task. */
  ObjectNode handle(String method, JsonNode id, ObjectNode params, TaskRegistry.Task task) throws JsonRpcException {
    return switch (method) {
      case "tasks/get" -> get(id, task);
      case "tasks/update" -> update(id, params);
      case "tasks/cancel" -> cancel(id, task);
      default -> throw new IllegalArgumentException("not a method of the tasks extension: " + method);
    };
  }

  /**
   * {@code tasks/get}: the server's {@code tasks/get}, and once the task ended its {@code
   * tasks/result} (which then answers at once), inlined as the extension does and delivered as the
   * creating call's result. An {@code input_required} task is refused: see the class comment.
   */
  private ObjectNode get(JsonNode id, TaskRegistry.Task task) throws JsonRpcException {
    ObjectNode answer = TaskDelivery.agentAnswer(task, id, delivery.ask(task, "tasks/get", id, CallStream.none()));
    if (!(answer.get("result") instanceof ObjectNode upstream)) {
      return answer;
    }
    ObjectNode view = TaskViews.extension(upstream, task).orElseThrow(() -> TaskDelivery.malformed(task.server(), "tasks/get", id));
    switch (view.path("status").asText()) {
      case "completed", "failed" -> {
        delivery.refuseUnlessDeliverable(id, task);
        ObjectNode fetched;
        try {
          fetched = TaskDelivery.agentAnswer(task, id, delivery.send(task, "tasks/result", CallStream.none()));
        } catch (UpstreamException e) {
          delivery.outcome(task, "upstream_error", Optional.empty(), Optional.empty(), id);
          throw TaskDelivery.failed(task, "tasks/result", e, id);
        }
        if (fetched.get("result") instanceof ObjectNode inlined) {
          view.put("status", "completed");
          view.set("result", delivery.inlined(id, task, inlined));
        } else {
          // A 2025-11-25 task that failed answers tasks/result with the error; the extension shows it on the task.
          ObjectNode failure = NODES.objectNode();
          failure.set("error", fetched.get("error"));
          Optional<RedactionReport> redactions = delivery.redacted(id, task, failure);
          delivery.outcome(task, "upstream_error", Optional.empty(), redactions, id);
          view.put("status", "failed");
          view.set("error", failure.get("error"));
          registry.finished(task);
        }
      }
      case "input_required" -> throw new JsonRpcException(JsonRpcError.withWord(JsonRpcError.INVALID_REQUEST,
          "the server asks for input to go on with this task, but it is an MCP 2025-11-25 server, which asks only on the stream of a "
              + "waiting tasks/result, and the gateway cannot pass its questions on as inputRequests; cancel the task with "
              + "tasks/cancel, or call the tool from an MCP session initialized with 2025-11-25", "task_input_not_translated"),
          id, 200);
      default -> {
        // working, cancelled: the task's members only.
      }
    }
    answer.set("result", view);
    return answer;
  }

  /** {@code tasks/update}: a 2025-11-25 task has no questions the agent could have seen, so nothing goes on. */
  private static ObjectNode update(JsonNode id, ObjectNode params) throws JsonRpcException {
    if (!(params.get("inputResponses") instanceof ObjectNode)) {
      throw Caller.invalidParams(id, "tasks/update needs \"inputResponses\", an object keyed by the task's inputRequests");
    }
    ObjectNode answer = NODES.objectNode().put("jsonrpc", "2.0");
    answer.set("id", id);
    answer.putObject("result");
    return answer;
  }

  /** {@code tasks/cancel}: the server's {@code tasks/cancel}, acknowledged empty; outcome {@code cancelled}. */
  private ObjectNode cancel(JsonNode id, TaskRegistry.Task task) throws JsonRpcException {
    ObjectNode answer = TaskDelivery.acknowledged(
        TaskDelivery.agentAnswer(task, id, delivery.ask(task, "tasks/cancel", id, CallStream.none())));
    delivery.cancelled(task, answer, id);
    return answer;
  }
}
