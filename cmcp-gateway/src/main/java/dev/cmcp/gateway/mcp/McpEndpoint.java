package dev.cmcp.gateway.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.gateway.auth.Identity;
import dev.cmcp.gateway.claim.ClaimIssuer;
import dev.cmcp.gateway.ops.Tracing;
import dev.cmcp.gateway.policy.ActivePolicy;
import dev.cmcp.gateway.upstream.StreamWatcher;
import dev.cmcp.gateway.upstream.Upstreams;
import dev.cmcp.verify.base.CanonicalJson;
import dev.cmcp.verify.base.Digests;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The MCP Streamable HTTP endpoint, {@code /mcp}, without HTTP: one message in, one answer out.
 *
 * <p>Routing is by method; every {@code tools/call}, {@code resources/read} and {@code
 * prompts/get} goes through the {@link ToolCallPipeline}, and the list methods through its
 * {@link Discovery}.
 * A request without {@code Mcp-Session-Id} is served statelessly, as the seed's bare
 * {@code tools/call} and the stateless MCP revision need.
 */
public final class McpEndpoint {

  private static final Logger LOG = System.getLogger("cmcp.mcp");
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private final JsonRpcDecoder decoder;
  private final SessionStore sessions;
  private final ToolCallPipeline toolCalls;
  private final Optional<ClaimIssuer> claims;
  private final String gatewayVersion;
  private final SessionPrincipal sessionPrincipal;
  private final AgentRequests agentRequests = new AgentRequests();
  /** The tools/calls of sessions now in flight, by session and the agent's request id, so that the agent can cancel them. */
  private final Map<CallInFlight, CallStream> callsInFlight = new ConcurrentHashMap<>();
  private final ResourceSubscriptions subscriptions = new ResourceSubscriptions();
  private final SessionStreams streams = new SessionStreams();
  private final RoundTrips roundTrips;
  /** The open {@code subscriptions/listen} streams of 2026-07-28 clients. */
  private final Listens listens;

  /** Tells sessions and listens of list changes, off the threads that learn of them. */
  private final ListChanges listChanges = new ListChanges(this::tellListChanges);

  /** What a {@code subscriptions/listen} request gets: an answer (a refusal), or its stream, acknowledgment first. */
  public sealed interface Listening {
    record Answered(McpHttpResponse response) implements Listening {}

    record Opened(SessionStreams.Stream stream, ObjectNode acknowledgment) implements Listening {}
  }

  /** @param requestId the agent's JSON-RPC id as JSON text, so that 7 and "7" stay apart */
  private record CallInFlight(String sessionId, String requestId) {}

  /** @param claims the claim issuer; empty in silent mode, which keeps no audit log to prove against */
  public McpEndpoint(
      JsonRpcDecoder decoder,
      SessionStore sessions,
      ToolCallPipeline toolCalls,
      Optional<ClaimIssuer> claims,
      String gatewayVersion) {
    this(decoder, sessions, toolCalls, claims, gatewayVersion, SessionPrincipal.DECLARED_WORKFLOW);
  }

  /** @param sessionPrincipal who owns a session an {@code initialize} opens, for the per-principal cap */
  public McpEndpoint(
      JsonRpcDecoder decoder,
      SessionStore sessions,
      ToolCallPipeline toolCalls,
      Optional<ClaimIssuer> claims,
      String gatewayVersion,
      SessionPrincipal sessionPrincipal) {
    this.sessionPrincipal = sessionPrincipal;
    this.decoder = decoder;
    this.sessions = sessions;
    this.toolCalls = toolCalls;
    this.claims = claims;
    this.gatewayVersion = gatewayVersion;
    this.roundTrips = new RoundTrips(Clock.systemUTC(), toolCalls.answerTimeout());
    this.listens = new Listens(toolCalls, streams, subscriptions);
    // Lives as long as the gateway: the endpoint is made once, at start.
    toolCalls.upstreams().resourceUpdates().listen(this::resourceUpdated);
    toolCalls.upstreams().onListChanged(this::listChanged);
    toolCalls.upstreams().taskStatuses().listen(this::taskStatus);
  }

  /**
   * A server told a task's new status (MCP 2025-11-25): the session that created the task hears it
   * on its standalone stream, under the gateway's id for the task; no other session ever does.
   * Dropped, like every message outside a request, when that session has no stream open or its
   * stream is full; the agent can always ask with {@code tasks/get}.
   */
  private void taskStatus(String server, String upstreamSession, String upstreamTaskId, ObjectNode params) {
    toolCalls.tasks().statusNotice(server, upstreamSession, upstreamTaskId, params).ifPresent(notice -> {
      if (!streams.send(notice.agentSession(), notice.notification())) {
        LOG.log(Level.DEBUG, "session {0}: a task status dropped: no GET stream open, or it is full", notice.agentSession());
      }
    });
  }

  /** A server's tool, prompt or resource list changed: every agent that can hear it is told, soon ({@link ListChanges}). */
  private void listChanged(String server, String method) {
    ListChanges.Kind.ofMethod(method).ifPresent(kind -> listChanges.changed(java.util.EnumSet.of(kind)));
  }

  /**
   * A policy reload swapped {@code old} for {@code next}: what an agent may see in its lists may
   * have changed, so every session and listen that can hear it is told, of the lists that could
   * have changed ({@link ListChanges#changedBy}). Returns at once.
   */
  public void policyReloaded(ActivePolicy old, ActivePolicy next) {
    java.util.Set<ListChanges.Kind> kinds = ListChanges.changedBy(old, next, toolCalls.listsFollowPolicy());
    LOG.log(Level.INFO, "policy reloaded: agents are told that these lists may have changed: {0}",
        kinds.isEmpty() ? "none" : kinds.stream().map(ListChanges.Kind::method).toList());
    listChanges.changed(kinds);
  }

