package dev.cmcp.gateway.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.gateway.ops.LogField;
import dev.cmcp.gateway.redaction.RedactionReport;
import dev.cmcp.gateway.upstream.UpstreamException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.List;
import java.util.Optional;

/**
 * Tasks of the MCP 2026-07-28 tasks extension ({@code io.modelcontextprotocol/tasks}, {@link
 * TaskRegistry.Form#EXTENSION}) on a server that speaks 2026-07-28, for stateless agents whose
 * tasks belong to their caller ({@link TaskRegistry#modernOwner}). The server decides whether a
 * call becomes a task ({@link #created}); {@code tasks/get} inlines the result, delivered as the
 * creating call's; {@code tasks/update} and {@code tasks/cancel} are acknowledgments; a server's
 * {@code notifications/tasks} reach the caller's listens ({@link #notice}).
 */
final class ExtensionTasks {

  private static final Logger LOG = System.getLogger("cmcp.tasks");
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private final TaskDelivery delivery;
  private final TaskRegistry registry;

  ExtensionTasks(TaskDelivery delivery) {
    this.delivery = delivery;
    this.registry = delivery.registry();
  }

  /**
   * A 2026-07-28 server answered a call with a {@code CreateTaskResult} ({@code resultType: task},
   * the task's members at the top): the task is recorded in {@code reservation}'s room, and the
   * agent gets the gateway's view of it (its id, its ttl), audited as the call's outcome {@code
   * task_created}. The task's result comes later, inlined in {@code tasks/get}.
   */
  ObjectNode created(TaskRegistry.Reservation reservation, TaskMethods.Creation creation, ObjectNode delivered, JsonNode id)
      throws JsonRpcException {
    JsonNode given = delivered.path("result");
    TaskRegistry.Task task = delivery.newTask(creation, given, "ttlMs", TaskRegistry.Form.EXTENSION, id);
    ObjectNode result = TaskViews.extension(given, task).orElseThrow(() -> new IllegalStateException("checked above"));
    // Only the task's own members: a server's requestState or result do not belong on a CreateTaskResult.
    result.put("resultType", "task");
    ObjectNode answer = delivery.recordCreated(reservation, task, result, id);
    LOG.log(Level.DEBUG, "task created (tasks extension)", LogField.of("session_id", task.auditSession()),
        LogField.of("tool", task.tool()), LogField.of("server", task.server()));
    return answer;
  }

  /**
   * {@code tasks/get}, {@code tasks/update} or {@code tasks/cancel} of the extension, sent to the
   * task's server in that revision, under the server's id for it.
   */
  ObjectNode handle(String method, JsonNode id, ObjectNode params, TaskRegistry.Task task) throws JsonRpcException {
    return switch (method) {
      case "tasks/get" -> get(id, task);
      case "tasks/update" -> update(id, task, params);
      case "tasks/cancel" -> cancel(id, task);
      default -> throw new IllegalArgumentException("not a method of the tasks extension: " + method);
    };
  }

  /**
   * {@code tasks/get}: the task as its server reports it, under the gateway's id. A completed
   * task's inlined result is the creating call's: withheld after a reload, redacted by its
   * decision's redaction and audited as another outcome of that decision (its digest only); a
   * failed task's error is audited {@code upstream_error}. The server's questions of an {@code
   * input_required} task reach the agent only where the creating decision does not redact, as a
   * call's questions do.
   */
  private ObjectNode get(JsonNode id, TaskRegistry.Task task) throws JsonRpcException {
    ObjectNode answer = TaskDelivery.agentAnswer(task, id, ask(task, "tasks/get", Optional.empty(), id));
    if (!(answer.get("result") instanceof ObjectNode upstream)) {
      return answer;
    }
    ObjectNode view = TaskViews.extension(upstream, task).orElseThrow(() -> TaskDelivery.malformed(task.server(), "tasks/get", id));
    detail(view, upstream, task, id);
    answer.set("result", view);
    return answer;
  }

