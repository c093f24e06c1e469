package dev.cmcp.gateway.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.gateway.audit.AuditException;
import dev.cmcp.gateway.audit.AuditLog;
import dev.cmcp.gateway.ops.LogField;
import dev.cmcp.gateway.policy.ActivePolicy;
import dev.cmcp.gateway.redaction.Redaction;
import dev.cmcp.gateway.redaction.RedactionReport;
import dev.cmcp.gateway.redaction.ResponseRedactor;
import dev.cmcp.gateway.upstream.AgentRelays;
import dev.cmcp.gateway.upstream.UpstreamException;
import dev.cmcp.gateway.upstream.Upstreams;
import dev.cmcp.verify.audit.AuditRecord;
import dev.cmcp.verify.base.CanonicalJson;
import dev.cmcp.verify.base.Digests;
import dev.cmcp.verify.base.StrictJson;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * MCP 2025-11-25 tasks through the gateway: a task-augmented {@code tools/call} is decided and
 * audited like any call and forwarded with its {@code task} to an upstream tool that supports
 * tasks; the task the server creates is recorded ({@link TaskRegistry}) under an id of the
 * gateway's, and {@code tasks/get}, {@code tasks/result}, {@code tasks/list} and {@code
 * tasks/cancel} are served for the creating session only, in the upstream session the task lives
 * in. What comes back is the creating call's: the result is redacted by its decision's redaction
 * and audited as another {@code outcome} entry of its decision; a task's status messages are
 * withheld under a redaction, as a call's progress messages are.
 *
 * <p>The MCP 2026-07-28 tasks extension ({@code io.modelcontextprotocol/tasks}) is served the same
 * way for stateless agents, whose tasks belong to their caller ({@link TaskRegistry#modernOwner}):
 * the server decides whether a call becomes a task ({@link #createdModern}); {@code tasks/get}
 * inlines the result, delivered as {@code tasks/result} delivers it; {@code tasks/update} and
 * {@code tasks/cancel} are acknowledgments ({@link #handleModern}); {@code notifications/tasks}
 * are relayed to the caller's listens ({@link #modernNotice}). A 2025-11-25 server's task is
 * translated for a 2026-07-28 agent ({@link TaskRegistry.Form#TRANSLATED}): its result is fetched
 * with {@code tasks/result} once it ended; its questions cannot be (a 2025-11-25 server asks them
 * only on a waiting {@code tasks/result}'s stream), so the agent is told to cancel.
 *
 * <p>A result is delivered only under the policy bundle and catalog that decided the creating call:
 * after a reload it is withheld (fail closed) and the agent told to call the tool again, so that
 * no result escapes a rule added since.
 */
final class TaskMethods {

  private static final Logger LOG = System.getLogger("cmcp.tasks");
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  /** The revision that defines these tasks; sessions of older revisions are not offered them. */
  static final String REVISION = "2025-11-25";
  static final String RELATED_TASK = "io.modelcontextprotocol/related-task";
  private static final String IMMEDIATE_RESPONSE = "io.modelcontextprotocol/model-immediate-response";
  private static final Set<String> STATUSES = Set.of("working", "input_required", "completed", "failed", "cancelled");
  /** The longest status message passed on, in characters; a longer one is cut. */
  private static final int MAX_STATUS_MESSAGE = 1024;

  private final TaskRegistry registry;
  private final Upstreams upstreams;
  private final Optional<AuditLog> audit;
  private final Supplier<ActivePolicy> policies;
  private final ToolCallPipeline.EvidenceCheck evidence;
  private final ToolCallPipeline.CallListener listener;
  private final ResponseRedactor redactor = new ResponseRedactor(new StrictJson());

  TaskMethods(TaskRegistry registry, Upstreams upstreams, Optional<AuditLog> audit, Supplier<ActivePolicy> policies,
      ToolCallPipeline.EvidenceCheck evidence, ToolCallPipeline.CallListener listener) {
    this.registry = registry;
    this.upstreams = upstreams;
    this.audit = audit;
    this.policies = policies;
    this.evidence = evidence;
    this.listener = listener;
  }

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

  TaskRegistry registry() {
    return registry;
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
   * A 2026-07-28 server answered a call with a {@code CreateTaskResult} ({@code resultType: task},
   * the task's members at the top): the task is recorded in {@code reservation}'s room, and the
   * agent gets the gateway's view of it (its id, its ttl), audited as the call's outcome {@code
   * task_created}. The task's result comes later, inlined in {@code tasks/get}.
   */
  ObjectNode createdModern(TaskRegistry.Reservation reservation, Creation creation, ObjectNode delivered, JsonNode id)
      throws JsonRpcException {
    JsonNode given = delivered.path("result");
    if (!given.path("taskId").isTextual() || given.path("taskId").asText().isEmpty() || !STATUSES.contains(given.path("status").asText())) {
      outcome(creation.auditSession(), creation.tool(), creation.decisionAt(), creation.requestId(), "upstream_error",
          Optional.empty(), Optional.empty(), id);
      throw malformed(creation.server(), "tools/call", id);
    }
    Optional<Long> ttl = given.path("ttlMs").isIntegralNumber() ? Optional.of(given.get("ttlMs").longValue()) : Optional.empty();
    TaskRegistry.Task task = new TaskRegistry.Task(TaskRegistry.newId(), creation.agentSession(), creation.principal(),
        creation.server(), creation.upstreamSession(), given.get("taskId").asText(), creation.tool(), creation.auditSession(),
        creation.decisionAt(), creation.requestId(), creation.redaction(), creation.active().bundle().bundleHash(),
        creation.active().catalog().catalogHash(), registry.now(), registry.expiry(ttl), TaskRegistry.Form.EXTENSION);
    ObjectNode result = modernView(given, task).orElseThrow(() -> new IllegalStateException("checked above"));
    // Only the task's own members: a server's requestState or result do not belong on a CreateTaskResult.
    result.put("resultType", "task");
    ObjectNode answer = NODES.objectNode().put("jsonrpc", "2.0");
    answer.set("id", id);
    answer.set("result", result);
    registry.record(reservation, task);
    try {
      outcome(task.auditSession(), task.tool(), task.decisionAt(), task.requestId(), "task_created",
          Optional.of(Digests.sha256Hex(CanonicalJson.bytes(result))), Optional.empty(), id);
    } catch (JsonRpcException e) {
      registry.endTask(task);
      throw e;
    }
    LOG.log(Level.DEBUG, "task created (tasks extension)", LogField.of("session_id", task.auditSession()),
        LogField.of("tool", task.tool()), LogField.of("server", task.server()));
    return answer;
  }

  /**
   * {@code tasks/get}, {@code tasks/update} or {@code tasks/cancel} of the 2026-07-28 tasks
   * extension, for a task of {@code owner} ({@link TaskRegistry#modernOwner}); sent to the task's
   * server in that revision, under the server's id for it.
   */
  ObjectNode handleModern(String method, JsonNode id, ObjectNode params, String owner) throws JsonRpcException {
    TaskRegistry.Task task = find(id, params, owner);
    if (task.form() == TaskRegistry.Form.TRANSLATED) {
      return switch (method) {
        case "tasks/get" -> translatedGet(id, task);
        case "tasks/update" -> translatedUpdate(id, params);
        case "tasks/cancel" -> translatedCancel(id, task);
        default -> throw new IllegalArgumentException("not a method of the tasks extension: " + method);
      };
    }
    return switch (method) {
      case "tasks/get" -> modernGet(id, task);
      case "tasks/update" -> modernUpdate(id, task, params);
      case "tasks/cancel" -> modernCancel(id, task);
      default -> throw new IllegalArgumentException("not a method of the tasks extension: " + method);
    };
  }

  /**
   * {@code tasks/get} of a task that lives on a 2025-11-25 server: its {@code tasks/get} there, and
   * once it ended its {@code tasks/result} (which then answers at once), inlined as the extension
   * does and delivered as the creating call's result. An {@code input_required} task cannot be
   * translated: a 2025-11-25 server asks its questions only on the stream of a {@code tasks/result}
   * that waits, which the extension has no way to give the agent; the agent is told so.
   */
  private ObjectNode translatedGet(JsonNode id, TaskRegistry.Task task) throws JsonRpcException {
    ObjectNode answer = agentAnswer(task, id, ask(task, "tasks/get", id, CallStream.none()));
    if (!(answer.get("result") instanceof ObjectNode upstream)) {
      return answer;
    }
    ObjectNode view = modernView(upstream, task).orElseThrow(() -> malformed(task.server(), "tasks/get", id));
    switch (view.path("status").asText()) {
      case "completed", "failed" -> {
        refuseUnlessDeliverable(id, task);
        ObjectNode fetched;
        try {
          fetched = agentAnswer(task, id, send(task, "tasks/result", CallStream.none()));
        } catch (UpstreamException e) {
          outcome(task, "upstream_error", Optional.empty(), Optional.empty(), id);
          throw failed(task, "tasks/result", e, id);
        }
        if (fetched.get("result") instanceof ObjectNode inlined) {
          view.put("status", "completed");
          view.set("result", delivered(id, task, inlined));
        } else {
          ObjectNode failure = NODES.objectNode();
          failure.set("error", fetched.get("error"));
          Optional<RedactionReport> redactions = redacted(id, task, failure);
          outcome(task, "upstream_error", Optional.empty(), redactions, id);
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

  /** {@code tasks/update} of a translated task: a 2025-11-25 task has no questions the agent could have seen, so nothing goes on. */
  private static ObjectNode translatedUpdate(JsonNode id, ObjectNode params) throws JsonRpcException {
    if (!(params.get("inputResponses") instanceof ObjectNode)) {
      throw Caller.invalidParams(id, "tasks/update needs \"inputResponses\", an object keyed by the task's inputRequests");
    }
    ObjectNode answer = NODES.objectNode().put("jsonrpc", "2.0");
    answer.set("id", id);
    answer.putObject("result");
    return answer;
  }

  /** {@code tasks/cancel} of a translated task: the server's {@code tasks/cancel}, acknowledged empty; outcome {@code cancelled}. */
  private ObjectNode translatedCancel(JsonNode id, TaskRegistry.Task task) throws JsonRpcException {
    ObjectNode answer = acknowledged(agentAnswer(task, id, ask(task, "tasks/cancel", id, CallStream.none())));
    if (answer.has("result")) {
      outcome(task, "cancelled", Optional.empty(), Optional.empty(), id);
      registry.finished(task);
    }
    return answer;
  }

  /**
   * {@code tasks/get}: the task as its server reports it, under the gateway's id. A completed
   * task's inlined result is the creating call's: withheld after a reload, redacted by its
   * decision's redaction and audited as another outcome of that decision (its digest only); a
   * failed task's error is audited {@code upstream_error}. The server's questions of an {@code
   * input_required} task reach the agent only where the creating decision does not redact, as a
   * call's questions do.
   */
  private ObjectNode modernGet(JsonNode id, TaskRegistry.Task task) throws JsonRpcException {
    ObjectNode answer = agentAnswer(task, id, askModern(task, "tasks/get", Optional.empty(), id));
    if (!(answer.get("result") instanceof ObjectNode upstream)) {
      return answer;
    }
    ObjectNode view = modernView(upstream, task).orElseThrow(() -> malformed(task.server(), "tasks/get", id));
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
          throw malformed(task.server(), "tasks/get", id);
        }
        view.set("result", delivered(id, task, inlined));
      }
      case "failed" -> {
        if (!(upstream.get("error") instanceof ObjectNode error) || !error.path("code").isIntegralNumber()
            || !error.path("message").isTextual()) {
          throw malformed(task.server(), "tasks/get", id);
        }
        refuseUnlessDeliverable(id, task);
        ObjectNode failure = NODES.objectNode();
        failure.set("error", error.deepCopy());
        Optional<RedactionReport> redactions = redacted(id, task, failure);
        outcome(task, "upstream_error", Optional.empty(), redactions, id);
        view.set("error", failure.get("error"));
        registry.finished(task);
      }
      case "input_required" -> {
        if (!(upstream.get("inputRequests") instanceof ObjectNode questions)) {
          throw malformed(task.server(), "tasks/get", id);
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

  /** A completed task's result as the agent gets it: checked, redacted and audited as the creating call's result. */
  private ObjectNode delivered(JsonNode id, TaskRegistry.Task task, ObjectNode inlined) throws JsonRpcException {
    refuseUnlessDeliverable(id, task);
    ObjectNode response = NODES.objectNode();
    ObjectNode result = inlined.deepCopy();
    if (result.get("_meta") instanceof ObjectNode meta) {
      // The server's id for the task is not the agent's, and the extension has no such member on an inlined result.
      meta.remove(RELATED_TASK);
      if (meta.isEmpty()) {
        result.remove("_meta");
      }
    }
    response.set("result", result);
    Optional<RedactionReport> redactions = redacted(id, task, response);
    ObjectNode shown = (ObjectNode) response.get("result");
    outcome(task, shown.path("isError").asBoolean(false) ? "tool_error" : "ok",
        Optional.of(Digests.sha256Hex(CanonicalJson.bytes(shown))), redactions, id);
    registry.finished(task);
    return shown;
  }

  /** Redacts {@code response} in place by the creating decision's redaction; fails closed. */
  private Optional<RedactionReport> redacted(JsonNode id, TaskRegistry.Task task, ObjectNode response) throws JsonRpcException {
    if (task.redaction().isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(redactor.redact(response, task.redaction()));
    } catch (RuntimeException e) {
      LOG.log(Level.ERROR, "redaction of a task result failed; the result is withheld", LogField.of("tool", task.tool()),
          LogField.of("error", e.getClass().getName()));
      outcome(task, "redaction_failed", Optional.empty(), Optional.empty(), id);
      throw new JsonRpcException(JsonRpcError.withWord(JsonRpcError.INTERNAL_ERROR,
          "the answer could not be redacted as the policy requires, so it is withheld (fail closed)", "redaction_failed"), id, 200);
    }
  }

  /** {@code tasks/update}: the agent's answers to the server's questions, passed on; acknowledged with an empty result. */
  private ObjectNode modernUpdate(JsonNode id, TaskRegistry.Task task, ObjectNode params) throws JsonRpcException {
    if (!(params.get("inputResponses") instanceof ObjectNode responses)) {
      throw Caller.invalidParams(id, "tasks/update needs \"inputResponses\", an object keyed by the task's inputRequests");
    }
    return acknowledged(agentAnswer(task, id, askModern(task, "tasks/update", Optional.of(responses), id)));
  }

  /** {@code tasks/cancel}: passed on; once the server acknowledged it, the creating call's outcome is {@code cancelled}. */
  private ObjectNode modernCancel(JsonNode id, TaskRegistry.Task task) throws JsonRpcException {
    ObjectNode answer = acknowledged(agentAnswer(task, id, askModern(task, "tasks/cancel", Optional.empty(), id)));
    if (answer.has("result")) {
      outcome(task, "cancelled", Optional.empty(), Optional.empty(), id);
      registry.finished(task);
    }
    return answer;
  }

  /** An acknowledgement is an empty result (the endpoint adds {@code resultType}); an error as the server gave it. */
  private static ObjectNode acknowledged(ObjectNode answer) {
    if (answer.has("result")) {
      answer.putObject("result");
    }
    return answer;
  }

  /**
   * Sends {@code method} of the tasks extension to the task's server, in 2026-07-28 with the
   * extension declared (the server refuses the methods otherwise) and its own id for the task.
   */
  private ObjectNode askModern(TaskRegistry.Task task, String method, Optional<ObjectNode> inputResponses, JsonNode id)
      throws JsonRpcException {
    ObjectNode params = NODES.objectNode().put("taskId", task.upstreamTaskId());
    inputResponses.ifPresent(responses -> params.set("inputResponses", responses.deepCopy()));
    ObjectNode meta = params.putObject("_meta").put(Modern.PROTOCOL_VERSION, ProtocolVersions.MODERN);
    meta.putObject(Modern.CLIENT_CAPABILITIES).putObject("extensions").putObject(Modern.TASKS_EXTENSION);
    try {
      return upstreams.connection(task.server(), task.upstreamSession()).request(method, params);
    } catch (UpstreamException e) {
      throw failed(task, method, e, id);
    }
  }

  /**
   * The agent's view of a server's task of the extension: the gateway's id and ttl, the status and
   * times, the poll interval, and the status message only where the creating decision asked for
   * no redaction. Empty when the object is not a task of this id.
   */
  private static Optional<ObjectNode> modernView(JsonNode upstream, TaskRegistry.Task task) {
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
    view.put("ttlMs", task.ttlMillis());
    // A 2025-11-25 server names it pollInterval.
    JsonNode poll = upstream.get(task.form() == TaskRegistry.Form.TRANSLATED ? "pollInterval" : "pollIntervalMs");
    if (poll != null && poll.isIntegralNumber() && poll.canConvertToLong() && poll.longValue() > 0) {
      view.put("pollIntervalMs", poll.longValue());
    }
    return Optional.of(view);
  }

  /** Who created a task, and under which decision: what the gateway records of the creating call. */
  record Creation(
      String agentSession, String principal, String server, String upstreamSession, String tool, String auditSession,
      Optional<AuditLog.Position> decisionAt, Optional<String> requestId, Redaction redaction, ActivePolicy active) {}

  /**
   * The upstream answered a task-augmented call with a {@code CreateTaskResult} ({@code delivered},
   * the agent's answer): the task is recorded in {@code reservation}'s room, the answer rewritten to
   * the gateway's view of it (its id, its ttl, no status message under a redaction) and audited as
   * the call's outcome {@code task_created}.
   */
  ObjectNode created(TaskRegistry.Reservation reservation, Creation creation, ObjectNode delivered, JsonNode id)
      throws JsonRpcException {
    return created(reservation, creation, delivered, id, TaskRegistry.Form.SESSION);
  }

  /**
   * As above, for an agent that sees the task in {@code form}: {@link TaskRegistry.Form#SESSION}, or
   * {@link TaskRegistry.Form#TRANSLATED} for a 2026-07-28 agent, which gets the extension's flat
   * {@code CreateTaskResult} ({@code resultType: "task"}, {@code ttlMs}, {@code pollIntervalMs}).
   */
  ObjectNode created(TaskRegistry.Reservation reservation, Creation creation, ObjectNode delivered, JsonNode id,
      TaskRegistry.Form form) throws JsonRpcException {
    JsonNode upstreamTask = delivered.path("result").get("task");
    if (!(upstreamTask instanceof ObjectNode given) || !given.path("taskId").isTextual() || given.path("taskId").asText().isEmpty()
        || !STATUSES.contains(given.path("status").asText())) {
      outcome(creation.auditSession(), creation.tool(), creation.decisionAt(), creation.requestId(), "upstream_error",
          Optional.empty(), Optional.empty(), id);
      throw malformed(creation.server(), "tools/call", id);
    }
    Optional<Long> ttl = given.path("ttl").isIntegralNumber() ? Optional.of(given.get("ttl").longValue()) : Optional.empty();
    Instant now = registry.now();
    TaskRegistry.Task task = new TaskRegistry.Task(TaskRegistry.newId(), creation.agentSession(), creation.principal(),
        creation.server(),
        creation.upstreamSession(), given.get("taskId").asText(), creation.tool(), creation.auditSession(),
        creation.decisionAt(), creation.requestId(), creation.redaction(), creation.active().bundle().bundleHash(),
        creation.active().catalog().catalogHash(), now, registry.expiry(ttl), form);
    ObjectNode result;
    if (form == TaskRegistry.Form.TRANSLATED) {
      result = modernView(given, task).orElseThrow(() -> new IllegalStateException("checked above"));
      result.put("resultType", "task");
    } else {
      result = NODES.objectNode();
      result.set("task", view(given, task).orElseThrow(() -> new IllegalStateException("checked above")));
      JsonNode immediate = delivered.path("result").path("_meta").get(IMMEDIATE_RESPONSE);
      if (immediate != null && immediate.isTextual() && creation.redaction().isEmpty()) {
        result.putObject("_meta").set(IMMEDIATE_RESPONSE, immediate);
      }
    }
    ObjectNode answer = NODES.objectNode().put("jsonrpc", "2.0");
    answer.set("id", id);
    answer.set("result", result);
    // Recorded before the outcome, so that an agent told of the task can always fetch it; an
    // outcome the log cannot record withholds the answer (and forgets the task) instead.
    registry.record(reservation, task);
    try {
      // The pipeline tells the listener of the call once it returns.
      outcome(task.auditSession(), task.tool(), task.decisionAt(), task.requestId(), "task_created",
          Optional.of(Digests.sha256Hex(CanonicalJson.bytes(result))), Optional.empty(), id);
    } catch (JsonRpcException e) {
      registry.endTask(task);
      throw e;
    }
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
      case "tasks/get" -> status(id, find(id, params, session), "tasks/get");
      case "tasks/cancel" -> cancel(id, find(id, params, session));
      case "tasks/result" -> result(id, find(id, params, session), stream);
      default -> throw new IllegalArgumentException("not a tasks method: " + method);
    };
  }

  private TaskRegistry.Task find(JsonNode id, ObjectNode params, String session) throws JsonRpcException {
    JsonNode taskId = params.get("taskId");
    if (taskId == null || !taskId.isTextual()) {
      throw Caller.invalidParams(id, "tasks methods need \"taskId\", a string");
    }
    // Unknown, expired and another session's are answered alike, so that nobody learns of another's task.
    return registry.find(session, taskId.asText()).orElseThrow(() -> Caller.invalidParams(id,
        "Failed to retrieve task: no task " + abbreviate(taskId.asText()) + " of this " + (session.startsWith("caller:") ? "caller" : "session")
            + " (unknown, or expired: the gateway keeps a task for its ttl, at most " + TaskRegistry.MAX_TTL.toMinutes()
            + " minutes, and forgets a session's tasks when it ends)"));
  }

  /** The task's status, asked of its server: {@code tasks/get}, or after a {@code tasks/cancel}. */
  private ObjectNode status(JsonNode id, TaskRegistry.Task task, String method) throws JsonRpcException {
    ObjectNode answer = agentAnswer(task, id, ask(task, method, id, CallStream.none()));
    if (answer.get("result") instanceof ObjectNode result) {
      answer.set("result", view(result, task).orElseThrow(() -> malformed(task.server(), method, id)));
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
    if (answer.has("result")) {
      outcome(task, "cancelled", Optional.empty(), Optional.empty(), id);
      registry.finished(task);
    }
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
        ObjectNode answer = ask(task, "tasks/get", id, CallStream.none());
        if (answer.get("result") instanceof ObjectNode result) {
          view(result, task).ifPresent(tasks::add);
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
    refuseUnlessDeliverable(id, task);
    ObjectNode upstream;
    try {
      upstream = send(task, "tasks/result", stream);
    } catch (UpstreamException e) {
      // As a call's outcome says it: the agent called the wait off, the answer was too large, or the server failed.
      outcome(task, switch (e.kind()) {
        case RESPONSE_TOO_LARGE -> "response_too_large";
        case CANCELLED -> "cancelled";
        default -> "upstream_error";
      }, Optional.empty(), Optional.empty(), id);
      throw failed(task, "tasks/result", e, id);
    }
    ObjectNode answer;
    try {
      answer = agentAnswer(task, id, upstream);
    } catch (JsonRpcException e) {
      outcome(task, "upstream_error", Optional.empty(), Optional.empty(), id);
      throw e;
    }
    if (answer.get("result") instanceof ObjectNode result && result.get("_meta") instanceof ObjectNode meta) {
      // The server's id for the task is not the agent's; set again below, after redaction.
      meta.remove(RELATED_TASK);
    }
    Optional<RedactionReport> redactions = Optional.empty();
    if (!task.redaction().isEmpty()) {
      try {
        redactions = Optional.of(redactor.redact(answer, task.redaction()));
      } catch (RuntimeException e) {
        LOG.log(Level.ERROR, "redaction of a task result failed; the result is withheld", LogField.of("tool", task.tool()),
            LogField.of("error", e.getClass().getName()));
        outcome(task, "redaction_failed", Optional.empty(), Optional.empty(), id);
        throw new JsonRpcException(JsonRpcError.withWord(JsonRpcError.INTERNAL_ERROR,
            "the answer could not be redacted as the policy requires, so it is withheld (fail closed)", "redaction_failed"), id, 200);
      }
    }
    if (answer.get("result") instanceof ObjectNode result) {
      ObjectNode meta = result.get("_meta") instanceof ObjectNode existing ? existing : result.putObject("_meta");
      meta.putObject(RELATED_TASK).put("taskId", task.id());
      String outcome = result.path("isError").asBoolean(false) ? "tool_error" : "ok";
      outcome(task, outcome, Optional.of(Digests.sha256Hex(CanonicalJson.bytes(result))), redactions, id);
      registry.finished(task);
    } else {
      outcome(task, "upstream_error", Optional.empty(), redactions, id);
    }
    return answer;
  }

  /**
   * A task's result (or failure) is delivered only with fresh attestation evidence and under the
   * bundle and catalog that decided the creating call: after a reload it is withheld (fail closed),
   * audited {@code withheld_policy_changed}, and the agent told to call the tool again.
   */
  private void refuseUnlessDeliverable(JsonNode id, TaskRegistry.Task task) throws JsonRpcException {
    Optional<String> stale = evidence.refusal();
    if (stale.isPresent()) {
      throw new JsonRpcException(JsonRpcError.withWord(JsonRpcError.INTERNAL_ERROR,
          "the gateway's attestation evidence is stale and could not be renewed, so results are withheld "
              + "(staleness_policy fail_closed); the operator must restore the attestation platform", "evidence_stale"), id, 503);
    }
    ActivePolicy active = policies.get();
    if (!active.bundle().bundleHash().equals(task.bundleHash()) || !active.catalog().catalogHash().equals(task.catalogHash())) {
      outcome(task, "withheld_policy_changed", Optional.empty(), Optional.empty(), id);
      throw new JsonRpcException(JsonRpcError.withWord(JsonRpcError.INVALID_REQUEST,
          "the policy bundle or catalog changed since this task's tools/call was decided, so its result is withheld (fail "
              + "closed); call the tool again to have it decided under the current policy", "task_policy_changed"), id, 200);
    }
  }

  /**
   * Sends {@code method} for the task to its server, in its upstream session; the server's whole
   * answer. Registered among the session's requests in flight, like every governed request, so that
   * nothing the server sends meanwhile is taken for another call's; what it sends about this task
   * reaches {@code stream} unless the creating decision redacts (only the result passes redaction).
   */
  // "try": the relay registration is held only for its scope (open while the request is in flight).
  @SuppressWarnings("try")
  private ObjectNode send(TaskRegistry.Task task, String method, CallStream stream) throws UpstreamException {
    AgentRelays.Relay relay = task.redaction().isEmpty() ? about(Optional.of(task.upstreamTaskId()), stream) : AgentRelays.Relay.NONE;
    try (AgentRelays.Registration inFlight = upstreams.relays().open(task.server(), task.upstreamSession(), relay)) {
      return upstreams.connection(task.server(), task.upstreamSession())
          .request(method, NODES.objectNode().put("taskId", task.upstreamTaskId()), stream.cancellation(), stream.watcher());
    }
  }

  /** As {@link #send}, an upstream failure told to the agent as a call's is. */
  private ObjectNode ask(TaskRegistry.Task task, String method, JsonNode id, CallStream stream) throws JsonRpcException {
    try {
      return send(task, method, stream);
    } catch (UpstreamException e) {
      throw failed(task, method, e, id);
    }
  }

  private static JsonRpcException failed(TaskRegistry.Task task, String method, UpstreamException e, JsonNode id) {
    // The upstream package's messages name the server and the failure, never the task's content.
    LOG.log(e.kind() == UpstreamException.Kind.CANCELLED ? Level.INFO : Level.WARNING, "upstream failed", LogField.of("method", method),
        LogField.of("tool", task.tool()), LogField.of("error", e.getMessage()));
    return UpstreamErrors.toJsonRpc(e, id);
  }

  /** The agent's answer built from the server's, as a call's is ({@link AgentAnswer}); a malformed one is refused. */
  private static ObjectNode agentAnswer(TaskRegistry.Task task, JsonNode id, ObjectNode upstream) throws JsonRpcException {
    return AgentAnswer.of(upstream, id).orElseThrow(() -> malformed(task.server(), "tasks", id));
  }

  /**
   * The agent's view of a server's task object: the gateway's id and ttl, the status and times,
   * and the status message only where the creating decision asked for no redaction (it is the
   * server's free text, which no redaction reads). Empty when the object is not a task of this id.
   */
  private static Optional<ObjectNode> view(JsonNode upstream, TaskRegistry.Task task) {
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
    view.put("ttl", task.ttlMillis());
    JsonNode poll = upstream.get("pollInterval");
    if (poll != null && poll.isIntegralNumber() && poll.canConvertToLong() && poll.longValue() >= 0) {
      view.put("pollInterval", poll.longValue());
    }
    return Optional.of(view);
  }

  /**
   * A server's {@code notifications/tasks} (the tasks extension) about one of {@code tasks}, as
   * their caller's listen gets it: the gateway's view of the task with what {@code tasks/get}
   * would add (a completed task's result delivered as the creating call's: checked, redacted,
   * audited). What {@code tasks/get} would refuse (a withheld result, questions under a redaction)
   * is left out, the status kept. Empty when it is about none of them or is not a task's.
   */
  Optional<ObjectNode> modernNotice(List<TaskRegistry.Task> tasks, ObjectNode notification) {
    if (!(notification.get("params") instanceof ObjectNode given)) {
      return Optional.empty();
    }
    Optional<TaskRegistry.Task> about = tasks.stream().filter(task -> task.upstreamTaskId().equals(given.path("taskId").asText()))
        .filter(task -> registry.find(task.agentSession(), task.id()).isPresent()).findFirst();
    Optional<ObjectNode> view = about.flatMap(task -> modernView(given, task));
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

  /** A notification for the agent session that created a task: where it goes, and what it says. */
  record StatusNotice(String agentSession, ObjectNode notification) {}

  /**
   * A server's MCP 2025-11-25 {@code notifications/tasks/status}, sent after the creating call
   * returned, as the creating session gets it: the gateway's view of the task ({@link #view}: its
   * id and ttl, no status message under a redaction). Empty when the gateway recorded no such task
   * in that upstream session, or when the params are not a task's: nobody else ever hears it.
   */
  Optional<StatusNotice> statusNotice(String server, String upstreamSession, String upstreamTaskId, ObjectNode params) {
    return registry.findUpstream(server, upstreamSession, upstreamTaskId).filter(task -> task.form() == TaskRegistry.Form.SESSION)
        .flatMap(task -> view(params, task).map(view -> {
          ObjectNode notification = NODES.objectNode().put("jsonrpc", "2.0").put("method", "notifications/tasks/status");
          notification.set("params", view);
          return new StatusNotice(task.agentSession(), notification);
        }));
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

  private static Optional<String> text(JsonNode node) {
    return node != null && node.isTextual() && node.asText().length() <= 64 ? Optional.of(node.asText()) : Optional.empty();
  }

  /** Writes an outcome entry of the task's creating decision: its digest only, never the result. */
  private void outcome(TaskRegistry.Task task, String outcome, Optional<String> resultSha256, Optional<RedactionReport> redactions,
      JsonNode id) throws JsonRpcException {
    outcome(task.auditSession(), task.tool(), task.decisionAt(), task.requestId(), outcome, resultSha256, redactions, id);
    listener.recorded(task.auditSession());
  }

  private void outcome(String auditSession, String tool, Optional<AuditLog.Position> decisionAt, Optional<String> requestId, String outcome,
      Optional<String> resultSha256, Optional<RedactionReport> redactions, JsonNode id) throws JsonRpcException {
    if (audit.isEmpty() || decisionAt.isEmpty()) {
      return;
    }
    try {
      // The decision's epoch: a task's result can come after the log rotated.
      audit.get().appendOutcome(new AuditRecord.Outcome(decisionAt.get().index(), auditSession, tool, outcome, resultSha256,
          redactions.map(RedactionReport::toAudit), requestId, Optional.of(decisionAt.get().epoch())));
    } catch (AuditException e) {
      LOG.log(Level.ERROR, "audit log cannot record; the task's answer is withheld", LogField.of("tool", tool),
          LogField.of("error", e.getMessage()));
      throw new JsonRpcException(JsonRpcError.withWord(JsonRpcError.INTERNAL_ERROR,
          "the audit log cannot record this answer, so it is withheld (fail closed); the operator must fix the audit_dir",
          "audit_unavailable"), id, 503);
    }
  }

  private static JsonRpcException malformed(String server, String method, JsonNode id) {
    return new JsonRpcException(JsonRpcError.withWord(JsonRpcError.INTERNAL_ERROR, "upstream " + server + " answered " + method
        + " with a message MCP does not allow (a task needs its taskId and a known status; a result must be an object)",
        "upstream_protocol_error"), id, 200);
  }

  private static String abbreviate(String text) {
    return abbreviate(text, 80);
  }

  private static String abbreviate(String text, int most) {
    return text.length() <= most ? text : text.substring(0, most) + "...";
  }
}