  /**
   * Tells of list changes, each session or listen at most once per kind and round: every open
   * session on its latest {@code GET /mcp} stream (kept for its next stream when it has none
   * open), and every listen that asked for that kind, with its subscription id. Nothing else is
   * said (not which server, not what changed): what the caller may see now is for its next list
   * request, which the policy filters. A stream whose queue is full drops it; nothing here waits
   * for an agent.
   */
  private void tellListChanges(java.util.Set<ListChanges.Kind> kinds) {
    java.util.Set<String> open = sessions.openIds();
    streams.keepListChangesOnlyFor(open);
    Map<SessionStreams.ListChangeSent, Integer> counts = new java.util.EnumMap<>(SessionStreams.ListChangeSent.class);
    for (ListChanges.Kind kind : kinds) {
      ObjectNode notification = NODES.objectNode().put("jsonrpc", "2.0").put("method", kind.method());
      for (String sessionId : open) {
        counts.merge(streams.sendListChange(sessionId, notification), 1, Integer::sum);
      }
    }
    listens.tellListChanges(kinds, counts);
    LOG.log(Level.DEBUG, "list changes {0} told: {1}", kinds, counts);
  }

  /**
   * A server's resource changed: each session subscribed to it hears of it on its standalone
   * stream, by URI only. Nothing else of the server's notification is passed on.
   */
  private void resourceUpdated(String server, String upstreamSession, String uri) {
    for (String sessionId : subscriptions.subscribers(new ResourceSubscriptions.Key(server, uri, upstreamSession))) {
      ObjectNode notification = NODES.objectNode().put("jsonrpc", "2.0").put("method", "notifications/resources/updated");
      ObjectNode params = notification.putObject("params");
      listens.subscriptionId(sessionId).ifPresent(subscriptionId -> params.putObject("_meta").set(Modern.SUBSCRIPTION_ID, subscriptionId));
      params.put("uri", uri);
      if (!streams.send(sessionId, notification)) {
        LOG.log(Level.DEBUG, "session {0}: update of a subscribed resource dropped: no GET stream open, or it is full", sessionId);
      }
    }
  }

  /**
   * Why a {@code GET /mcp} stream cannot be opened for this session, empty when it can: a stream
   * belongs to an initialized session, whose messages outside requests it carries.
   */
  public Optional<McpHttpResponse> refuseStream(Optional<String> sessionId, Identity identity) {
    if (sessionId.isEmpty()) {
      return Optional.of(McpHttpResponse.error(400, null, JsonRpcError.of(JsonRpcError.INVALID_REQUEST,
          "GET /mcp opens the stream of an MCP session; send its Mcp-Session-Id header (initialize first)")));
    }
    // Only the session's owner may listen to it, as only the owner may use it.
    if (!isOpenFor(sessionId.get(), identity)) {
      return Optional.of(sessionNotFound(null, sessionId.get()));
    }
    return Optional.empty();
  }

  /** Opens a standalone stream for an open session (checked with {@link #refuseStream}); close it when the client leaves. */
  public SessionStreams.Stream openStream(String sessionId) {
    return streams.open(sessionId);
  }

  /** Whether the session (or a 2026-07-28 listen) is still open; a stream of an ended one is closed. */
  public boolean isOpen(String sessionId) {
    return sessions.find(sessionId).isPresent() || listens.isOpen(sessionId);
  }

  /**
   * {@code POST /mcp} of a 2026-07-28 {@code subscriptions/listen} from a client that takes an
   * event stream: the stateless replacement of {@code GET /mcp} and {@code resources/subscribe},
   * opened by {@link Listens#open} once the message is checked here as every {@code POST} is. Any
   * other message is answered as {@link #post} answers it. The subscriptions end when the stream
   * does (the client leaves).
   */
  public Listening listen(McpHttpRequest request) {
    JsonRpcMessage message;
    try {
      message = decoder.decode(request.body());
      checkProtocolVersion(request, message);
    } catch (JsonRpcException e) {
      return new Listening.Answered(McpHttpResponse.error(e));
    }
    Optional<McpHttpResponse> mismatch = headerMismatch(message, request);
    if (mismatch.isPresent()) {
      return new Listening.Answered(mismatch.get());
    }
    if (!(message instanceof JsonRpcMessage.Request rpc) || !rpc.method().equals("subscriptions/listen")
        || !ProtocolVersions.MODERN.equals(request.protocolVersion().orElse(null))) {
      return new Listening.Answered(post(request));
    }
    return listens.open(rpc, request);
  }

  /** {@code POST /mcp}. */
  public McpHttpResponse post(McpHttpRequest request) {
    return post(request, Optional.empty(), StreamWatcher.NONE);
  }

  /**
   * {@code POST /mcp} from an agent that takes an SSE answer: on a {@code tools/call}, the
   * upstream's progress, log messages and requests reach it before the answer.
   *
   * @param toAgent receives each message for the agent before the answer; it must return quickly
   * @param upstreamStream hears when the upstream of a call in an MCP session answers with an event
   *     stream, and when the gateway resumes it, so that the agent's answer can mirror it
   */
  public McpHttpResponse post(McpHttpRequest request, Consumer<ObjectNode> toAgent, StreamWatcher upstreamStream) {
    return post(request, Optional.of(toAgent), upstreamStream);
  }