  /**
   * Adds to {@code view} what a task of {@code status} carries besides its members, from the
   * server's {@code upstream} task: a completed one's result or a failed one's error, delivered as
   * the creating call's (checked, redacted, audited), or an {@code input_required} one's questions
   * where the creating decision does not redact.
   */
  private void detail(ObjectNode view, ObjectNode upstream, TaskRegistry.Task task, JsonNode id) throws JsonRpcException {
    switch (view.path("status").asText()) {
      case "completed" -> {
        if (!(upstream.get("result") instanceof ObjectNode inlined)) {
          throw TaskDelivery.malformed(task.server(), "tasks/get", id);
        }
        view.set("result", delivery.inlined(id, task, inlined));
      }
      case "failed" -> {
        if (!(upstream.get("error") instanceof ObjectNode error) || !error.path("code").isIntegralNumber()
            || !error.path("message").isTextual()) {
          throw TaskDelivery.malformed(task.server(), "tasks/get", id);
        }
        delivery.refuseUnlessDeliverable(id, task);
        ObjectNode failure = NODES.objectNode();
        failure.set("error", error.deepCopy());
        Optional<RedactionReport> redactions = delivery.redacted(id, task, failure);
        delivery.outcome(task, "upstream_error", Optional.empty(), redactions, id);
        view.set("error", failure.get("error"));
        registry.finished(task);
      }
      case "input_required" -> {
        if (!(upstream.get("inputRequests") instanceof ObjectNode questions)) {
          throw TaskDelivery.malformed(task.server(), "tasks/get", id);
        }
        if (!task.redaction().isEmpty()) {
          throw new JsonRpcException(JsonRpcError.withWord(JsonRpcError.INVALID_REQUEST,
              "the server asks for input to go on with this task, but the policy that allowed its tools/call redacts the answer, "
                  + "and the server's questions, which no redaction reads, are not passed on under it (as during a call); cancel "
                  + "the task with tasks/cancel", "task_input_withheld"), id, 200);
        }
        view.set("inputRequests", questions.deepCopy());
      }
      default -> {
        // working, cancelled: the task's members only.
      }
    }
  }

  /** {@code tasks/update}: the agent's answers to the server's questions, passed on; acknowledged with an empty result. */
  private ObjectNode update(JsonNode id, TaskRegistry.Task task, ObjectNode params) throws JsonRpcException {
    if (!(params.get("inputResponses") instanceof ObjectNode responses)) {
      throw Caller.invalidParams(id, "tasks/update needs \"inputResponses\", an object keyed by the task's inputRequests");
    }
    return TaskDelivery.acknowledged(TaskDelivery.agentAnswer(task, id, ask(task, "tasks/update", Optional.of(responses), id)));
  }

  /** {@code tasks/cancel}: passed on; once the server acknowledged it, the creating call's outcome is {@code cancelled}. */
  private ObjectNode cancel(JsonNode id, TaskRegistry.Task task) throws JsonRpcException {
    ObjectNode answer = TaskDelivery.acknowledged(TaskDelivery.agentAnswer(task, id, ask(task, "tasks/cancel", Optional.empty(), id)));
    delivery.cancelled(task, answer, id);
    return answer;
  }

  /**
   * Sends {@code method} of the tasks extension to the task's server, in 2026-07-28 with the
   * extension declared (the server refuses the methods otherwise) and its own id for the task.
   */
  private ObjectNode ask(TaskRegistry.Task task, String method, Optional<ObjectNode> inputResponses, JsonNode id)
      throws JsonRpcException {
    ObjectNode params = NODES.objectNode().put("taskId", task.upstreamTaskId());
    inputResponses.ifPresent(responses -> params.set("inputResponses", responses.deepCopy()));
    ObjectNode meta = params.putObject("_meta").put(Modern.PROTOCOL_VERSION, ProtocolVersions.MODERN);
    meta.putObject(Modern.CLIENT_CAPABILITIES).putObject("extensions").putObject(Modern.TASKS_EXTENSION);
    try {
      return delivery.upstreams().connection(task.server(), task.upstreamSession()).request(method, params);
    } catch (UpstreamException e) {
      throw TaskDelivery.failed(task, method, e, id);
    }
  }

  /**
   * A server's {@code notifications/tasks} (the tasks extension) about one of {@code tasks}, as
   * their caller's listen gets it: the gateway's view of the task with what {@code tasks/get}
   * would add (a completed task's result delivered as the creating call's: checked, redacted,
   * audited). What {@code tasks/get} would refuse (a withheld result, questions under a redaction)
   * is left out, the status kept. Empty when it is about none of them or is not a task's.
   */
  Optional<ObjectNode> notice(List<TaskRegistry.Task> tasks, ObjectNode notification) {
    if (!(notification.get("params") instanceof ObjectNode given)) {
      return Optional.empty();
    }
    Optional<TaskRegistry.Task> about = tasks.stream().filter(task -> task.upstreamTaskId().equals(given.path("taskId").asText()))
        .filter(task -> registry.find(task.agentSession(), task.id()).isPresent()).findFirst();
    Optional<ObjectNode> view = about.flatMap(task -> TaskViews.extension(given, task));
    if (view.isEmpty()) {
      return Optional.empty();
    }
    ObjectNode detailed = view.get().deepCopy();
    try {
      detail(detailed, given, about.get(), NullNode.getInstance());
    } catch (JsonRpcException e) {
      detailed = view.get();
    }
    ObjectNode agents = NODES.objectNode().put("jsonrpc", "2.0").put("method", "notifications/tasks");
    agents.set("params", detailed);
    return Optional.of(agents);
  }
}
