package dev.cmcp.gateway.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.gateway.audit.AuditException;
import dev.cmcp.gateway.audit.AuditLog;
import dev.cmcp.gateway.auth.Identity;
import dev.cmcp.gateway.catalog.Catalog;
import dev.cmcp.gateway.catalog.CatalogPrompt;
import dev.cmcp.gateway.catalog.CatalogTool;
import dev.cmcp.gateway.config.DenyResponse;
import dev.cmcp.gateway.config.EnforcementMode;
import dev.cmcp.gateway.ops.GatewayMetrics;
import dev.cmcp.gateway.ops.LogField;
import dev.cmcp.gateway.ops.Tracing;
import dev.cmcp.gateway.policy.AccessRequest;
import dev.cmcp.gateway.policy.ActivePolicy;
import dev.cmcp.gateway.policy.DenialCause;
import dev.cmcp.gateway.policy.PolicyBundle;
import dev.cmcp.gateway.policy.PolicyDecision;
import dev.cmcp.gateway.policy.PolicyEngine;
import dev.cmcp.gateway.policy.PolicyTarget;
import dev.cmcp.gateway.policy.SessionHistory;
import dev.cmcp.gateway.ratelimit.RateLimits;
import dev.cmcp.gateway.redaction.Redaction;
import dev.cmcp.gateway.redaction.RedactionReport;
import dev.cmcp.gateway.redaction.ResponseRedactor;
import dev.cmcp.gateway.upstream.AgentRelays;
import dev.cmcp.gateway.upstream.ProgressRoutes;
import dev.cmcp.gateway.upstream.UpstreamException;
import dev.cmcp.gateway.upstream.Upstreams;
import dev.cmcp.verify.audit.AuditRecord;
import dev.cmcp.verify.base.CanonicalJson;
import dev.cmcp.verify.base.Digests;
import dev.cmcp.verify.base.StrictJson;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Every governed request, from the agent's message to the upstream's answer, in the order of
 * DESIGN.md: decode, catalog (and pin), Cedar, enforcement mode, durable audit of the decision,
 * upstream, redaction, audit of the outcome. {@code tools/call}, {@code resources/read} and
 * {@code prompts/get} each find their target and then take the same steps, in {@link #govern}.
 *
 * <p>The list methods are answered by the {@link Discovery} this pipeline shares its catalog,
 * pins and policy with, so that what is listed and what is allowed never drift apart.
 */
public final class ToolCallPipeline {

  private static final Logger LOG = System.getLogger("cmcp.policy");
  private static final AttributeKey<List<String>> POLICY_IDS = AttributeKey.stringArrayKey("cmcp.policy_ids");

  /**
   * The longest tool or prompt name, in UTF-8 bytes, that the gateway takes; a longer one is
   * refused (HTTP 400) before any of it reaches the audit log or a log line, and audited by its
   * SHA-256 only. Names in catalogs are far shorter; the bound keeps every audit line well
   * under what a verifier reads (AuditLogReplay.MAX_LINE_BYTES).
   */
  public static final int MAX_NAME_BYTES = 1024;

  /** The longest resource URI, in UTF-8 bytes, the gateway takes; as {@link #MAX_NAME_BYTES}. */
  public static final int MAX_URI_BYTES = 8 * 1024;

  /** Called after each recorded call, e.g. to issue a per-call claim. */
  @FunctionalInterface
  public interface CallListener {
    void recorded(String sessionId);
  }

  /** Whether the gateway's attestation evidence lets calls be served now. */
  @FunctionalInterface
  public interface EvidenceCheck {
    /** Empty while calls may be served; otherwise why not. */
    Optional<String> refusal();
  }

  /** The three kinds of governed request, with the words each uses towards the agent and the upstream. */
  private enum Kind {
    TOOL("tools/call", "tool", "tool_call_denied", "tool call"),
    RESOURCE("resources/read", "resource", "resource_read_denied", "resource read"),
    PROMPT("prompts/get", "prompt", "prompt_denied", "prompt"),
    SUBSCRIBE("resources/subscribe", "resource", "resource_read_denied", "resource subscription");

    final String method;
    final String member;
    final String deniedWord;
    final String description;

    Kind(String method, String member, String deniedWord, String description) {
      this.method = method;
      this.member = member;
      this.deniedWord = deniedWord;
      this.description = description;
    }
  }

  /**
   * One governed request, its target found.
   *
   * @param name what is acted on, as the audit log records it (the Cedar entity id; a resource no
   *     server offers is named by its URI alone)
   * @param action the Cedar action
   * @param server the catalog server to forward to; empty when there is none
   * @param forwardParams the params for the upstream, names translated to the upstream's
   * @param active the bundle, catalog and engine of this request from start to end, even if a reload
   *     swaps them meanwhile
   * @param requestId the HTTP request's id, for log lines and audit entries
   */
  private record Governed(
      Kind kind, JsonNode id, String name, String action, Optional<String> server, ObjectNode forwardParams,
      ObjectNode arguments, Caller caller, ActivePolicy active, Optional<String> requestId) {}

  private final Supplier<ActivePolicy> policies;
  private final EnforcementMode mode;
  private final Upstreams upstreams;
  private final Optional<AuditLog> audit;
  private final CallListener listener;
  private final EvidenceCheck evidence;
  private final Clock clock;
  private final ToolPins pins;
  private final Discovery discovery;
  private final Completions completions;
  private final ResponseRedactor redactor = new ResponseRedactor(new StrictJson());
  private final Optional<GatewayMetrics> metrics;
  private final DenyResponse denyResponse;
  private final CallControls controls;
  private final TaskMethods tasks;

  /** @param audit the audit log, empty in silent mode, where nothing is written */
  public ToolCallPipeline(
      Catalog catalog, PolicyBundle bundle, PolicyEngine policy, EnforcementMode mode, Upstreams upstreams,
      Optional<AuditLog> audit, CallListener listener, EvidenceCheck evidence, Clock clock) {
    this(fixed(new ActivePolicy(bundle, catalog, policy)), mode, upstreams, audit, listener, evidence, clock, Optional.empty());
  }

  /**
   * @param policies the bundle, catalog and engine deciding now; asked once per request, so that a
   *     reload swaps them between requests and never within one
   * @param metrics where calls and latencies are counted; empty when nobody reads them
   */
  public ToolCallPipeline(
      Supplier<ActivePolicy> policies, EnforcementMode mode, Upstreams upstreams, Optional<AuditLog> audit,
      CallListener listener, EvidenceCheck evidence, Clock clock, Optional<GatewayMetrics> metrics) {
    this(policies, mode, upstreams, audit, listener, evidence, clock, metrics, DenyResponse.HTTP_403);
  }

  /** @param denyResponse how a request the policy blocks is answered (deny_response) */
  public ToolCallPipeline(
      Supplier<ActivePolicy> policies, EnforcementMode mode, Upstreams upstreams, Optional<AuditLog> audit,
      CallListener listener, EvidenceCheck evidence, Clock clock, Optional<GatewayMetrics> metrics,
      DenyResponse denyResponse) {
    this(policies, mode, upstreams, audit, listener, evidence, clock, metrics, denyResponse, CallControls.defaults());
  }

  /**
   * @param denyResponse how a request the policy blocks is answered (deny_response)
   * @param controls what an allowed call still passes before it is forwarded: rate limits
   */
  public ToolCallPipeline(
      Supplier<ActivePolicy> policies, EnforcementMode mode, Upstreams upstreams, Optional<AuditLog> audit,
      CallListener listener, EvidenceCheck evidence, Clock clock, Optional<GatewayMetrics> metrics,
      DenyResponse denyResponse, CallControls controls) {
    this.policies = policies;
    this.controls = controls;
    this.denyResponse = denyResponse;
    this.mode = mode;
    this.upstreams = upstreams;
    this.audit = audit;
    this.listener = listener;
    this.evidence = evidence;
    this.clock = clock;
    this.pins = new ToolPins(audit);
    this.metrics = metrics;
    this.discovery = new Discovery(upstreams, policies, pins, new ResourceRoutes(), mode == EnforcementMode.ENFORCING, clock);
    this.completions = new Completions(upstreams, policies, mode == EnforcementMode.ENFORCING, clock);
    this.tasks = new TaskMethods(new TaskRegistry(clock), upstreams, audit, policies, evidence, listener);
  }

  private static Supplier<ActivePolicy> fixed(ActivePolicy policy) {
    return () -> policy;
  }

  /** The list methods, filtered by the same catalog, pins and policy as the calls. */
  Discovery discovery() {
    return discovery;
  }

  /** The audit log calls are recorded in; empty in silent mode. */
  Optional<AuditLog> audit() {
    return audit;
  }

  /** How long a person, or a 2026-07-28 client's retry, has to answer a question put during a call. */
  java.time.Duration answerTimeout() {
    return controls.approvalTimeout();
  }

  /** An agent's MCP session ended (by its agent, idle, or evicted): the tasks it created are forgotten. */
  public void sessionEnded(String sessionId) {
    tasks.registry().endSession(sessionId);
  }

  /** MCP 2025-11-25 tasks created by the calls of this pipeline, served to their creating sessions. */
  TaskMethods tasks() {
    return tasks;
  }

  /** Argument completions, governed like the list methods by the same policy. */
  Completions completions() {
    return completions;
  }

  /** A {@code tools/call}; returns the whole JSON-RPC response message for the agent. */
  public ObjectNode call(JsonNode id, ObjectNode params, Optional<String> transportSession, Optional<String> workflowHeader)
      throws JsonRpcException {
    return call(id, params, transportSession, workflowHeader, Optional.empty(), CallStream.none(), Identity.UNAUTHENTICATED);
  }

  /**
   * A {@code tools/call} whose upstream may talk to the agent while it runs: progress, log
   * messages and its own requests, as {@code stream} allows.
   *
   * @param requestId the HTTP request's id, recorded in the audit entries and log lines of the call
   */
  ObjectNode call(JsonNode id, ObjectNode params, Optional<String> transportSession, Optional<String> workflowHeader,
      Optional<String> requestId, CallStream stream) throws JsonRpcException {
    return call(id, params, transportSession, workflowHeader, requestId, stream, Identity.UNAUTHENTICATED);
  }

  /** As above, for a call sent by {@code identity}: its principal and the workflows it may declare. */
  ObjectNode call(JsonNode id, ObjectNode params, Optional<String> transportSession, Optional<String> workflowHeader,
      Optional<String> requestId, CallStream stream, Identity identity) throws JsonRpcException {
    return call(id, params, transportSession, workflowHeader, requestId, stream, identity, false);
  }

  /**
   * As above; {@code tasksOffered} when the call comes in an MCP session the gateway offered tasks
   * ({@link TaskMethods#offeredTo}): then a call with {@code params.task} of a tool whose server
   * runs it as a task is forwarded with its task, and the task the server creates is recorded for
   * this session. Otherwise, or for a tool that does not support tasks, the call runs normally.
   */
  ObjectNode call(JsonNode id, ObjectNode params, Optional<String> transportSession, Optional<String> workflowHeader,
      Optional<String> requestId, CallStream stream, Identity identity, boolean tasksOffered) throws JsonRpcException {
    refuseWhileEvidenceIsStale(id);
    refuseOversized(id, params, "tools/call", "name", MAX_NAME_BYTES, transportSession, requestId);
    ActivePolicy active = policies.get();
    ToolCall call = ToolCall.parse(id, params, transportSession, workflowHeader, identity);
    Caller caller = new Caller(call.sessionId(), call.workflowId(), call.forwardParams(), identity, transportSession);
    Optional<CatalogTool> tool = active.catalog().tool(call.toolName());
    ObjectNode forward = call.forwardParams();
    tool.ifPresent(approved -> forward.put("name", approved.upstreamName()));
    PolicyTarget.Tool target = new PolicyTarget.Tool(call.toolName());
    Governed request = new Governed(
        Kind.TOOL, id, target.name(), target.action(), tool.map(CatalogTool::server), forward, call.arguments(), caller, active,
        requestId);
    if (!caller.workflowAllowed()) {
      return govern(request, workflowNotAllowed(caller), stream);
    }
    Optional<PolicyDecision.Deny> changed = tool.isPresent() ? pinMismatch(request, tool.get()) : Optional.empty();
    PolicyDecision decision = changed.isPresent() ? changed.get() : decide(request, target);
    if (tasksOffered && transportSession.isPresent() && params.get("task") instanceof ObjectNode asked && tool.isPresent()
        && runsAsTask(request, tool.get())) {
      ObjectNode task = TaskMethods.forwardedTask(id, asked);
      try (TaskRegistry.Reservation room = tasks.registry().reserve(transportSession.get(), caller.principal())
          .orElseThrow(() -> tooManyTasks(id))) {
        forward.set("task", task);
        return govern(request, decision, stream, Optional.of(room));
      }
    }
    if (tool.isPresent() && transportSession.isEmpty() && TaskMethods.isModern(forward) && !speaksModern(request, tool.get())
        && !(decision instanceof PolicyDecision.Deny)) {
      // A 2026-07-28 agent in front of a server spoken to in 2025 (a denied call stays a denial).
      Optional<ObjectNode> definition = definition(request, tool.get());
      boolean required = definition.isPresent() && "required".equals(definition.get().path("execution").path("taskSupport").asText());
      if (!TaskMethods.declaresModernTasks(forward)) {
        if (required) {
          // What a 2026-07-28 server answers when it can only make a task (SEP-2663).
          throw new JsonRpcException(Modern.missingTasksExtension("tools/call of " + request.name()), id, 400);
        }
      } else if (definition.filter(TaskMethods::supportsTasks).isPresent()) {
        // The extension's task, as an MCP 2025-11-25 task upstream (TaskRegistry.Form.TRANSLATED).
        Optional<TaskRegistry.Reservation> room = reserveForStatelessCaller(caller);
        if (room.isPresent()) {
          try (TaskRegistry.Reservation held = room.get()) {
            forward.set("task", JsonNodeFactory.instance.objectNode());
            return govern(request, decision, stream, Optional.of(held));
          }
        }
        if (required) {
          throw tooManyTasks(id);
        }
      }
    } else if (tool.isPresent() && transportSession.isEmpty() && TaskMethods.declaresModernTasks(forward)) {
      // A 2026-07-28 agent that declared the tasks extension: the server decides whether the call
      // becomes a task (SEP-2663), so room for one is taken now; with none left, the server is not
      // told of the extension and runs the call as a plain one (or refuses, if it must make a task).
      Optional<TaskRegistry.Reservation> room = reserveForStatelessCaller(caller);
      if (room.isEmpty()) {
        TaskMethods.withoutModernTasks(forward);
        return govern(request, decision, stream);
      }
      try (TaskRegistry.Reservation held = room.get()) {
        return govern(request, decision, stream, Optional.of(held));
      }
    }
    return govern(request, decision, stream);
  }

  private boolean speaksModern(Governed request, CatalogTool tool) throws JsonRpcException {
    try {
      return upstreams.speaksModern(tool.server());
    } catch (UpstreamException e) {
      throw UpstreamErrors.toJsonRpc(e, request.id());
    }
  }

  /** The server's definition of the catalog tool, in the 2025 revision the gateway speaks to it. */
  private Optional<ObjectNode> definition(Governed request, CatalogTool tool) throws JsonRpcException {
    try {
      return upstreams.tool(tool.server(), tool.upstreamName());
    } catch (UpstreamException e) {
      throw UpstreamErrors.toJsonRpc(e, request.id());
    }
  }

  /**
   * Room for a task of a 2026-07-28 (stateless) caller: it has no session, so its tasks are kept
   * for the caller itself ({@link TaskRegistry#modernOwner}). Empty when the bounds leave none.
   */
  private Optional<TaskRegistry.Reservation> reserveForStatelessCaller(Caller caller) {
    return tasks.registry().reserve(TaskRegistry.modernOwner(caller.identity().owner(), caller.workflowId()), caller.principal());
  }

  /** What the task registry keeps of the call that created a task: who made it, where it runs, and the decision that governs its result. */
  private static TaskMethods.Creation creation(Governed request, TaskRegistry.Reservation room, String server, String upstreamSession,
      Optional<AuditLog.Position> decisionAt, Redaction redaction) {
    return new TaskMethods.Creation(room.session(), request.caller().principal(), server, upstreamSession, request.name(),
        request.caller().sessionId(), decisionAt, request.requestId(), redaction, request.active());
  }

  private static JsonRpcException tooManyTasks(JsonNode id) {
    return new JsonRpcException(JsonRpcError.withWord(JsonRpcError.INVALID_REQUEST, "too many tasks are kept ("
        + TaskRegistry.MAX_PER_SESSION + " per session, " + TaskRegistry.MAX_PER_PRINCIPAL + " per caller, "
        + TaskRegistry.MAX_TASKS + " in all, a task kept until its result is fetched or it is cancelled); fetch, "
        + "cancel or wait for one, or call the tool without a task", "too_many_tasks"), id, 200);
  }

  /** Whether the server offers the tool as a task ({@code execution.taskSupport} optional or required). */
  private boolean runsAsTask(Governed request, CatalogTool tool) throws JsonRpcException {
    try {
      return upstreams.tool(tool.server(), tool.upstreamName()).map(TaskMethods::supportsTasks).orElse(false);
    } catch (UpstreamException e) {
      throw UpstreamErrors.toJsonRpc(e, request.id());
    }
  }

  /** A {@code resources/read}, routed to the one catalog server that offers the URI. */
  public ObjectNode readResource(JsonNode id, ObjectNode params, Optional<String> transportSession, Optional<String> workflowHeader)
      throws JsonRpcException {
    return readResource(id, params, transportSession, workflowHeader, Optional.empty());
  }

  /** @param requestId the HTTP request's id, recorded in the audit entries and log lines of the read */
  public ObjectNode readResource(
      JsonNode id, ObjectNode params, Optional<String> transportSession, Optional<String> workflowHeader,
      Optional<String> requestId) throws JsonRpcException {
    return readResource(id, params, transportSession, workflowHeader, requestId, Identity.UNAUTHENTICATED);
  }

  /** As above, for a read sent by {@code identity}. */
  ObjectNode readResource(
      JsonNode id, ObjectNode params, Optional<String> transportSession, Optional<String> workflowHeader,
      Optional<String> requestId, Identity identity) throws JsonRpcException {
    refuseWhileEvidenceIsStale(id);
    refuseOversized(id, params, "resources/read", "uri", MAX_URI_BYTES, transportSession, requestId);
    ActivePolicy active = policies.get();
    JsonNode uri = params.get("uri");
    if (uri == null || !uri.isTextual() || uri.asText().isEmpty()) {
      throw Caller.invalidParams(id, "resources/read needs \"uri\", a non-empty string");
    }
    Caller caller = Caller.of(id, params, transportSession, workflowHeader, identity);
    Optional<String> server = discovery.serverOfResource(active.catalog(), uri.asText());
    ObjectNode noArguments = JsonNodeFactory.instance.objectNode();
    if (server.isEmpty()) {
      Governed request = new Governed(
          Kind.RESOURCE, id, uri.asText(), "read_resource", server, caller.forwardParams(), noArguments, caller, active,
          requestId);
      return govern(request, notOffered("no catalog server offers resource " + uri.asText()
          + " (or several do, and no resource_owners entry of the catalog chooses one)"));
    }
    PolicyTarget.Resource target = new PolicyTarget.Resource(server.get(), uri.asText());
    Governed request = new Governed(
        Kind.RESOURCE, id, target.name(), target.action(), server, caller.forwardParams(), noArguments, caller, active,
        requestId);
    return govern(request, caller.workflowAllowed() ? decide(request, target) : workflowNotAllowed(caller));
  }

  /**
   * Records a request refused because its mirrored headers disagree with its body: a blocked
   * decision with cause {@code header_mismatch}, under the name the body gives. Best effort: the
   * request is refused whether or not the log can record it.
   */
  void recordHeaderMismatch(String method, ObjectNode params, McpHttpRequest request) {
    if (audit.isEmpty()) {
      return;
    }
    JsonNode named = params.get(method.equals("resources/read") ? "uri" : "name");
    String target = named != null && named.isTextual() ? named.asText() : method;
    ActivePolicy active = policies.get();
    String action = switch (method) {
      case "tools/call" -> "call_tool";
      case "resources/read" -> "read_resource";
      case "prompts/get" -> "get_prompt";
      default -> method;
    };
    JsonNode arguments = params.get("arguments") instanceof ObjectNode given ? given : JsonNodeFactory.instance.objectNode();
    try {
      audit.get().appendDecision(new AuditRecord.Decision(
          request.sessionId().filter(ToolCallPipeline::printable).orElse("stateless-header-mismatch"),
          request.workflowId().filter(ToolCallPipeline::printable).orElse(Caller.DEFAULT_WORKFLOW),
          target.length() <= 256 ? target : target.substring(0, 256), "deny", "blocked", Optional.of("header_mismatch"),
          List.of(), Digests.sha256Hex(CanonicalJson.bytes(arguments)), active.bundle().bundleHash(), mode.configName(),
          action, request.requestId(), Optional.empty(), Optional.empty(), Optional.empty()));
    } catch (AuditException e) {
      LOG.log(Level.ERROR, "audit log cannot record a header mismatch: {0}", e.getMessage());
    }
  }

  /** Whether a header value may go into the audit log as an identifier: 1-256 printable characters. */
  private static boolean printable(String value) {
    return !value.isEmpty() && value.length() <= 256 && value.chars().allMatch(c -> c >= 0x20 && c != 0x7f);
  }

  /** Whether lists leave out what the policy could not permit (enforcing mode), so a new bundle may change them. */
  boolean listsFollowPolicy() {
    return mode == EnforcementMode.ENFORCING;
  }

  /** The upstream servers; the endpoint listens to their resource updates. */
  Upstreams upstreams() {
    return upstreams;
  }

  /**
   * A {@code resources/subscribe} in an MCP session, decided as a read of the resource ({@code
   * read_resource}) and audited like one. The upstream is subscribed when the first session
   * subscribes; later subscribers are recorded here and answered without asking it again.
   */
  ObjectNode subscribe(JsonNode id, ObjectNode params, String sessionId, Optional<String> workflowHeader,
      Optional<String> requestId, Identity identity, ResourceSubscriptions subscriptions) throws JsonRpcException {
    refuseWhileEvidenceIsStale(id);
    refuseOversized(id, params, "resources/subscribe", "uri", MAX_URI_BYTES, Optional.of(sessionId), requestId);
    ActivePolicy active = policies.get();
    String uri = uriOf(id, params, "resources/subscribe");
    Caller caller = Caller.of(id, params, Optional.of(sessionId), workflowHeader, identity);
    Optional<String> server = discovery.serverOfResource(active.catalog(), uri);
    ObjectNode noArguments = JsonNodeFactory.instance.objectNode();
    if (server.isEmpty()) {
      Governed request = new Governed(
          Kind.SUBSCRIBE, id, uri, "read_resource", server, caller.forwardParams(), noArguments, caller, active, requestId);
      return govern(request, notOffered("no catalog server offers resource " + uri
          + " (or several do, and no resource_owners entry of the catalog chooses one)"));
    }
    PolicyTarget.Resource target = new PolicyTarget.Resource(server.get(), uri);
    Governed request = new Governed(
        Kind.SUBSCRIBE, id, target.name(), target.action(), server, caller.forwardParams(), noArguments, caller, active, requestId);
    PolicyDecision decision = caller.workflowAllowed() ? decide(request, target) : workflowNotAllowed(caller);
    if (decision instanceof PolicyDecision.Deny deny && (mode == EnforcementMode.ENFORCING || deny.cause().blocksInEveryMode())) {
      return govern(request, decision);
    }
    // Per upstream session: in an agent's own, its subscription is its alone; in a shared one, all share it.
    ResourceSubscriptions.Key key =
        new ResourceSubscriptions.Key(server.get(), uri, upstreams.sessionFor(server.get(), Optional.of(sessionId)));
    switch (subscriptions.add(sessionId, key)) {
      case TOO_MANY -> throw Caller.invalidParams(id, "this session holds " + ResourceSubscriptions.MAX_PER_SESSION
          + " subscriptions, the most allowed; unsubscribe from one first");
      case ALSO -> {
        // The upstream is subscribed already, for another session: decided and audited, not sent again.
        boolean forwarded = enforce(request, decision);
        Optional<AuditLog.Position> decisionAt = recordDecision(request, decision, forwarded);
        recordOutcome(request, decisionAt, "ok", Optional.empty(), Optional.empty());
        listener.recorded(caller.sessionId());
        ObjectNode answer = JsonNodeFactory.instance.objectNode().put("jsonrpc", "2.0");
        answer.set("id", id);
        answer.putObject("result");
        return answer;
      }
      case FIRST -> {
        ObjectNode answer;
        try {
          answer = govern(request, decision);
        } catch (JsonRpcException e) {
          subscriptions.remove(sessionId, key);
          throw e;
        }
        if (!answer.has("result")) {
          subscriptions.remove(sessionId, key);
        }
        return answer;
      }
    }
    throw new IllegalStateException("unreachable");
  }

  /**
   * A {@code resources/unsubscribe}: not governed, since it only gives up access. The upstream is
   * unsubscribed when the last session leaves.
   */
  ObjectNode unsubscribe(JsonNode id, ObjectNode params, String sessionId, ResourceSubscriptions subscriptions)
      throws JsonRpcException {
    String uri = uriOf(id, params, "resources/unsubscribe");
    Optional<String> server = discovery.serverOfResource(policies.get().catalog(), uri);
    if (server.isPresent()) {
      ResourceSubscriptions.Key key =
          new ResourceSubscriptions.Key(server.get(), uri, upstreams.sessionFor(server.get(), Optional.of(sessionId)));
      if (subscriptions.remove(sessionId, key)) {
        unsubscribeUpstream(key);
      }
    }
    ObjectNode answer = JsonNodeFactory.instance.objectNode().put("jsonrpc", "2.0");
    answer.set("id", id);
    answer.putObject("result");
    return answer;
  }

  /** Tells the upstream that nobody listens to the resource any more; a failure only costs unneeded updates. */
  void unsubscribeUpstream(ResourceSubscriptions.Key key) {
    try {
      upstreams.connection(key.server(), key.session()).request("resources/unsubscribe",
          JsonNodeFactory.instance.objectNode().put("uri", key.uri()));
    } catch (UpstreamException e) {
      LOG.log(Level.INFO, "upstream {0}: resources/unsubscribe failed: {1}", key.server(), e.getMessage());
    }
  }

  private static String uriOf(JsonNode id, ObjectNode params, String method) throws JsonRpcException {
    JsonNode uri = params.get("uri");
    if (uri == null || !uri.isTextual() || uri.asText().isEmpty()) {
      throw Caller.invalidParams(id, method + " needs \"uri\", a non-empty string");
    }
    return uri.asText();
  }

  /** A {@code prompts/get} of a prompt listed as {@code <server>.<prompt>}. */
  public ObjectNode getPrompt(JsonNode id, ObjectNode params, Optional<String> transportSession, Optional<String> workflowHeader)
      throws JsonRpcException {
    return getPrompt(id, params, transportSession, workflowHeader, Optional.empty());
  }

  /** @param requestId the HTTP request's id, recorded in the audit entries and log lines of the prompt */
  public ObjectNode getPrompt(
      JsonNode id, ObjectNode params, Optional<String> transportSession, Optional<String> workflowHeader,
      Optional<String> requestId) throws JsonRpcException {
    return getPrompt(id, params, transportSession, workflowHeader, requestId, Identity.UNAUTHENTICATED);
  }

  /** As above, for a prompt asked for by {@code identity}. */
  ObjectNode getPrompt(
      JsonNode id, ObjectNode params, Optional<String> transportSession, Optional<String> workflowHeader,
      Optional<String> requestId, Identity identity) throws JsonRpcException {
    refuseWhileEvidenceIsStale(id);
    refuseOversized(id, params, "prompts/get", "name", MAX_NAME_BYTES, transportSession, requestId);
    ActivePolicy active = policies.get();
    JsonNode name = params.get("name");
    if (name == null || !name.isTextual() || name.asText().isEmpty()) {
      throw Caller.invalidParams(id, "prompts/get needs \"name\", a non-empty string");
    }
    JsonNode arguments = params.get("arguments");
    if (arguments != null && !arguments.isObject()) {
      throw Caller.invalidParams(id, "prompts/get \"arguments\" must be an object");
    }
    Caller caller = Caller.of(id, params, transportSession, workflowHeader, identity);
    ObjectNode args = arguments == null ? JsonNodeFactory.instance.objectNode() : (ObjectNode) arguments;
    String exposed = name.asText();
    Optional<CatalogPrompt> alias = active.catalog().prompt(exposed);
    int dot = exposed.indexOf('.');
    // Server names have no dot, so the first one ends the server's name.
    Optional<String> server = alias.isPresent() ? alias.map(CatalogPrompt::server)
        : dot > 0 ? Optional.of(exposed.substring(0, dot)).filter(active.catalog().servers()::containsKey) : Optional.empty();
    if (server.isEmpty()) {
      Governed request =
          new Governed(Kind.PROMPT, id, exposed, "get_prompt", server, caller.forwardParams(), args, caller, active, requestId);
      return govern(request, notOffered("prompt " + exposed + " is neither a prompt alias of the catalog nor "
          + "<server>.<prompt> of a catalog server"));
    }
    // An alias is judged as the prompt it names, so that it never escapes a rule written for that prompt.
    PolicyTarget.Prompt target = new PolicyTarget.Prompt(server.get(),
        alias.isPresent() ? alias.get().upstreamName() : exposed.substring(dot + 1));
    ObjectNode forward = caller.forwardParams();
    forward.put("name", target.upstreamName());
    Governed request =
        new Governed(Kind.PROMPT, id, target.name(), target.action(), server, forward, args, caller, active, requestId);
    return govern(request, caller.workflowAllowed() ? decide(request, target) : workflowNotAllowed(caller));
  }

  private ObjectNode govern(Governed request, PolicyDecision decision) throws JsonRpcException {
    return govern(request, decision, CallStream.none());
  }

  private ObjectNode govern(Governed request, PolicyDecision decision, CallStream stream) throws JsonRpcException {
    return govern(request, decision, stream, Optional.empty());
  }

  /**
   * The steps every governed request shares, once its target and decision are known.
   *
   * @param task room for the task a task-augmented call may create; empty for any other request
   */
  private ObjectNode govern(Governed request, PolicyDecision policyDecision, CallStream stream,
      Optional<TaskRegistry.Reservation> task) throws JsonRpcException {
    long started = System.nanoTime();
    Optional<RateLimits.Exceeded> overLimit = overRateLimit(request, policyDecision);
    PolicyDecision limited = overLimit.isEmpty() ? policyDecision : new PolicyDecision.Deny(policyDecision.policyIds(),
        Optional.empty(), DenialCause.RATE_LIMITED, "over " + overLimit.get().limit(), policyDecision.redaction());
    Approval approval = approved(request, limited, stream);
    PolicyDecision decision = approval.decision();
    if (request.kind() == Kind.TOOL && metrics.isPresent()) {
      boolean approved = request.active().catalog().tools().containsKey(request.name());
      metrics.get().toolCallDecided(request.name(), approved, decision.word());
    }
    boolean forwarded = enforce(request, decision);
    Span traced = Span.current();
    if (traced.isRecording()) {
      traced.setAttribute("cmcp.action", request.action());
      traced.setAttribute(request.kind() == Kind.TOOL ? "gen_ai.tool.name" : "cmcp.target", request.name());
      traced.setAttribute("cmcp.decision", decision.word());
      traced.setAttribute(POLICY_IDS, decision.policyIds());
      traced.setAttribute("cmcp.enforced", forwarded ? "forwarded" : "blocked");
      if (decision instanceof PolicyDecision.Deny deny) {
        traced.setAttribute("cmcp.cause", deny.cause().word());
      }
    }
    Optional<AuditLog.Position> decisionAt = recordDecision(request, decision, forwarded, approval.answer());
    remember(request, forwarded);
    if (!forwarded) {
      listener.recorded(request.caller().sessionId());
      return refused(request, (PolicyDecision.Deny) decision, overLimit);
    }
    ObjectNode answer = forward(request, decision.redaction(), decisionAt, stream, task);
    listener.recorded(request.caller().sessionId());
    answer.set("id", request.id());
    // Allowed calls are logged at DEBUG only: the audit log and /metrics record each of them, and an
    // INFO line per call cost several percent of the CPU under load.
    if (LOG.isLoggable(Level.DEBUG)) {
      LOG.log(Level.DEBUG, "request forwarded", fields(request, LogField.of("decision", decision.word()),
          LogField.of("latency_ms", (System.nanoTime() - started) / 1_000_000.0), LogField.of("policies", decision.policyIds())));
    }
    return answer;
  }

  /**
   * Asks a person to approve an allowed request whose permits say {@code @require_approval},
   * audits the answer, and returns the decision to go on with: unchanged when approved (or when no
   * approval is needed), a denial with the answer's cause otherwise, which advisory mode forwards
   * like any denial (it asks, but does not require).
   */
  private Approval approved(Governed request, PolicyDecision decision, CallStream stream) throws JsonRpcException {
    if (decision instanceof PolicyDecision.Deny) {
      return new Approval(decision, Optional.empty());
    }
    Optional<String> reason = request.active().engine().approvalReason(decision.policyIds());
    if (reason.isEmpty()) {
      return new Approval(decision, Optional.empty());
    }
    Approvals.Asked asked = Approvals.ask(stream, request.kind().member + " " + request.name(), request.caller().principal(),
        reason.get(), request.arguments(), controls.approvalTimeout());
    if (audit.isPresent()) {
      try {
        audit.get().appendApproval(new AuditRecord.Approval(request.caller().sessionId(), request.name(),
            request.caller().principal(), asked.questionSha256(), asked.answer().word, asked.contentSha256(), request.requestId()));
      } catch (AuditException e) {
        throw auditUnavailable(request, e);
      }
    }
    LOG.log(Level.INFO, "approval asked", fields(request, LogField.of("answer", asked.answer().word)));
    Optional<String> answer = Optional.of(asked.answer().word);
    if (asked.answer() == Approvals.Answer.ACCEPTED) {
      return new Approval(decision, answer);
    }
    String detail = switch (asked.answer()) {
      case DECLINED -> "the person asked declined to approve it";
      case CANCELLED -> "the person asked cancelled the question";
      case TIMEOUT -> "nobody approved it within " + controls.approvalTimeout().toSeconds() + " s (approval_timeout_seconds)";
      default -> "no person could be asked: the agent's client must take an SSE answer (Accept: text/event-stream) in an "
          + "initialized session that declared the elicitation capability, or (MCP 2026-07-28) declare elicitation in "
          + "_meta.io.modelcontextprotocol/clientCapabilities and answer the input_required result";
    };
    return new Approval(new PolicyDecision.Deny(decision.policyIds(), Optional.of(reason.get()), asked.answer().cause,
        "needs approval (" + reason.get() + "): " + detail, decision.redaction()), answer);
  }

  /** The decision to go on with after the approval stage, and the person's answer if one was asked. */
  private record Approval(PolicyDecision decision, Optional<String> answer) {}

  /** Adds the request to its session's history, which later requests of the session are decided with. */
  private void remember(Governed request, boolean forwarded) {
    Optional<String> tool = forwarded && request.kind() == Kind.TOOL ? Optional.of(request.name()) : Optional.empty();
    Optional<String> level = tool.flatMap(name -> Optional.ofNullable(request.active().catalog().tools().get(name)))
        .map(entry -> entry.attributes().get("sensitivity_level"))
        .filter(JsonNode::isTextual)
        .map(JsonNode::asText);
    if (!request.caller().oneOffSession()) {
      controls.histories().record(request.caller().principal(), request.caller().sessionId(), tool, level, !forwarded);
    }
  }

  /**
   * Counts an allowed request against its rate limits; the limit it is over, if any. A denied
   * request is not counted: only what the policy allows uses up a rate.
   */
  private Optional<RateLimits.Exceeded> overRateLimit(Governed request, PolicyDecision decision) {
    if (decision instanceof PolicyDecision.Deny) {
      return Optional.empty();
    }
    return controls.rateLimits().admit(request.caller().principal(), request.name(),
        request.active().engine().rateLimits(decision.policyIds()));
  }

  private PolicyDecision decide(Governed request, PolicyTarget target) {
    Caller caller = request.caller();
    Optional<SessionHistory> history = caller.oneOffSession()
        ? Optional.of(SessionHistory.EMPTY)
        : controls.histories().history(caller.principal(), caller.sessionId());
    if (history.isEmpty()) {
      return new PolicyDecision.Deny(List.of(), Optional.empty(), DenialCause.EVALUATION_ERROR,
          "no room to keep this session's history (context.session): the principal or the gateway holds too many "
              + "live sessions; it is refused rather than decided without what the session did before");
    }
    Span span = Tracing.step("decide");
    long started = System.nanoTime();
    PolicyDecision decision = request.active().engine().decide(new AccessRequest(
        caller.principal(), caller.sessionId(), caller.workflowId(), target, request.arguments(), clock.instant(),
        caller.identity().attributes(), history.get()));
    if (metrics.isPresent()) {
      metrics.get().policyEvaluated(System.nanoTime() - started);
    }
    if (span.isRecording()) {
      span.setAttribute("cmcp.decision", decision.word());
      span.setAttribute(POLICY_IDS, decision.policyIds());
    }
    span.end();
    return decision;
  }

  /** A pinned tool is checked against what its upstream offers now, before the policy is asked. */
  private Optional<PolicyDecision.Deny> pinMismatch(Governed request, CatalogTool tool) throws JsonRpcException {
    if (tool.definitionHash().isEmpty()) {
      return Optional.empty();
    }
    Optional<ObjectNode> definition;
    try {
      // As the server lists it to this request's revision: a 2026-07-28 agent's definition is the one it was shown.
      definition = upstreams.tool(tool.server(), tool.upstreamName(), request.forwardParams());
    } catch (UpstreamException e) {
      // Nothing can be forwarded while the definition cannot be checked.
      throw UpstreamErrors.toJsonRpc(e, request.id());
    }
    return pins.mismatch(tool, definition)
        .map(why -> new PolicyDecision.Deny(List.of(), Optional.empty(), DenialCause.TOOL_DEFINITION_CHANGED, why));
  }

  /** An authenticated caller declared a workflow not allowed to it: refused before the policy is asked, in every mode. */
  private static PolicyDecision.Deny workflowNotAllowed(Caller caller) {
    return new PolicyDecision.Deny(List.of(), Optional.empty(), DenialCause.WORKFLOW_NOT_ALLOWED,
        "workflow " + caller.workflowId() + " is not among those allowed to " + caller.identity().id());
  }

  private static PolicyDecision.Deny notOffered(String detail) {
    return new PolicyDecision.Deny(List.of(), Optional.empty(), DenialCause.NOT_OFFERED, detail);
  }

  /** Logs a denial as the mode says; returns whether the request goes on to the upstream. */
  private boolean enforce(Governed request, PolicyDecision decision) {
    if (!(decision instanceof PolicyDecision.Deny deny)) {
      return true;
    }
    boolean blocks = mode == EnforcementMode.ENFORCING || deny.cause().blocksInEveryMode();
    if (mode != EnforcementMode.SILENT || blocks) {
      LOG.log(blocks ? Level.INFO : Level.WARNING, blocks ? "request denied" : "request denied, forwarded (advisory)",
          fields(request, LogField.of("decision", decision.word()), LogField.of("cause", deny.cause().word()),
              LogField.of("policies", deny.policyIds()), LogField.of("detail", deny.detail())));
    }
    return !blocks;
  }

  /** The fields every log line of a governed request carries, then {@code more}; never its arguments or result. */
  private Object[] fields(Governed request, LogField... more) {
    Object[] fields = new Object[6 + more.length];
    fields[0] = LogField.of("request_id", request.requestId().orElse(null));
    fields[1] = LogField.of("session_id", request.caller().sessionId());
    fields[2] = LogField.of("workflow_id", request.caller().workflowId());
    fields[3] = LogField.of("action", request.action());
    fields[4] = LogField.of("tool", request.name());
    fields[5] = LogField.of("mode", mode.configName());
    System.arraycopy(more, 0, fields, 6, more.length);
    return fields;
  }

  /** The decision is on disk before anything is forwarded or answered; no log, no call. */
  private Optional<AuditLog.Position> recordDecision(Governed request, PolicyDecision decision, boolean forwarded) throws JsonRpcException {
    return recordDecision(request, decision, forwarded, Optional.empty());
  }

  /** @param approval how a person answered the approval the call needed; empty when none was asked */
  private Optional<AuditLog.Position> recordDecision(Governed request, PolicyDecision decision, boolean forwarded, Optional<String> approval)
      throws JsonRpcException {
    if (audit.isEmpty()) {
      return Optional.empty();
    }
    Optional<String> cause = decision instanceof PolicyDecision.Deny deny ? Optional.of(deny.cause().word()) : Optional.empty();
    AuditRecord.Decision entry = new AuditRecord.Decision(
        request.caller().sessionId(), request.caller().workflowId(), request.name(), decision.word(),
        forwarded ? "forwarded" : "blocked",
        cause, decision.policyIds(), Digests.sha256Hex(CanonicalJson.bytes(request.arguments())),
        request.active().bundle().bundleHash(), mode.configName(), request.action(), request.requestId(), Tracing.traceId(),
        Optional.of(principalOf(request.caller())), approval);
    Span span = Tracing.step("audit");
    span.setAttribute("cmcp.audit.entry", "decision");
    try {
      return Optional.of(audit.get().recordDecision(entry));
    } catch (AuditException e) {
      span.setStatus(StatusCode.ERROR, "audit_unavailable");
      throw auditUnavailable(request, e);
    } finally {
      span.end();
    }
  }

  /** Who the audit log says made a request: the Cedar principal and how it was authenticated. */
  private static AuditRecord.Principal principalOf(Caller caller) {
    Identity identity = caller.identity();
    return new AuditRecord.Principal(caller.principal(), identity.method().word(), identity.issuer(), identity.tokenIdSha256());
  }

  /**
   * The answer to a blocked request. What the catalog or the servers cannot serve (a tool outside
   * the catalog, a resource or prompt nobody offers) is an MCP error in an HTTP 200 answer, code
   * -32602 as MCP servers answer an unknown tool, resource or prompt: clients report it as an MCP
   * error, not as a transport failure. A policy denial (and a pinned tool withheld) is answered
   * as deny_response says.
   */
  private ObjectNode refused(Governed request, PolicyDecision.Deny deny, Optional<RateLimits.Exceeded> overLimit)
      throws JsonRpcException {
    ObjectNode data = JsonNodeFactory.instance.objectNode();
    boolean changed = deny.cause() == DenialCause.TOOL_DEFINITION_CHANGED;
    data.put("error", changed ? "tool_definition_changed"
        : deny.cause() == DenialCause.WORKFLOW_NOT_ALLOWED ? "workflow_not_allowed" : request.kind().deniedWord);
    data.put(request.kind().member, request.name());
    data.set("call_id", request.id());
    data.put("bundle_version", request.active().bundle().version());
    data.put("bundle_hash", request.active().bundle().bundleHash());
    data.put("cause", deny.cause().word());
    deny.reason().ifPresent(reason -> data.put("reason", reason));
    String message = switch (deny.cause()) {
      case UNSANCTIONED_TOOL -> "tool " + request.name() + " is not in the catalog";
      case NOT_OFFERED, WORKFLOW_NOT_ALLOWED -> deny.detail();
      case APPROVAL_DECLINED, APPROVAL_CANCELLED, APPROVAL_TIMEOUT, APPROVAL_UNAVAILABLE ->
          request.kind().description + " " + request.name() + " " + deny.detail();
      case TOOL_DEFINITION_CHANGED -> "tool " + request.name() + " is withheld: its upstream definition changed since it "
          + "was approved and pinned; an operator must review the change and run cmcp catalog pin";
      default -> request.kind().description + " denied by policy: " + request.name();
    };
    if (overLimit.isPresent()) {
      // Not a policy denial: whatever deny_response says, a client must learn when to try again.
      data.put("error", "rate_limited");
      data.put("limit", overLimit.get().limit());
      data.put("retry_after_seconds", overLimit.get().retryAfterSeconds());
      throw new JsonRpcException(new JsonRpcError(JsonRpcError.RATE_LIMITED, request.kind().description + " " + request.name()
          + " is over " + overLimit.get().limit() + "; retry after " + overLimit.get().retryAfterSeconds() + " s", data),
          request.id(), 429);
    }
    if (deny.cause() == DenialCause.UNSANCTIONED_TOOL || deny.cause() == DenialCause.NOT_OFFERED) {
      throw new JsonRpcException(new JsonRpcError(JsonRpcError.INVALID_PARAMS, message, data), request.id(), 200);
    }
    JsonRpcError error = new JsonRpcError(JsonRpcError.TOOL_CALL_DENIED, message, data);
    if (deny.cause() == DenialCause.WORKFLOW_NOT_ALLOWED) {
      // Not a policy's answer but who the caller may be: refused like authentication, whatever deny_response says.
      throw new JsonRpcException(error, request.id(), 403);
    }
    return switch (denyResponse) {
      case HTTP_403 -> throw new JsonRpcException(error, request.id(), 403);
      case JSONRPC_ERROR -> throw new JsonRpcException(error, request.id(), 200);
      case TOOL_ERROR -> {
        if (request.kind() != Kind.TOOL) {
          throw new JsonRpcException(error, request.id(), 200);
        }
        yield toolError(request, message + deny.reason().map(reason -> ": " + reason).orElse(""), data);
      }
    };
  }

  /** A denial as a tool result the model reads: {@code isError}, the message and reason as text, the details in {@code _meta}. */
  private static ObjectNode toolError(Governed request, String text, ObjectNode data) {
    ObjectNode answer = JsonNodeFactory.instance.objectNode().put("jsonrpc", "2.0");
    answer.set("id", request.id());
    ObjectNode result = answer.putObject("result");
    result.putArray("content").addObject().put("type", "text").put("text", text);
    result.put("isError", true);
    result.putObject("_meta").set("dev.cmcp/denial", data);
    return answer;
  }

  // "try": the relay registration is held only for its scope (open while the call is in flight).
  @SuppressWarnings("try")
  private ObjectNode forward(Governed request, Redaction redaction, Optional<AuditLog.Position> decisionAt, CallStream stream,
      Optional<TaskRegistry.Reservation> task) throws JsonRpcException {
    ObjectNode answer;
    String server = request.server().orElseThrow();
    Span span = Tracing.step("forward", SpanKind.CLIENT);
    if (span.isRecording()) {
      span.setAttribute("mcp.method.name", request.kind().method);
      span.setAttribute("cmcp.upstream", server);
    }
    long started = System.nanoTime();
    JsonNode agentToken = request.forwardParams().path("_meta").get("progressToken");
    // The agent session's own upstream session where the server allows one, so agents never share upstream state.
    String upstreamSession = upstreams.sessionFor(server, request.caller().transportSession());
    // The upstream sees a token of the gateway's own, so agents that pick the same token stay apart.
    // Under a redacting permit only the answer passes redaction, so the server's log messages and
    // requests, which would bypass it, are not relayed.
    try (ProgressRoutes.Route route = agentToken == null ? null : upstreams.progress().open(server,
            notification -> stream.progress(progressForAgent(notification, agentToken, redaction)));
        AgentRelays.Registration inFlight =
            upstreams.relays().open(server, upstreamSession,
                redaction.isEmpty() ? TaskMethods.about(Optional.empty(), stream) : AgentRelays.Relay.NONE)) {
      ObjectNode params = request.forwardParams();
      if (route != null) {
        params = params.deepCopy();
        ((ObjectNode) params.get("_meta")).put("progressToken", route.token());
      }
      // The server's work joins the trace (MCP's trace context in _meta; an HTTP server also gets the header).
      Tracing.inject(span, params);
      // Size limit and SSE are dealt with below this call: what comes back is one whole, bounded message.
      answer = upstreams.connection(server, upstreamSession).request(request.kind().method, params, stream.cancellation(), stream.watcher());
      upstreamAnswered(started);
      span.end();
    } catch (UpstreamException e) {
      upstreamAnswered(started);
      String outcome = switch (e.kind()) {
        case RESPONSE_TOO_LARGE -> "response_too_large";
        case CANCELLED -> "cancelled";
        default -> "upstream_error";
      };
      span.setStatus(StatusCode.ERROR, outcome);
      span.end();
      // The upstream package's messages name the server and the failure, never the call's content.
      LOG.log(e.kind() == UpstreamException.Kind.CANCELLED ? Level.INFO : Level.WARNING, "upstream failed",
          fields(request, LogField.of("outcome", outcome), LogField.of("error", e.getMessage())));
      recordOutcome(request, decisionAt, outcome, Optional.empty(), Optional.empty());
      throw UpstreamErrors.toJsonRpc(e, request.id());
    }
    Optional<ObjectNode> built = AgentAnswer.of(answer, request.id());
    if (built.isEmpty()) {
      LOG.log(Level.WARNING, "upstream failed", fields(request, LogField.of("outcome", "upstream_error"),
          LogField.of("error", "the answer is not a JSON-RPC response MCP allows (a result that is not an object, or a malformed error)")));
      recordOutcome(request, decisionAt, "upstream_error", Optional.empty(), Optional.empty());
      throw malformedAnswer(request, server);
    }
    ObjectNode delivered = built.get();
    if ("task".equals(delivered.path("result").path("resultType").asText())) {
      // The tasks extension's CreateTaskResult: only to a 2026-07-28 agent that declared the
      // extension (and for which room was taken); any other call never gets one (SEP-2663).
      if (task.isEmpty() || !TaskMethods.declaresModernTasks(request.forwardParams())) {
        LOG.log(Level.WARNING, "upstream failed", fields(request, LogField.of("outcome", "upstream_error"),
            LogField.of("error", "a task was returned to a call that did not declare the tasks extension")));
        recordOutcome(request, decisionAt, "upstream_error", Optional.empty(), Optional.empty());
        throw malformedAnswer(request, server);
      }
      return tasks.createdModern(task.get(), creation(request, task.get(), server, upstreamSession, decisionAt, redaction),
          delivered, request.id());
    }
    if (task.isPresent() && delivered.path("result").has("task")) {
      // A CreateTaskResult: the task's result comes later, through tasks/result (or, translated for
      // a 2026-07-28 agent, tasks/get), redacted and audited as this call's.
      return tasks.created(task.get(), creation(request, task.get(), server, upstreamSession, decisionAt, redaction),
          delivered, request.id(),
          TaskMethods.declaresModernTasks(request.forwardParams()) ? TaskRegistry.Form.TRANSLATED : TaskRegistry.Form.SESSION);
    }
    Optional<RedactionReport> redactions = redaction.isEmpty() ? Optional.empty() : Optional.of(redact(request, delivered, redaction, decisionAt));
    JsonNode result = delivered.get("result");
    if (result == null && request.kind() == Kind.TOOL && !TaskMethods.declaresModernTasks(request.forwardParams())
        && TaskMethods.needsTasksExtension(delivered)) {
      TaskMethods.explainTasksExtensionNeeded(delivered, request.name(), server);
    }
    if (result == null) {
      recordOutcome(request, decisionAt, "upstream_error", Optional.empty(), redactions);
    } else {
      String outcome = result.path("isError").asBoolean(false) ? "tool_error" : "ok";
      // The hash of the result as delivered: after redaction, with its redaction count. Made only
      // when an outcome is recorded: in silent mode (no audit log) it would be thrown away.
      Optional<String> resultSha256 = audit.isPresent() && decisionAt.isPresent()
          ? Optional.of(Digests.sha256Hex(CanonicalJson.bytes(result))) : Optional.empty();
      recordOutcome(request, decisionAt, outcome, resultSha256, redactions);
    }
    return delivered;
  }

  /**
   * Redacts the response in place; an answer that cannot be redacted is withheld (fail closed),
   * its outcome audited as {@code redaction_failed}.
   */
  private RedactionReport redact(Governed request, ObjectNode response, Redaction redaction, Optional<AuditLog.Position> decisionAt)
      throws JsonRpcException {
    Span span = Tracing.step("redact");
    try {
      return redactor.redact(response, redaction);
    } catch (RuntimeException e) {
      // The exception's message could quote the answer: only its type is logged.
      LOG.log(Level.ERROR, "redaction failed; the answer is withheld",
          fields(request, LogField.of("outcome", "redaction_failed"), LogField.of("error", e.getClass().getName())));
      recordOutcome(request, decisionAt, "redaction_failed", Optional.empty(), Optional.empty());
      throw new JsonRpcException(
          JsonRpcError.withWord(JsonRpcError.INTERNAL_ERROR,
              "the answer could not be redacted as the policy requires, so it is withheld (fail closed)", "redaction_failed"),
          request.id(), 200);
    } finally {
      span.end();
    }
  }

  private static JsonRpcException malformedAnswer(Governed request, String server) {
    return new JsonRpcException(
        JsonRpcError.withWord(JsonRpcError.INTERNAL_ERROR,
            "upstream " + server + " answered " + request.kind().method + " with a message MCP does not allow "
                + "(a result must be an object; an error needs an integer code and a string message)",
            "upstream_protocol_error"),
        request.id(), 200);
  }

  /**
   * An upstream progress notification as the agent receives it: under the agent's token, and
   * only its numbers when the answer is to be redacted, since only the answer goes through
   * redaction.
   */
  private static ObjectNode progressForAgent(ObjectNode upstream, JsonNode agentToken, Redaction redaction) {
    ObjectNode params = ((ObjectNode) upstream.get("params")).deepCopy();
    if (!redaction.isEmpty()) {
      params.retain("progress", "total");
    }
    params.set("progressToken", agentToken);
    ObjectNode notification = JsonNodeFactory.instance.objectNode().put("jsonrpc", "2.0").put("method", "notifications/progress");
    notification.set("params", params);
    return notification;
  }

  /** Plain {@code if}, not {@code ifPresent}: a capturing lambda would cost an allocation per call. */
  private void upstreamAnswered(long started) {
    if (metrics.isPresent()) {
      metrics.get().upstreamAnswered(System.nanoTime() - started);
    }
  }

  /** An answer the log could not record is not delivered: the agent gets an error instead. */
  private void recordOutcome(
      Governed request, Optional<AuditLog.Position> decisionAt, String outcome, Optional<String> resultSha256,
      Optional<RedactionReport> redactions) throws JsonRpcException {
    if (audit.isEmpty() || decisionAt.isEmpty()) {
      return;
    }
    Span span = Tracing.step("audit");
    span.setAttribute("cmcp.audit.entry", "outcome");
    span.setAttribute("cmcp.outcome", outcome);
    try {
      audit.get().appendOutcome(new AuditRecord.Outcome(
          decisionAt.get().index(), request.caller().sessionId(), request.name(), outcome, resultSha256,
          redactions.map(RedactionReport::toAudit), request.requestId(), Optional.of(decisionAt.get().epoch())));
    } catch (AuditException e) {
      span.setStatus(StatusCode.ERROR, "audit_unavailable");
      throw auditUnavailable(request, e);
    } finally {
      span.end();
    }
  }

  /** Refused before the policy is asked: nothing is decided, audited or forwarded. */
  private void refuseWhileEvidenceIsStale(JsonNode id) throws JsonRpcException {
    Optional<String> stale = evidence.refusal();
    if (stale.isEmpty()) {
      return;
    }
    LOG.log(Level.ERROR, "refusing a request: {0}", stale.get());
    throw new JsonRpcException(
        JsonRpcError.withWord(JsonRpcError.INTERNAL_ERROR,
            "the gateway's attestation evidence is stale and could not be renewed, so calls are refused "
                + "(staleness_policy fail_closed); the operator must restore the attestation platform",
            "evidence_stale"),
        id, 503);
  }

  /**
   * Refuses a request whose {@code member} (agent-chosen text) is longer than {@code limit}
   * UTF-8 bytes, before the policy or any log sees it: the audit log records its length and
   * SHA-256 (no audit, no answer but 503), log lines its digest.
   */
  private void refuseOversized(
      JsonNode id, ObjectNode params, String method, String member, int limit, Optional<String> transportSession,
      Optional<String> requestId) throws JsonRpcException {
    JsonNode value = params.get(member);
    if (value == null || !value.isTextual() || value.asText().length() * 3L <= limit) {
      return;
    }
    byte[] bytes = value.asText().getBytes(StandardCharsets.UTF_8);
    if (bytes.length <= limit) {
      return;
    }
    String digest = Digests.sha256Hex(bytes);
    if (audit.isPresent()) {
      try {
        audit.get().appendOversizedInput(
            new AuditRecord.OversizedInput(transportSession, method, member, bytes.length, limit, digest, requestId));
      } catch (AuditException e) {
        LOG.log(Level.ERROR, "audit log cannot record; refusing the request", LogField.of("request_id", requestId.orElse(null)),
            LogField.of("error", e.getMessage()));
        throw new JsonRpcException(JsonRpcError.withWord(JsonRpcError.INTERNAL_ERROR,
            "the audit log cannot record this call, so it is refused (fail closed); the operator must fix the audit_dir",
            "audit_unavailable"), id, 503);
      }
    }
    LOG.log(Level.INFO, "request refused: " + member + " too long", LogField.of("request_id", requestId.orElse(null)),
        LogField.of("method", method), LogField.of(member + "_bytes", (long) bytes.length), LogField.of(member + "_sha256", digest));
    throw new JsonRpcException(JsonRpcError.withWord(JsonRpcError.INVALID_PARAMS, method + " \"" + member + "\" is "
        + bytes.length + " bytes, more than the " + limit + " the gateway takes; refused unread (audited as SHA-256 " + digest + ")",
        "oversized_" + member), id, 400);
  }

  private static JsonRpcException auditUnavailable(Governed request, AuditException e) {
    LOG.log(Level.ERROR, "audit log cannot record; refusing the request",
        LogField.of("request_id", request.requestId().orElse(null)), LogField.of("tool", request.name()),
        LogField.of("error", e.getMessage()));
    return new JsonRpcException(
        JsonRpcError.withWord(JsonRpcError.INTERNAL_ERROR,
            "the audit log cannot record this call, so it is refused (fail closed); the operator must fix the audit_dir",
            "audit_unavailable"),
        request.id(), 503);
  }
}