  private McpHttpResponse post(McpHttpRequest request, Optional<Consumer<ObjectNode>> toAgent, StreamWatcher upstreamStream) {
    JsonRpcMessage message;
    Span decode = Tracing.step("decode");
    boolean traced = decode.isRecording();
    try {
      message = decoder.decode(request.body());
      checkProtocolVersion(request, message);
    } catch (JsonRpcException e) {
      decode.setStatus(StatusCode.ERROR);
      return McpHttpResponse.error(e);
    } finally {
      decode.end();
    }
    if (traced && message instanceof JsonRpcMessage.Request call) {
      Span.current().setAttribute("mcp.method.name", call.method());
    }
    Optional<McpHttpResponse> mismatch = headerMismatch(message, request);
    if (mismatch.isPresent()) {
      return mismatch.get();
    }
    if (ProtocolVersions.MODERN.equals(request.protocolVersion().orElse(null))) {
      return modern(message, request, toAgent);
    }
    return switch (message) {
      case JsonRpcMessage.Notification n -> notification(n, request);
      case JsonRpcMessage.Response r -> agentAnswered(r, request);
      case JsonRpcMessage.Request r -> request(r, request, toAgent, upstreamStream);
    };
  }

  /**
   * A request whose mirrored headers ({@code Mcp-Method}, {@code Mcp-Name}) disagree with its
   * body, or are missing under 2026-07-28, is refused with 400 and {@code HeaderMismatchError},
   * and audited as blocked: something between the agent and the gateway may have acted on the
   * headers, while the policy would judge the body.
   */
  private Optional<McpHttpResponse> headerMismatch(JsonRpcMessage message, McpHttpRequest request) {
    JsonNode id;
    String method;
    ObjectNode params;
    switch (message) {
      case JsonRpcMessage.Request r -> {
        id = r.id();
        method = r.method();
        params = r.params();
      }
      case JsonRpcMessage.Notification n -> {
        id = null;
        method = n.method();
        params = n.params();
      }
      case JsonRpcMessage.Response r -> {
        return Optional.empty();
      }
    }
    Optional<String> problem = Modern.headerProblem(request, method, params);
    if (problem.isEmpty()) {
      return Optional.empty();
    }
    LOG.log(Level.INFO, "request refused: header mismatch ({0})", method);
    toolCalls.recordHeaderMismatch(method, params, request);
    return Optional.of(McpHttpResponse.error(400, id,
        JsonRpcError.withWord(Modern.HEADER_MISMATCH, "Header mismatch: " + problem.get(), "header_mismatch")));
  }

  /**
   * A request of the stateless 2026-07-28 revision: served without a session (an {@code
   * Mcp-Session-Id} is ignored, as the revision says), only the methods the revision has, with the
   * revision's own {@code _meta} members kept from the upstream, and each result in the revision's
   * shape.
   */
  private McpHttpResponse modern(JsonRpcMessage message, McpHttpRequest request, Optional<Consumer<ObjectNode>> toAgent) {
    if (!(message instanceof JsonRpcMessage.Request rpc)) {
      // The revision defines no client notification over HTTP (closing the stream cancels) and no client responses.
      return message instanceof JsonRpcMessage.Notification
          ? McpHttpResponse.accepted()
          : McpHttpResponse.error(400, null, JsonRpcError.of(JsonRpcError.INVALID_REQUEST,
              "MCP 2026-07-28 clients send no responses: server requests are made with input_required results"));
    }
    if (!Modern.METHODS.contains(rpc.method())) {
      return McpHttpResponse.error(404, rpc.id(), JsonRpcError.of(JsonRpcError.METHOD_NOT_FOUND,
          "method not found in MCP " + ProtocolVersions.MODERN + ": " + rpc.method() + notOffered(rpc.method(), true)));
    }
    Optional<String> missing = Modern.missingMeta(rpc.params());
    if (missing.isPresent()) {
      return McpHttpResponse.error(400, rpc.id(), JsonRpcError.of(JsonRpcError.INVALID_PARAMS, "Invalid params: " + missing.get()));
    }
    if (rpc.method().equals("server/discover")) {
      return McpHttpResponse.result(rpc.id(), Modern.discover(gatewayVersion));
    }
    if (rpc.method().equals("subscriptions/listen")) {
      // Served by listen(), on an event stream.
      return McpHttpResponse.error(406, rpc.id(), JsonRpcError.withWord(JsonRpcError.INVALID_REQUEST,
          "subscriptions/listen opens an event stream; send Accept: text/event-stream", "not_acceptable"));
    }
    if (Modern.TASK_METHODS.contains(rpc.method())) {
      return Modern.decorated(rpc.method(), rpc.params(), modernTask(rpc, request), gatewayVersion);
    }
    Optional<McpLogLevel> level = McpLogLevel.named(rpc.params().path("_meta").path(Modern.LOG_LEVEL).asText(""));
    AgentCapabilities capabilities = AgentCapabilities.declared(rpc.params().path("_meta").path(Modern.CLIENT_CAPABILITIES));
    Modern.stripMeta(rpc.params());
    Optional<Consumer<ObjectNode>> sink = toAgent.map(stream -> Modern.filtered(stream, level));
    McpHttpResponse answer;
    boolean asksInput = rpc.method().equals("tools/call") || rpc.method().equals("prompts/get");
    if (asksInput) {
      Optional<McpHttpResponse> refused = openUpstreamState(rpc, request);
      if (refused.isPresent()) {
        return refused.get();
      }
    }
    if (rpc.method().equals("tools/call")) {
      // The multi round-trip members of the gateway's own round trips are the client's exchange with
      // the gateway, never the upstream's; an upstream's own (a 2026-07-28 server's) go on as they came.
      // The gateway's round trips always issue a state, so inputResponses without one answer the
      // upstream's input_required (a server need not send a state).
      JsonNode state = rpc.params().get("requestState");
      JsonNode responses = null;
      if (state != null && RoundTrips.isGateways(state)) {
        rpc.params().remove("requestState");
        responses = rpc.params().remove("inputResponses");
      } else {
        state = null;
      }
      answer = state != null || capabilities.sampling() || capabilities.elicitation()
          ? roundTripCall(rpc, request.withoutSession(), sink, capabilities, state, responses)
          : request(rpc, request.withoutSession(), sink, StreamWatcher.NONE);
    } else {
      // Served without a session, so nothing could resume a stream: the answer is not mirrored.
      answer = request(rpc, request.withoutSession(), sink, StreamWatcher.NONE);
    }
    if (asksInput) {
      sealUpstreamState(rpc, request, answer);
    }
    return Modern.decorated(rpc.method(), rpc.params(), answer, gatewayVersion);
  }

