package dev.cmcp.gateway.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.gateway.audit.AuditException;
import dev.cmcp.gateway.audit.AuditLog;
import dev.cmcp.gateway.ops.LogField;
import dev.cmcp.gateway.policy.ActivePolicy;
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
import java.util.Optional;
import java.util.function.Supplier;

/**
 * What every form of task ({@link TaskRegistry.Form}) does alike, so that each form's class says
 * only how it differs: finding the caller's task, recording a created one, talking to the task's
 * server in its upstream session, and delivering what comes back as the creating call's. A result
 * is delivered only with fresh attestation evidence and under the policy bundle and catalog that
 * decided the creating call, redacted by that decision's redaction and audited as another {@code
 * outcome} entry of it (a digest, never the result). Every refusal fails closed.
 */
final class TaskDelivery {

  private static final Logger LOG = System.getLogger("cmcp.tasks");
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private final TaskRegistry registry;
  private final Upstreams upstreams;
  private final Optional<AuditLog> audit;
  private final Supplier<ActivePolicy> policies;
  private final ToolCallPipeline.EvidenceCheck evidence;
  private final ToolCallPipeline.CallListener listener;
  private final ResponseRedactor redactor = new ResponseRedactor(new StrictJson());

  TaskDelivery(TaskRegistry registry, Upstreams upstreams, Optional<AuditLog> audit, Supplier<ActivePolicy> policies,
      ToolCallPipeline.EvidenceCheck evidence, ToolCallPipeline.CallListener listener) {
    this.registry = registry;
    this.upstreams = upstreams;
    this.audit = audit;
    this.policies = policies;
    this.evidence = evidence;
    this.listener = listener;
  }

  TaskRegistry registry() {
    return registry;
  }

  Upstreams upstreams() {
    return upstreams;
  }

  /** The task {@code params.taskId} names, if it is {@code owner}'s (a session, or a caller: {@link TaskRegistry#modernOwner}). */
  TaskRegistry.Task find(JsonNode id, ObjectNode params, String owner) throws JsonRpcException {
    JsonNode taskId = params.get("taskId");
    if (taskId == null || !taskId.isTextual()) {
      throw Caller.invalidParams(id, "tasks methods need \"taskId\", a string");
    }
    // Unknown, expired and another session's are answered alike, so that nobody learns of another's task.
    return registry.find(owner, taskId.asText()).orElseThrow(() -> Caller.invalidParams(id,
        "Failed to retrieve task: no task " + TaskViews.abbreviate(taskId.asText(), 80) + " of this "
            + (owner.startsWith("caller:") ? "caller" : "session")
            + " (unknown, or expired: the gateway keeps a task for its ttl, at most " + TaskRegistry.MAX_TTL.toMinutes()
            + " minutes, and forgets a session's tasks when it ends)"));
  }

  // ---- Creation ----

  /**
   * The record of the task that the server's object {@code given} names, created for {@code
   * creation}'s call, under a new gateway id; its ttl read from the member {@code ttlMember} (each
   * revision names it its own way). A {@code given} that names no task is audited and refused
   * ({@link #malformedCreation}).
   */
  TaskRegistry.Task newTask(TaskMethods.Creation creation, JsonNode given, String ttlMember, TaskRegistry.Form form, JsonNode id)
      throws JsonRpcException {
    if (!TaskViews.namesTask(given)) {
      throw malformedCreation(creation, id);
    }
    Optional<Long> ttl = given.path(ttlMember).isIntegralNumber() ? Optional.of(given.get(ttlMember).longValue()) : Optional.empty();
    return new TaskRegistry.Task(TaskRegistry.newId(), creation.agentSession(), creation.principal(), creation.server(),
        creation.upstreamSession(), given.get("taskId").asText(), creation.tool(), creation.auditSession(), creation.decisionAt(),
        creation.requestId(), creation.redaction(), creation.active().bundle().bundleHash(),
        creation.active().catalog().catalogHash(), registry.now(), registry.expiry(ttl), form);
  }

  /** A server's answer to a task-augmented call names no task: audited {@code upstream_error}, refused as malformed. */
  private JsonRpcException malformedCreation(TaskMethods.Creation creation, JsonNode id) throws JsonRpcException {
    append(creation.auditSession(), creation.tool(), creation.decisionAt(), creation.requestId(), "upstream_error",
        Optional.empty(), Optional.empty(), id);
    return malformed(creation.server(), "tools/call", id);
  }

  /**
   * Records {@code task} in {@code reservation}'s room and audits the call's outcome {@code
   * task_created} (the digest of {@code result}); the agent's answer carrying {@code result}.
   */
  ObjectNode recordCreated(TaskRegistry.Reservation reservation, TaskRegistry.Task task, ObjectNode result, JsonNode id)
      throws JsonRpcException {
    ObjectNode answer = NODES.objectNode().put("jsonrpc", "2.0");
    answer.set("id", id);
    answer.set("result", result);
    // Recorded before the outcome, so that an agent told of the task can always fetch it; an
    // outcome the log cannot record withholds the answer (and forgets the task) instead.
    registry.record(reservation, task);
    try {
      // The pipeline tells the listener of the call once it returns.
      append(task.auditSession(), task.tool(), task.decisionAt(), task.requestId(), "task_created",
          Optional.of(Digests.sha256Hex(CanonicalJson.bytes(result))), Optional.empty(), id);
    } catch (JsonRpcException e) {
      registry.endTask(task);
      throw e;
    }
    return answer;
  }

