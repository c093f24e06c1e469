package dev.cmcp.gateway.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.gateway.audit.AuditException;
import dev.cmcp.gateway.audit.AuditLog;
import dev.cmcp.gateway.ops.LogField;
import dev.cmcp.gateway.upstream.AgentRelays;
import dev.cmcp.gateway.upstream.Cancellation;
import dev.cmcp.gateway.upstream.StreamWatcher;
import dev.cmcp.verify.audit.AuditRecord;
import dev.cmcp.verify.base.CanonicalJson;
import dev.cmcp.verify.base.Digests;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * What the upstream may send the agent while one call runs, on the call's own answer stream:
 * progress, log messages at or above the session's level, and requests the agent declared it
 * takes. The agent may also call the call off ({@link #cancellation()}).
 *
 * <p>A server request is sent under an id of the gateway's and audited, by digest, before the
 * agent sees it; the agent's answer comes back through {@link AgentRequests} and is audited before
 * the server gets it. No audit, no relay. Closed when the call has its answer: requests the agent
 * has not answered by then are answered to the server with an error.
 */
final class CallStream implements AgentRelays.Relay, AutoCloseable {

  private static final Logger LOG = System.getLogger("cmcp.mcp");
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  /** A server asking more at once than this within one call is refused: each request waits in memory. */
  static final int MAX_OPEN_REQUESTS = 8;

  private final Optional<Consumer<ObjectNode>> toAgent;
  private final Optional<McpSession> session;
  private final Supplier<McpLogLevel> level;
  private final AgentRequests requests;
  private final Optional<AuditLog> audit;
  private final Optional<String> requestId;
  /** For a stateless MCP 2026-07-28 call: where its server's requests are put to the client instead ({@code input_required}). */
  private final Optional<RoundTrip> roundTrip;
  /** The requests put to the agent during this call, by relayed id, each with where its server waits. */
  private final Map<String, Consumer<ObjectNode>> asked = new ConcurrentHashMap<>();
  private final Cancellation cancellation = new Cancellation();
  /** Hears whether the server answers with a stream: the agent's stream when it can mirror one. */
  private final StreamWatcher watcher;

  /**
   * @param toAgent the call's answer stream; empty when the agent takes only a JSON answer, so
   *     that nothing can be sent before it
   * @param watcher hears whether the server answers with an event stream; {@link StreamWatcher#NONE}
   *     when the agent's answer does not mirror it
   * @param session the agent's MCP session; empty for a stateless call, which no request can be put to
   *     on its stream (a 2026-07-28 client is asked with {@code input_required} instead: the other constructor)
   * @param level the least severe log level the agent is sent, read at each message
   * @param audit where relayed requests and answers are recorded; empty in silent mode
   * @param requestId the HTTP request id of the call, linking its relayed requests to its decision
   */
  CallStream(Optional<Consumer<ObjectNode>> toAgent, StreamWatcher watcher, Optional<McpSession> session, Supplier<McpLogLevel> level,
      AgentRequests requests, Optional<AuditLog> audit, Optional<String> requestId) {
    this(toAgent, watcher, session, level, requests, audit, requestId, Optional.empty());
  }

  /**
   * A stream for a stateless MCP 2026-07-28 call, whose server requests become the questions of an
   * {@code input_required} result of {@code roundTrip} rather than requests on the answer stream.
   */
  CallStream(Optional<Consumer<ObjectNode>> toAgent, Supplier<McpLogLevel> level, AgentRequests requests,
      Optional<AuditLog> audit, Optional<String> requestId, RoundTrip roundTrip) {
    this(toAgent, StreamWatcher.NONE, Optional.empty(), level, requests, audit, requestId, Optional.of(roundTrip));
  }

  private CallStream(Optional<Consumer<ObjectNode>> toAgent, StreamWatcher watcher, Optional<McpSession> session,
      Supplier<McpLogLevel> level, AgentRequests requests, Optional<AuditLog> audit, Optional<String> requestId,
      Optional<RoundTrip> roundTrip) {
    this.roundTrip = roundTrip;
    this.toAgent = toAgent;
    this.watcher = watcher;
    this.session = session;
    this.level = level;
    this.requests = requests;
    this.audit = audit;
    this.requestId = requestId;
  }

  /** A stream for an agent that takes only the JSON answer. */
  static CallStream none() {
    return new CallStream(Optional.empty(), StreamWatcher.NONE, Optional.empty(), () -> McpLogLevel.EMERGENCY, new AgentRequests(),
        Optional.empty(), Optional.empty());
  }

  /** Called by the agent's {@code notifications/cancelled}. */
  Cancellation cancellation() {
    return cancellation;
  }

  /** Hears whether the server answers the call with a stream. */
  StreamWatcher watcher() {
    return watcher;
  }

  /** An upstream progress notification, already under the agent's token. */
  void progress(ObjectNode notification) {
    toAgent.ifPresent(stream -> stream.accept(notification));
  }

  /** Only {@code level}, {@code logger} and {@code data} are passed on; a message of no known level is dropped. */
  @Override
  public void log(ObjectNode notification) {
    if (toAgent.isEmpty() || !(notification.get("params") instanceof ObjectNode params)) {
      return;
    }
    Optional<McpLogLevel> severity = McpLogLevel.named(params.path("level").asText(""));
    if (severity.isEmpty() || !level.get().admits(severity.get())) {
      return;
    }
    ObjectNode relayed = NODES.objectNode().put("jsonrpc", "2.0").put("method", "notifications/message");
    relayed.set("params", params.deepCopy().retain("level", "logger", "data"));
    toAgent.get().accept(relayed);
  }

  @Override
  public boolean ask(ObjectNode request, Consumer<ObjectNode> answer) {
    String method = request.path("method").asText();
    if (roundTrip.isPresent()) {
      return askByRoundTrip(roundTrip.get(), method, request.get("params"), answer);
    }
    asked.keySet().removeIf(open -> !requests.waits(open));
    if (toAgent.isEmpty() || session.isEmpty() || !session.get().capabilities().accepts(method) || asked.size() >= MAX_OPEN_REQUESTS) {
      return false;
    }
    String sessionId = session.get().id();
    String id = requests.newId();
    JsonNode params = request.get("params");
    String paramsSha256 = Digests.sha256Hex(CanonicalJson.bytes(params == null ? NODES.objectNode() : params));
    if (!recorded(log -> log.appendRelayedRequest(new AuditRecord.RelayedRequest(sessionId, method, id, paramsSha256, requestId)))) {
      return false;
    }
    asked.put(id, answer);
    requests.open(id, sessionId, response -> answer.accept(recordedAnswer(id, response)));
    ObjectNode relayed = NODES.objectNode().put("jsonrpc", "2.0").put("id", id).put("method", method);
    if (params != null) {
      relayed.set("params", params);
    }
    LOG.log(Level.INFO, "upstream request relayed to the agent", LogField.of("request_id", requestId.orElse(null)),
        LogField.of("session_id", sessionId), LogField.of("method", method), LogField.of("relayed_id", id),
        LogField.of("params_sha256", paramsSha256));
    toAgent.get().accept(relayed);
    return true;
  }

  /**
   * A server request put to a stateless client as a question of the call's {@code input_required}
   * result, audited as a relayed request (under the round trip's id) before the client sees it.
   */
  private boolean askByRoundTrip(RoundTrip trip, String method, JsonNode params, Consumer<ObjectNode> answer) {
    asked.keySet().removeIf(open -> !trip.waits(open));
    if (!trip.mayAsk(method)) {
      return false;
    }
    String id = requests.newId();
    String paramsSha256 = Digests.sha256Hex(CanonicalJson.bytes(params == null ? NODES.objectNode() : params));
    if (!recorded(log -> log.appendRelayedRequest(new AuditRecord.RelayedRequest(trip.id(), method, id, paramsSha256, requestId)))) {
      return false;
    }
    asked.put(id, answer);
    if (!trip.ask(id, method, params, response -> answer.accept(recordedAnswer(id, response)))) {
      asked.remove(id);
      recorded(log -> log.appendRelayedAnswer(new AuditRecord.RelayedAnswer(trip.id(), id, "abandoned", Optional.empty())));
      return false;
    }
    LOG.log(Level.INFO, "upstream request put to the client as input_required", LogField.of("request_id", requestId.orElse(null)),
        LogField.of("round_trip", trip.id()), LogField.of("method", method), LogField.of("relayed_id", id),
        LogField.of("params_sha256", paramsSha256));
    return true;
  }

  /** The session id the relayed requests of this call are audited under: the agent's session, or the round trip's id. */
  private String auditSession() {
    return session.map(McpSession::id).orElseGet(() -> roundTrip.map(RoundTrip::id).orElseThrow());
  }

  /** The agent's response as the server gets it: unchanged once audited, an error if it could not be. */
  private ObjectNode recordedAnswer(String id, ObjectNode response) {
    String kind = response.has("result") ? "result" : "error";
    String sha256 = Digests.sha256Hex(CanonicalJson.bytes(response.path(kind)));
    String sessionId = auditSession();
    if (recorded(log -> log.appendRelayedAnswer(new AuditRecord.RelayedAnswer(sessionId, id, kind, Optional.of(sha256))))) {
      return response;
    }
    return error("the audit log cannot record the agent's answer, so it is not passed on");
  }

  @Override
  public void close() {
    asked.forEach((id, server) -> {
      if (roundTrip.isPresent() ? roundTrip.get().withdraw(id) : requests.withdraw(id)) {
        recorded(log -> log.appendRelayedAnswer(new AuditRecord.RelayedAnswer(auditSession(), id, "abandoned", Optional.empty())));
        server.accept(error("the tool call this request belongs to ended before the agent answered"));
      }
    });
  }

  /** One audit append; false (and an error logged) when the log cannot record it. True in silent mode, which keeps no log. */
  private boolean recorded(AuditAppend append) {
    if (audit.isEmpty()) {
      return true;
    }
    try {
      append.to(audit.get());
      return true;
    } catch (AuditException e) {
      LOG.log(Level.ERROR, "audit log cannot record a relayed request; refusing it", LogField.of("request_id", requestId.orElse(null)),
          LogField.of("error", e.getMessage()));
      return false;
    }
  }

  @FunctionalInterface
  private interface AuditAppend {
    void to(AuditLog log) throws AuditException;
  }

  private static ObjectNode error(String message) {
    ObjectNode response = NODES.objectNode();
    response.putObject("error").put("code", JsonRpcError.INTERNAL_ERROR).put("message", message);
    return response;
  }
}