  /**
   * {@code tasks/get}, {@code tasks/update} or {@code tasks/cancel} of the tasks extension: only
   * for a request that declares the extension (SEP-2663: -32021 otherwise), and only for the tasks
   * its caller created ({@link TaskMethods#handleModern}).
   */
  private McpHttpResponse modernTask(JsonRpcMessage.Request rpc, McpHttpRequest request) {
    if (!Modern.declaresTasks(rpc.params().path("_meta").get(Modern.CLIENT_CAPABILITIES))) {
      return McpHttpResponse.error(400, rpc.id(), Modern.missingTasksExtension(rpc.method()));
    }
    try {
      Caller caller = Caller.of(rpc.id(), rpc.params(), Optional.empty(), request.workflowId(), request.identity());
      if (!caller.workflowAllowed()) {
        throw caller.workflowNotAllowed(rpc.id());
      }
      String owner = TaskRegistry.modernOwner(request.identity().owner(), caller.workflowId());
      return McpHttpResponse.message(200, toolCalls.tasks().handleModern(rpc.method(), rpc.id(), rpc.params(), owner));
    } catch (JsonRpcException e) {
      return McpHttpResponse.error(e);
    }
  }

  /**
   * The caller a round trip is bound to: the authenticated identity and the workflow, as for the
   * gateway's own round trips.
   */
  private static String principal(JsonRpcMessage.Request rpc, McpHttpRequest request) throws JsonRpcException {
    Caller caller = Caller.of(rpc.id(), rpc.params(), Optional.empty(), request.workflowId(), request.identity());
    return request.identity().owner() + "|" + caller.workflowId();
  }

  /**
   * A retry of an upstream's own {@code input_required} round trip carries the state the gateway
   * sealed ({@link RoundTrips#sealUpstream}): it is checked and replaced by the upstream's, so that
   * only its caller can continue it, on the same method and name, and nobody can alter it. A state
   * the gateway did not issue at all is refused: every state a client gets through the gateway is
   * one of its own. The retry itself is then decided by the policy like any request.
   */
  private Optional<McpHttpResponse> openUpstreamState(JsonRpcMessage.Request rpc, McpHttpRequest request) {
    JsonNode state = rpc.params().get("requestState");
    if (state == null || (rpc.method().equals("tools/call") && RoundTrips.isGateways(state))) {
      return Optional.empty();
    }
    if (!RoundTrips.isUpstreams(state)) {
      return Optional.of(McpHttpResponse.error(200, rpc.id(), JsonRpcError.withWord(JsonRpcError.INVALID_PARAMS,
          "requestState was not issued by this gateway or was altered; echo the exact value of the latest input_required result",
          "request_state_invalid")));
    }
    try {
      String upstreams = roundTrips.openUpstream(state.asText(), principal(rpc, request), rpc.method(),
          rpc.params().path("name").asText(""));
      rpc.params().put("requestState", upstreams);
      return Optional.empty();
    } catch (JsonRpcException e) {
      return Optional.of(McpHttpResponse.error(e));
    } catch (RoundTrips.RefusedState e) {
      LOG.log(Level.INFO, "{0} retry refused: {1}", rpc.method(), e.refusal().word());
      return Optional.of(McpHttpResponse.error(200, rpc.id(),
          JsonRpcError.withWord(JsonRpcError.INVALID_PARAMS, e.refusal().message(), e.refusal().word())));
    }
  }

  /** An upstream's own {@code input_required} result goes to the client with its state sealed to the caller ({@link #openUpstreamState}). */
  private void sealUpstreamState(JsonRpcMessage.Request rpc, McpHttpRequest request, McpHttpResponse answer) {
    if (answer.body().isEmpty() || !(answer.body().get().get("result") instanceof ObjectNode result)
        || !"input_required".equals(result.path("resultType").asText()) || !result.path("requestState").isTextual()
        || result.path("requestState").asText().startsWith(RoundTrips.PREFIX)) {
      // The gateway's own states are sealed already; one an upstream made up to look like them fails their MAC.
      return;
    }
    try {
      result.put("requestState", roundTrips.sealUpstream(result.path("requestState").asText(), principal(rpc, request),
          rpc.method(), rpc.params().path("name").asText("")));
    } catch (JsonRpcException e) {
      // The request was served under this caller already, so its caller can be named: not reached.
      result.remove("requestState");
    }
  }