  // ---- Delivery ----

  /**
   * A task's result (or failure) is delivered only with fresh attestation evidence and under the
   * bundle and catalog that decided the creating call: after a reload it is withheld (fail closed),
   * audited {@code withheld_policy_changed}, and the agent told to call the tool again, so that no
   * result escapes a rule added since.
   */
  void refuseUnlessDeliverable(JsonNode id, TaskRegistry.Task task) throws JsonRpcException {
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

  /** Redacts {@code response} in place by the creating decision's redaction; fails closed. */
  Optional<RedactionReport> redacted(JsonNode id, TaskRegistry.Task task, ObjectNode response) throws JsonRpcException {
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

  /**
   * A completed task's result inlined in the extension's {@code tasks/get} (or its {@code
   * notifications/tasks}), as the agent gets it: checked, redacted and audited as the creating
   * call's result.
   */
  ObjectNode inlined(JsonNode id, TaskRegistry.Task task, ObjectNode inlined) throws JsonRpcException {
    refuseUnlessDeliverable(id, task);
    ObjectNode response = NODES.objectNode();
    ObjectNode result = inlined.deepCopy();
    if (result.get("_meta") instanceof ObjectNode meta) {
      // The server's id for the task is not the agent's, and the extension has no such member on an inlined result.
      meta.remove(TaskMethods.RELATED_TASK);
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

  /** Once the server acknowledged a {@code tasks/cancel} ({@code answer} has a result), the creating call's outcome is {@code cancelled}. */
  void cancelled(TaskRegistry.Task task, ObjectNode answer, JsonNode id) throws JsonRpcException {
    if (answer.has("result")) {
      outcome(task, "cancelled", Optional.empty(), Optional.empty(), id);
      registry.finished(task);
    }
  }

  /** Writes an outcome entry of the task's creating decision: its digest only, never the result. */
  void outcome(TaskRegistry.Task task, String outcome, Optional<String> resultSha256, Optional<RedactionReport> redactions,
      JsonNode id) throws JsonRpcException {
    append(task.auditSession(), task.tool(), task.decisionAt(), task.requestId(), outcome, resultSha256, redactions, id);
    listener.recorded(task.auditSession());
  }

  private void append(String auditSession, String tool, Optional<AuditLog.Position> decisionAt, Optional<String> requestId,
      String outcome, Optional<String> resultSha256, Optional<RedactionReport> redactions, JsonNode id) throws JsonRpcException {
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

  // ---- The task's server, in MCP 2025-11-25 ----

  /**
   * Sends {@code method} for the task to its server, in its upstream session; the server's whole
   * answer. Registered among the session's requests in flight, like every governed request, so that
   * nothing the server sends meanwhile is taken for another call's; what it sends about this task
   * reaches {@code stream} unless the creating decision redacts (only the result passes redaction).
   */
  // "try": the relay registration is held only for its scope (open while the request is in flight).
  @SuppressWarnings("try")
  ObjectNode send(TaskRegistry.Task task, String method, CallStream stream) throws UpstreamException {
    AgentRelays.Relay relay = task.redaction().isEmpty()
        ? TaskMethods.about(Optional.of(task.upstreamTaskId()), stream) : AgentRelays.Relay.NONE;
    try (AgentRelays.Registration inFlight = upstreams.relays().open(task.server(), task.upstreamSession(), relay)) {
      return upstreams.connection(task.server(), task.upstreamSession())
          .request(method, NODES.objectNode().put("taskId", task.upstreamTaskId()), stream.cancellation(), stream.watcher());
    }
  }

  /** As {@link #send}, an upstream failure told to the agent as a call's is. */
  ObjectNode ask(TaskRegistry.Task task, String method, JsonNode id, CallStream stream) throws JsonRpcException {
    try {
      return send(task, method, stream);
    } catch (UpstreamException e) {
      throw failed(task, method, e, id);
    }
  }

  // ---- Answers ----

  static JsonRpcException failed(TaskRegistry.Task task, String method, UpstreamException e, JsonNode id) {
    // The upstream package's messages name the server and the failure, never the task's content.
    LOG.log(e.kind() == UpstreamException.Kind.CANCELLED ? Level.INFO : Level.WARNING, "upstream failed", LogField.of("method", method),
        LogField.of("tool", task.tool()), LogField.of("error", e.getMessage()));
    return UpstreamErrors.toJsonRpc(e, id);
  }

  /** The agent's answer built from the server's, as a call's is ({@link AgentAnswer}); a malformed one is refused. */
  static ObjectNode agentAnswer(TaskRegistry.Task task, JsonNode id, ObjectNode upstream) throws JsonRpcException {
    return AgentAnswer.of(upstream, id).orElseThrow(() -> malformed(task.server(), "tasks", id));
  }

  /** An acknowledgement is an empty result (the endpoint adds {@code resultType}); an error as the server gave it. */
  static ObjectNode acknowledged(ObjectNode answer) {
    if (answer.has("result")) {
      answer.putObject("result");
    }
    return answer;
  }

  static JsonRpcException malformed(String server, String method, JsonNode id) {
    return new JsonRpcException(JsonRpcError.withWord(JsonRpcError.INTERNAL_ERROR, "upstream " + server + " answered " + method
        + " with a message MCP does not allow (a task needs its taskId and a known status; a result must be an object)",
        "upstream_protocol_error"), id, 200);
  }
}
