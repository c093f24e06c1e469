package dev.cmcp.gateway.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.gateway.audit.AuditLog;
import dev.cmcp.gateway.policy.ActivePolicy;
import dev.cmcp.gateway.redaction.Redaction;
import dev.cmcp.gateway.upstream.AgentRelays;
import dev.cmcp.gateway.upstream.Upstreams;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Tasks through the gateway: the entry point the pipeline and the endpoint use. A task-augmented
 * {@code tools/call} is decided and audited like any call; the task its server creates is
 * recorded ({@link TaskRegistry}) under an id of the gateway's, for its creator only, and every
 * {@code tasks/*} about it is served in the upstream session the task lives in. What comes back is
 * the creating call's: checked, redacted by its decision's redaction and audited as another {@code
 * outcome} entry of that decision, and withheld after a policy reload ({@link TaskDelivery}).
 *
 * <p>A task has one of three forms ({@link TaskRegistry.Form}), each served by its own class:
 * {@link SessionTasks} (MCP 2025-11-25 tasks of a session), {@link ExtensionTasks} (the 2026-07-28
 * tasks extension, for stateless agents) and {@link TranslatedTasks} (a 2025-11-25 server's task
 * shown to a 2026-07-28 agent). This class holds what is decided before a call is forwarded (who
 * is offered tasks, what {@code task} goes on, what a server's refusal means) and sends each
 * {@code tasks/*} request to the class of its task's form.
 */
final class TaskMethods {

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  /** The revision that defines these tasks; sessions of older revisions are not offered them. */
  static final String REVISION = "2025-11-25";
  static final String RELATED_TASK = "io.modelcontextprotocol/related-task";

  private final TaskRegistry registry;
  private final SessionTasks session;
  private final ExtensionTasks extension;
  private final TranslatedTasks translated;
  private final TaskDelivery delivery;

  TaskMethods(TaskRegistry registry, Upstreams upstreams, Optional<AuditLog> audit, Supplier<ActivePolicy> policies,
      ToolCallPipeline.EvidenceCheck evidence, ToolCallPipeline.CallListener listener) {
    this.registry = registry;
    this.delivery = new TaskDelivery(registry, upstreams, audit, policies, evidence, listener);
    this.session = new SessionTasks(delivery);
    this.extension = new ExtensionTasks(delivery);
    this.translated = new TranslatedTasks(delivery);
  }

  TaskRegistry registry() {
    return registry;
  }

  // ---- Before a call is forwarded ----

  /** Whether a session of {@code protocolVersion} is offered tasks (and its initialize answer declares them). */
  static boolean offeredTo(String protocolVersion) {
    return REVISION.equals(protocolVersion);
  }

  /** The {@code tasks} capability the gateway declares: task-augmented {@code tools/call}, list and cancel. */
  static ObjectNode capability() {
    ObjectNode tasks = NODES.objectNode();
    tasks.putObject("list");
    tasks.putObject("cancel");
    tasks.putObject("requests").putObject("tools").putObject("call");
    return tasks;
  }

  /** Whether a server's tool definition says it may run as a task ({@code execution.taskSupport} optional or required). */
  static boolean supportsTasks(ObjectNode definition) {
    String support = definition.path("execution").path("taskSupport").asText("");
    return support.equals("optional") || support.equals("required");
  }

  /**
   * The {@code task} member forwarded for the agent's: its {@code ttl}, at most {@link
   * TaskRegistry#MAX_TTL}; an empty object when it asked for none.
   */
  static ObjectNode forwardedTask(JsonNode id, ObjectNode asked) throws JsonRpcException {
    ObjectNode task = NODES.objectNode();
    JsonNode ttl = asked.get("ttl");
    if (ttl == null || ttl.isNull()) {
      return task;
    }
    if (!ttl.isIntegralNumber() || !ttl.canConvertToLong() || ttl.longValue() < 0) {
      throw Caller.invalidParams(id, "tools/call \"task.ttl\" must be a whole number of milliseconds, 0 or more");
    }
    return task.put("ttl", Math.min(ttl.longValue(), TaskRegistry.MAX_TTL.toMillis()));
  }

  /** Whether {@code params} are those of a 2026-07-28 agent's request (its envelope in {@code _meta}). */
  static boolean isModern(ObjectNode params) {
    return ProtocolVersions.MODERN.equals(params.path("_meta").path(Modern.PROTOCOL_VERSION).asText());
  }

  /**
   * Whether {@code params} are those of a 2026-07-28 agent's request whose client capabilities
   * declare the tasks extension: its {@code tools/call} may then be answered with a task.
   */
  static boolean declaresModernTasks(ObjectNode params) {
    JsonNode meta = params.path("_meta");
    return ProtocolVersions.MODERN.equals(meta.path(Modern.PROTOCOL_VERSION).asText())
        && Modern.declaresTasks(meta.get(Modern.CLIENT_CAPABILITIES));
  }

  /**
   * Removes the tasks extension from the client capabilities forwarded in {@code params}: the
   * server may then not answer with a task (SEP-2663), used when the gateway has no room for one.
   */
  static void withoutModernTasks(ObjectNode params) {
    if (params.path("_meta").path(Modern.CLIENT_CAPABILITIES).get("extensions") instanceof ObjectNode extensions) {
      extensions.remove(Modern.TASKS_EXTENSION);
    }
  }

  /** Whether a server's error answer says the call needs the tasks extension ({@code -32021} naming it). */
  static boolean needsTasksExtension(ObjectNode answer) {
    JsonNode error = answer.path("error");
    return error.path("code").asInt() == Modern.MISSING_CLIENT_CAPABILITY
        && error.path("data").path("requiredCapabilities").path("extensions").has(Modern.TASKS_EXTENSION);
  }

  /**
   * A 2026-07-28 server's {@code -32021} for a call the gateway made for an agent that cannot use
   * the tasks extension (a 2025 agent, or a 2026 one that did not declare it): the message says
   * what the agent can do, since the capability it names is not the agent's to declare in a 2025
   * session. The code and the server's {@code data} stay.
   */
  static void explainTasksExtensionNeeded(ObjectNode answer, String tool, String server) {
    ((ObjectNode) answer.get("error")).put("message", "tool " + tool + " runs only as a task of the MCP 2026-07-28 tasks extension"
        + " on server " + server + ": call it as a 2026-07-28 client declaring " + Modern.TASKS_EXTENSION + " in"
        + " _meta." + Modern.CLIENT_CAPABILITIES + ".extensions (the gateway does not translate it into MCP 2025-11-25 tasks)");
  }

  /**
   * {@code relay}, passing on only the server's messages that are about no task or, when {@code
   * upstreamTaskId} is given, about that task ({@code _meta["io.modelcontextprotocol/related-task"]}):
   * a message about a task is the task creator's, never that of a call that happens to be in flight.
   */
  static AgentRelays.Relay about(Optional<String> upstreamTaskId, AgentRelays.Relay relay) {
    return new AgentRelays.Relay() {
      @Override
      public void log(ObjectNode notification) {
        if (belongs(notification)) {
          relay.log(notification);
        }
      }

      @Override
      public boolean ask(ObjectNode request, Consumer<ObjectNode> answer) {
        return belongs(request) && relay.ask(request, answer);
      }

      private boolean belongs(ObjectNode message) {
        JsonNode related = message.path("params").path("_meta").get(RELATED_TASK);
        return related == null || (upstreamTaskId.isPresent() && upstreamTaskId.get().equals(related.path("taskId").asText(null)));
      }
    };
  }

  // ---- A server created a task ----

  /** Who created a task, and under which decision: what the gateway records of the creating call. */
  record Creation(
      String agentSession, String principal, String server, String upstreamSession, String tool, String auditSession,
      Optional<AuditLog.Position> decisionAt, Optional<String> requestId, Redaction redaction, ActivePolicy active) {}

  /**
   * A 2025-11-25 server answered a task-augmented call with a {@code CreateTaskResult} ({@code
   * delivered}, the agent's answer): the task is recorded in {@code reservation}'s room as a task
   * of {@code form} ({@link TaskRegistry.Form#SESSION}, or {@link TaskRegistry.Form#TRANSLATED}
   * for a 2026-07-28 agent), and the agent gets the gateway's view of it, audited as the call's
   * outcome {@code task_created}.
   */
  ObjectNode created(TaskRegistry.Reservation reservation, Creation creation, ObjectNode delivered, JsonNode id,
      TaskRegistry.Form form) throws JsonRpcException {
    return switch (form) {
      case SESSION -> session.created(reservation, creation, delivered, id);
      case TRANSLATED -> translated.created(reservation, creation, delivered, id);
      case EXTENSION -> extension.created(reservation, creation, delivered, id);
    };
  }

  /** A 2026-07-28 server answered a call with the tasks extension's {@code CreateTaskResult} ({@link ExtensionTasks#created}). */
  ObjectNode createdModern(TaskRegistry.Reservation reservation, Creation creation, ObjectNode delivered, JsonNode id)
      throws JsonRpcException {
    return extension.created(reservation, creation, delivered, id);
  }

  // ---- The agent asks about a task ----

  /** {@code tasks/get}, {@code tasks/result}, {@code tasks/list} or {@code tasks/cancel} of an MCP session ({@link SessionTasks#handle}). */
  ObjectNode handle(String method, JsonNode id, ObjectNode params, String sessionId, CallStream stream) throws JsonRpcException {
    return session.handle(method, id, params, sessionId, stream);
  }

  /**
   * {@code tasks/get}, {@code tasks/update} or {@code tasks/cancel} of the 2026-07-28 tasks
   * extension, for a task of {@code owner} ({@link TaskRegistry#modernOwner}), served as its form
   * is: on a server of the extension, or translated for one spoken to in 2025-11-25.
   */
  ObjectNode handleModern(String method, JsonNode id, ObjectNode params, String owner) throws JsonRpcException {
    TaskRegistry.Task task = delivery.find(id, params, owner);
    return task.form() == TaskRegistry.Form.TRANSLATED
        ? translated.handle(method, id, params, task)
        : extension.handle(method, id, params, task);
  }

  // ---- A server tells of a task ----

  /** A server's {@code notifications/tasks} as a listen of the tasks' caller gets it ({@link ExtensionTasks#notice}). */
  Optional<ObjectNode> modernNotice(List<TaskRegistry.Task> tasks, ObjectNode notification) {
    return extension.notice(tasks, notification);
  }

  /** A server's {@code notifications/tasks/status} as the creating session gets it ({@link SessionTasks#statusNotice}). */
  Optional<SessionTasks.StatusNotice> statusNotice(String server, String upstreamSession, String upstreamTaskId, ObjectNode params) {
    return session.statusNotice(server, upstreamSession, upstreamTaskId, params);
  }
}