  /**
   * A 2026-07-28 {@code tools/call} whose upstream may ask the client something: the call runs on
   * a thread of its own, and this request is answered with its result or, when the upstream asks
   * first, with an {@code input_required} result ({@link RoundTrip}). A retry carrying a {@code
   * requestState} continues that call: it is not decided or forwarded again.
   */
  private McpHttpResponse roundTripCall(JsonRpcMessage.Request rpc, McpHttpRequest request, Optional<Consumer<ObjectNode>> sink,
      AgentCapabilities capabilities, JsonNode state, JsonNode responses) {
    String principal;
    try {
      Caller caller = Caller.of(rpc.id(), rpc.params(), Optional.empty(), request.workflowId(), request.identity());
      principal = request.identity().owner() + "|" + caller.workflowId();
    } catch (JsonRpcException e) {
      return McpHttpResponse.error(e);
    }
    ObjectNode salient = rpc.params().deepCopy();
    salient.remove("_meta");
    String requestSha256 = Digests.sha256Hex(CanonicalJson.bytes(salient));
    if (state != null) {
      if (!state.isTextual()) {
        return McpHttpResponse.error(200, rpc.id(), JsonRpcError.of(JsonRpcError.INVALID_PARAMS, "requestState must be a string"));
      }
      RoundTrips.Continuation continuation;
      try {
        continuation = roundTrips.resolve(state.asText(), principal, requestSha256);
      } catch (RoundTrips.RefusedState e) {
        LOG.log(Level.INFO, "tools/call retry refused: {0}", e.refusal().word());
        return McpHttpResponse.error(200, rpc.id(),
            JsonRpcError.withWord(JsonRpcError.INVALID_PARAMS, e.refusal().message(), e.refusal().word()));
      }
      Optional<String> refused = continuation.roundTrip().resume(continuation.round(), responses);
      if (refused.isPresent()) {
        return McpHttpResponse.error(200, rpc.id(), JsonRpcError.withWord(JsonRpcError.INVALID_PARAMS, refused.get(), "request_state_used"));
      }
      return step(continuation.roundTrip(), rpc.id(), sink);
    }
    RoundTrip trip = roundTrips.begin(principal, requestSha256, capabilities);
    CallStream stream = new CallStream(Optional.of(trip::deliver), () -> McpLogLevel.DEBUG, agentRequests, toolCalls.audit(),
        request.requestId(), trip);
    Runnable call = () -> {
      RoundTrip.Step.Done outcome;
      try (stream) {
        outcome = new RoundTrip.Step.Done(Optional.of(toolCalls.call(rpc.id(), rpc.params(), Optional.empty(), request.workflowId(),
            request.requestId(), stream, request.identity())), Optional.empty());
      } catch (JsonRpcException e) {
        outcome = new RoundTrip.Step.Done(Optional.empty(), Optional.of(e));
      } catch (RuntimeException e) {
        LOG.log(Level.ERROR, "tools/call failed inside the gateway", e);
        outcome = new RoundTrip.Step.Done(Optional.empty(), Optional.of(new JsonRpcException(
            JsonRpcError.of(JsonRpcError.INTERNAL_ERROR, "the call failed inside the gateway"), rpc.id(), 500)));
      }
      trip.finish(outcome);
    };
    Thread.ofVirtual().name("cmcp-" + trip.id()).start(Context.current().wrap(call));
    return step(trip, rpc.id(), sink);
  }

  /** Waits for the call's end or its next questions, and answers request {@code id} with them. */
  private McpHttpResponse step(RoundTrip trip, JsonNode id, Optional<Consumer<ObjectNode>> sink) {
    RoundTrip.Step step;
    trip.listen(sink.orElse(message -> { }));
    try {
      step = trip.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return McpHttpResponse.error(503, id, JsonRpcError.of(JsonRpcError.INTERNAL_ERROR, "the gateway is stopping"));
    } finally {
      trip.listen(message -> { });
    }
    return switch (step) {
      case RoundTrip.Step.Done done when done.refusal().isPresent() -> {
        JsonRpcException refusal = done.refusal().get();
        yield McpHttpResponse.error(new JsonRpcException(refusal.error(), id, refusal.httpStatus()));
      }
      case RoundTrip.Step.Done done -> {
        ObjectNode response = done.response().orElseThrow().deepCopy();
        response.set("id", id);
        yield McpHttpResponse.message(200, response);
      }
      case RoundTrip.Step.InputRequired input -> {
        ObjectNode result = NODES.objectNode().put("resultType", "input_required");
        result.set("inputRequests", input.inputRequests());
        result.put("requestState", roundTrips.state(trip, input.round()));
        yield McpHttpResponse.result(id, result);
      }
      case RoundTrip.Step.Ended ended ->
          McpHttpResponse.error(200, id, JsonRpcError.withWord(JsonRpcError.INTERNAL_ERROR, ended.why(), "round_trip_expired"));
    };
  }

  /** {@code DELETE /mcp}: the agent ends its session. */
  public McpHttpResponse delete(Optional<String> sessionId) {
    return delete(sessionId, Identity.UNAUTHENTICATED);
  }

  /** {@code DELETE /mcp} by {@code identity}: only the session's own caller can end it. */
  public McpHttpResponse delete(Optional<String> sessionId, Identity identity) {
    if (sessionId.isEmpty()) {
      return McpHttpResponse.error(400, null, JsonRpcError.of(JsonRpcError.INVALID_REQUEST, "DELETE /mcp needs an Mcp-Session-Id header"));
    }
    if (!sessions.usableBy(sessionId.get(), identity.owner()) || sessions.end(sessionId.get()).isEmpty()) {
      return sessionNotFound(null, sessionId.get());
    }
    toolCalls.sessionEnded(sessionId.get());
    // The session's own upstream sessions end with it; only a shared one is told of its leaving.
    subscriptions.endSession(sessionId.get()).stream()
        .filter(key -> key.session().equals(Upstreams.SHARED_SESSION))
        .forEach(toolCalls::unsubscribeUpstream);
    LOG.log(Level.INFO, "session {0} ended", sessionId.get());
    claims.filter(issuer -> issuer.knows(sessionId.get())).ifPresent(issuer -> {
      try {
        issuer.issue(sessionId.get());
      } catch (IOException e) {
        LOG.log(Level.ERROR, "session {0}: claim not written: {1}", sessionId.get(), e.getMessage());
      }
    });
    return new McpHttpResponse(204, Optional.empty(), Map.of());
  }

  /** {@code GET /v1/sessions/{id}/claim}: a signed claim over the session's calls so far. */
  public McpHttpResponse claim(String sessionId) {
    return claim(sessionId, Identity.UNAUTHENTICATED);
  }

  /**
   * {@code GET /v1/sessions/{id}/claim} by {@code identity}: an authenticated caller gets the claims
   * of its own sessions only, unless {@code auth.auditors} names it; another's session is answered
   * as unknown, so that its existence is not told either.
   */
  public McpHttpResponse claim(String sessionId, Identity identity) {
    if (!identity.owner().isEmpty() && !identity.auditor()
        && !sessions.ownerOf(sessionId).filter(identity.owner()::equals).isPresent()) {
      return McpHttpResponse.error(404, null, JsonRpcError.withWord(JsonRpcError.INVALID_REQUEST,
          "no calls of yours are recorded for session " + sessionId, "session_not_found"));
    }
    if (claims.isEmpty()) {
      return McpHttpResponse.error(409, null, JsonRpcError.withWord(JsonRpcError.INVALID_REQUEST,
          "enforcement_mode silent keeps no audit log, so no claim can be issued", "no_audit_log"));
    }
    if (!claims.get().knows(sessionId)) {
      return McpHttpResponse.error(404, null, JsonRpcError.withWord(JsonRpcError.INVALID_REQUEST,
          "no calls are recorded for session " + sessionId, "session_not_found"));
    }
    try {
      return McpHttpResponse.message(200, claims.get().issue(sessionId));
    } catch (IOException e) {
      return McpHttpResponse.error(500, null, JsonRpcError.withWord(JsonRpcError.INTERNAL_ERROR,
          "the claim could not be written to the claims folder: " + e.getMessage(), "claim_not_written"));
    }
  }

  private McpHttpResponse notification(JsonRpcMessage.Notification notification, McpHttpRequest request) {
    if (request.sessionId().isPresent() && !isOpenFor(request.sessionId().get(), request.identity())) {
      return sessionNotFound(null, request.sessionId().get());
    }
    if (notification.method().equals("notifications/cancelled") && request.sessionId().isPresent()) {
      JsonNode cancelled = notification.params().get("requestId");
      CallStream call = cancelled == null ? null : callsInFlight.get(new CallInFlight(request.sessionId().get(), cancelled.toString()));
      if (call != null) {
        // The agent's reason is not passed on: the upstream needs to know only that it may stop.
        call.cancellation().cancel("cancelled by the agent");
      }
    }
    // Other notifications (initialized, progress) and cancellations of nothing in flight need no answer.
    return McpHttpResponse.accepted();
  }

  /**
   * The agent's answer to a server request relayed during one of its calls: routed to that
   * server only from the session that was asked, and refused otherwise.
   */
  private McpHttpResponse agentAnswered(JsonRpcMessage.Response response, McpHttpRequest request) {
    Optional<String> session = request.sessionId();
    if (session.isPresent() && !isOpenFor(session.get(), request.identity())) {
      return sessionNotFound(null, session.get());
    }
    if (session.isEmpty() || !agentRequests.answer(session.get(), response.id(), response.raw())) {
      return McpHttpResponse.error(400, null, JsonRpcError.withWord(JsonRpcError.INVALID_REQUEST,
          "no request of this session waits for an answer with this id", "unknown_request"));
    }
    return McpHttpResponse.accepted();
  }

  private McpHttpResponse request(JsonRpcMessage.Request rpc, McpHttpRequest request, Optional<Consumer<ObjectNode>> toAgent,
      StreamWatcher upstreamStream) {
    if (rpc.method().equals("initialize")) {
      return initialize(rpc, request);
    }
    Optional<String> session = request.sessionId();
    if (session.isPresent() && !isOpenFor(session.get(), request.identity())) {
      return sessionNotFound(rpc.id(), session.get());
    }
    // A session named in the body belongs, like an MCP session, to the caller that used it first.
    JsonNode named = rpc.params() == null ? null : rpc.params().path("_cmcp").get("session_id");
    if (named != null && named.isTextual() && !sessions.usableBy(named.asText(), request.identity().owner())) {
      return sessionNotFound(rpc.id(), named.asText());
    }
    try {
      return switch (rpc.method()) {
        case "ping" -> McpHttpResponse.result(rpc.id(), NODES.objectNode());
        // Answered in every revision: a client may probe with it before choosing one.
        case "server/discover" -> McpHttpResponse.result(rpc.id(), Modern.discover(gatewayVersion));
        case "tools/list" -> McpHttpResponse.result(rpc.id(), toolCalls.discovery().tools(caller(rpc, request), rpc.params()));
        case "tools/call" -> {
          refuseBorrowedSession(rpc, session);
          yield McpHttpResponse.message(200, forAgent(session, callTool(rpc, request, toAgent, upstreamStream)));
        }
        case "logging/setLevel" -> setLogLevel(rpc, session);
        case "completion/complete" -> McpHttpResponse.message(200, toolCalls.completions().complete(rpc.id(), rpc.params(), caller(rpc, request)));
        case "resources/list" -> McpHttpResponse.result(rpc.id(), toolCalls.discovery().resources(caller(rpc, request), rpc.params()));
        case "resources/templates/list" -> {
          caller(rpc, request);
          yield McpHttpResponse.result(rpc.id(), toolCalls.discovery().resourceTemplates(rpc.params()));
        }
        case "resources/subscribe" -> McpHttpResponse.message(200, toolCalls.subscribe(rpc.id(), rpc.params(),
            requireSession(rpc, session), request.workflowId(), request.requestId(), request.identity(), subscriptions));
        case "resources/unsubscribe" ->
            McpHttpResponse.message(200, toolCalls.unsubscribe(rpc.id(), rpc.params(), requireSession(rpc, session), subscriptions));
        case "resources/read" -> {
          refuseBorrowedSession(rpc, session);
          yield McpHttpResponse.message(200,
              toolCalls.readResource(rpc.id(), rpc.params(), session, request.workflowId(), request.requestId(), request.identity()));
        }
        case "prompts/list" -> McpHttpResponse.result(rpc.id(), toolCalls.discovery().prompts(caller(rpc, request), rpc.params()));
        case "prompts/get" -> {
          refuseBorrowedSession(rpc, session);
          yield McpHttpResponse.message(200,
              forAgent(session, toolCalls.getPrompt(rpc.id(), rpc.params(), session, request.workflowId(), request.requestId(), request.identity())));
        }
        case "tasks/get", "tasks/result", "tasks/list", "tasks/cancel" -> tasks(rpc, request, toAgent, upstreamStream);
        default -> McpHttpResponse.error(200, rpc.id(),
            JsonRpcError.of(JsonRpcError.METHOD_NOT_FOUND, "method not found: " + rpc.method() + notOffered(rpc.method(), false)));
      };
    } catch (JsonRpcException e) {
      return McpHttpResponse.error(e);
    }
  }

  /**
   * A {@code tasks/*} request: served only in an MCP session the gateway offered tasks (MCP
   * 2025-11-25), for the tasks that session created; an unknown method anywhere else.
   */
  private McpHttpResponse tasks(JsonRpcMessage.Request rpc, McpHttpRequest request, Optional<Consumer<ObjectNode>> toAgent,
      StreamWatcher upstreamStream) throws JsonRpcException {
    Optional<McpSession> open = request.sessionId().flatMap(sessions::find);
    if (open.isEmpty() || !TaskMethods.offeredTo(open.get().protocolVersion())) {
      return McpHttpResponse.error(200, rpc.id(),
          JsonRpcError.of(JsonRpcError.METHOD_NOT_FOUND, "method not found: " + rpc.method() + notOffered(rpc.method(), false)));
    }
    String session = open.get().id();
    // A tasks/result waits for the task's end, and an input_required task asks its questions meanwhile, as a call would.
    try (CallStream stream = new CallStream(toAgent, upstreamStream, open, () -> sessions.logLevel(session), agentRequests,
        toolCalls.audit(), request.requestId())) {
      Optional<CallInFlight> cancellable = Optional.of(new CallInFlight(session, rpc.id().toString()))
          .filter(key -> callsInFlight.putIfAbsent(key, stream) == null);
      try {
        return McpHttpResponse.message(200, toolCalls.tasks().handle(rpc.method(), rpc.id(), rpc.params(), session, stream));
      } finally {
        cancellable.ifPresent(callsInFlight::remove);
      }
    }
  }

  /** An answer in the revision the session negotiated, which may be older than the upstream's. */
  private ObjectNode forAgent(Optional<String> session, ObjectNode answer) {
    Optional<McpSession> open = session.flatMap(sessions::find);
    return open.isEmpty() ? answer : RevisionTranslation.forAgent(open.get().protocolVersion(), answer);
  }

  /**
   * A stateless call may name its session in {@code _cmcp.session_id}, but not one opened with
   * {@code initialize}: those ids belong to the client holding the {@code Mcp-Session-Id}, and a
   * call recorded under one would appear in that session's claim.
   */
  private void refuseBorrowedSession(JsonRpcMessage.Request rpc, Optional<String> transportSession) throws JsonRpcException {
    JsonNode claimed = rpc.params().path("_cmcp").path("session_id");
    if (transportSession.isEmpty() && claimed.isTextual()
        && (sessions.find(claimed.asText()).isPresent() || sessions.wasEnded(claimed.asText()))) {
      throw new JsonRpcException(JsonRpcError.of(JsonRpcError.INVALID_PARAMS,
          "_cmcp.session_id names an MCP session; send its Mcp-Session-Id header instead"), rpc.id(), 200);
    }
  }

  /**
   * A {@code tools/call} with its stream to the agent. A call in a session can be cancelled by
   * the agent while it runs (unless the agent reused the id of one still in flight).
   */
  private ObjectNode callTool(JsonRpcMessage.Request rpc, McpHttpRequest request, Optional<Consumer<ObjectNode>> toAgent,
      StreamWatcher upstreamStream) throws JsonRpcException {
    Optional<String> session = request.sessionId();
    Optional<McpSession> open = session.flatMap(sessions::find);
    try (CallStream stream = new CallStream(toAgent, upstreamStream, open,
        () -> open.map(s -> sessions.logLevel(s.id())).orElse(McpLogLevel.DEBUG), agentRequests, toolCalls.audit(),
        request.requestId())) {
      Optional<CallInFlight> cancellable = session.map(id -> new CallInFlight(id, rpc.id().toString()))
          .filter(key -> callsInFlight.putIfAbsent(key, stream) == null);
      try {
        return toolCalls.call(rpc.id(), rpc.params(), session, request.workflowId(), request.requestId(), stream, request.identity(),
            open.map(s -> TaskMethods.offeredTo(s.protocolVersion())).orElse(false));
      } finally {
        cancellable.ifPresent(callsInFlight::remove);
      }
    }
  }

  /**
   * Kept per session and applied by the gateway, not forwarded: stdio servers and servers in
   * {@code session_mode: shared} serve every agent in one session, where a level forwarded would
   * change what other agents hear; the gateway filters what reaches this session instead.
   */
  private McpHttpResponse setLogLevel(JsonRpcMessage.Request rpc, Optional<String> session) throws JsonRpcException {
    Optional<McpLogLevel> level = McpLogLevel.named(rpc.params().path("level").asText(""));
    if (level.isEmpty()) {
      throw Caller.invalidParams(rpc.id(), "logging/setLevel needs \"level\", one of debug, info, notice, warning, error, "
          + "critical, alert, emergency");
    }
    if (session.isEmpty()) {
      throw Caller.invalidParams(rpc.id(), "logging/setLevel applies to an MCP session; send initialize first and then its Mcp-Session-Id");
    }
    sessions.setLogLevel(session.get(), level.get());
    return McpHttpResponse.result(rpc.id(), NODES.objectNode());
  }

  /** Subscriptions are kept per session, and their updates sent on its stream: there is none without one. */
  private static String requireSession(JsonRpcMessage.Request rpc, Optional<String> session) throws JsonRpcException {
    if (session.isEmpty()) {
      throw Caller.invalidParams(rpc.id(), rpc.method() + " applies to an MCP session; send initialize first and then its Mcp-Session-Id");
    }
    return session.get();
  }

  /** Why a method the gateway does not serve is missing, where clients may expect it; empty otherwise. */
  private static String notOffered(String method, boolean modern) {
    if (!method.startsWith("tasks/")) {
      return "";
    }
    return modern
        ? " (the 2026-07-28 tasks extension has tasks/get, tasks/update and tasks/cancel; a completed task's result is inlined"
            + " in tasks/get, and there is no tasks/list)"
        : " (the gateway offers MCP 2025-11-25 tasks only in an MCP session initialized with protocol version " + TaskMethods.REVISION
            + ", to the session that created them; 2026-07-28 clients use the tasks extension)";
  }

  /** Who lists: the same session and workflow rules as a call, so a listing shows what that caller may use. */
  private static Caller caller(JsonRpcMessage.Request rpc, McpHttpRequest request) throws JsonRpcException {
    Caller caller = Caller.of(rpc.id(), rpc.params(), request.sessionId(), request.workflowId(), request.identity());
    if (!caller.workflowAllowed()) {
      throw caller.workflowNotAllowed(rpc.id());
    }
    return caller;
  }

  /** Whether session {@code id} is open and belongs to {@code identity} (any session, for an unnamed caller). */
  private boolean isOpenFor(String id, Identity identity) {
    return sessions.find(id).isPresent() && sessions.usableBy(id, identity.owner());
  }

  private McpHttpResponse initialize(JsonRpcMessage.Request rpc, McpHttpRequest request) {
    if (request.sessionId().isPresent()) {
      return McpHttpResponse.error(400, rpc.id(),
          JsonRpcError.of(JsonRpcError.INVALID_REQUEST, "initialize must not carry an Mcp-Session-Id; it opens a new session"));
    }
    JsonNode requested = rpc.params().get("protocolVersion");
    if (requested == null || !requested.isTextual()) {
      return McpHttpResponse.error(200, rpc.id(),
          JsonRpcError.of(JsonRpcError.INVALID_PARAMS, "initialize needs \"protocolVersion\", a string"));
    }
    String version = ProtocolVersions.negotiate(requested.asText());
    String clientName = rpc.params().path("clientInfo").path("name").asText("unknown");
    Optional<McpSession> session =
        sessions.open(sessionPrincipal.of(request), version, clientName, AgentCapabilities.declared(rpc.params().path("capabilities")),
        request.identity().owner());
    if (session.isEmpty()) {
      return McpHttpResponse.error(503, rpc.id(),
          JsonRpcError.withWord(JsonRpcError.INTERNAL_ERROR, "too many open sessions; end one with DELETE /mcp", "too_many_sessions"));
    }
    ObjectNode result = NODES.objectNode();
    result.put("protocolVersion", version);
    ObjectNode capabilities = result.putObject("capabilities");
    // The servers' list changes and the policy reloads that may change what the agent sees reach its GET stream.
    capabilities.putObject("tools").put("listChanged", true);
    // A subscription is decided as a read; its updates reach the subscribing sessions' GET streams, by URI only.
    capabilities.putObject("resources").put("subscribe", true).put("listChanged", true);
    capabilities.putObject("prompts").put("listChanged", true);
    // Upstream log messages sent during a call reach the agent on the call's stream, filtered by the session's level.
    capabilities.putObject("logging");
    // Asked of the server that offers the prompt or template, if the policy lets the caller use it.
    capabilities.putObject("completions");
    if (TaskMethods.offeredTo(version)) {
      // Task-augmented tools/call of tools whose servers run them as tasks; tasks/* for the session's own tasks.
      capabilities.set("tasks", TaskMethods.capability());
    }
    result.putObject("serverInfo").put("name", "cmcp-gateway").put("title", "cMCP gateway").put("version", gatewayVersion);
    result.put("instructions",
        "Tool calls, resource reads and prompts through this gateway are checked against a Cedar policy bundle and audited.");
    LOG.log(Level.INFO, "session {0} opened by {1} (MCP {2})", session.get().id(), clientName, version);
    return McpHttpResponse.result(rpc.id(), result).withHeader("Mcp-Session-Id", session.get().id());
  }

  /**
   * A version the gateway does not speak is refused with 400, as the transport says, and with the
   * request's id and the error MCP names for it ({@code UnsupportedProtocolVersionError}, listing
   * the versions spoken), so that a client can retry with one of them.
   */
  private static void checkProtocolVersion(McpHttpRequest request, JsonRpcMessage message) throws JsonRpcException {
    Optional<String> version = request.protocolVersion();
    if (version.isPresent() && !ProtocolVersions.acceptsHeader(version.get())) {
      throw new JsonRpcException(ProtocolVersions.unsupported(version.get()), idOf(message), 400);
    }
  }

  /** The id to answer an error with: the request's, or none for what has no id to echo. */
  private static JsonNode idOf(JsonRpcMessage message) {
    return message instanceof JsonRpcMessage.Request rpc ? rpc.id() : null;
  }

  private McpHttpResponse sessionNotFound(JsonNode id, String sessionId) {
    String why = sessions.wasEnded(sessionId) ? "has ended" : "is not known";
    // 404 tells a spec-following client to start a new session with initialize.
    return McpHttpResponse.error(404, id,
        JsonRpcError.withWord(JsonRpcError.SESSION_NOT_FOUND, "session " + why + "; send initialize to open a new one", "session_not_found"));
  }
}
