package dev.cmcp.gateway.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.gateway.ops.LogField;
import dev.cmcp.gateway.upstream.AgentRelays;
import dev.cmcp.gateway.upstream.Cancellation;
import dev.cmcp.verify.CanonicalJson;
import dev.cmcp.verify.Digests;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * What the upstream may send the agent while one call runs, on the call's own answer stream:
 * progress, log messages at or above the session's level, and requests the agent declared it
 * takes. The agent may also call the call off ({@link #cancellation()}). A server request is sent under an id of the gateway's; the agent's answer comes back
 * through {@link AgentRequests}. Closed when the call has its answer: requests the agent has not
 * answered by then are answered to the server with an error.
 */
final class CallStream implements AgentRelays.Relay, AutoCloseable {

  private static final Logger LOG = System.getLogger("cmcp.mcp");
  /** A server asking more at once than this within one call is refused: each request waits in memory. */
  static final int MAX_OPEN_REQUESTS = 8;

  private final Optional<Consumer<ObjectNode>> toAgent;
  private final Optional<McpSession> session;
  private final Supplier<McpLogLevel> level;
  private final AgentRequests requests;
  private final Optional<String> requestId;
  private final Set<String> asked = ConcurrentHashMap.newKeySet();
  private final Cancellation cancellation = new Cancellation();

  /**
   * @param toAgent the call's answer stream; empty when the agent takes only a JSON answer, so
   *     that nothing can be sent before it
   * @param session the agent's MCP session; empty for a stateless call, which no request can be put to
   * @param level the least severe log level the agent is sent, read at each message
   */
  CallStream(Optional<Consumer<ObjectNode>> toAgent, Optional<McpSession> session, Supplier<McpLogLevel> level,
      AgentRequests requests, Optional<String> requestId) {
    this.toAgent = toAgent;
    this.session = session;
    this.level = level;
    this.requests = requests;
    this.requestId = requestId;
  }

  /** A stream that carries progress only, to {@code progress}: nothing is logged to or asked of the agent. */
  static CallStream progressOnly(Consumer<ObjectNode> progress) {
    return new CallStream(Optional.of(progress), Optional.empty(), () -> McpLogLevel.EMERGENCY, new AgentRequests(), Optional.empty());
  }

  /** A stream for an agent that takes only the JSON answer. */
  static CallStream none() {
    return new CallStream(Optional.empty(), Optional.empty(), () -> McpLogLevel.EMERGENCY, new AgentRequests(), Optional.empty());
  }

  /** Called by the agent's {@code notifications/cancelled}. */
  Cancellation cancellation() {
    return cancellation;
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
    ObjectNode relayed = JsonNodeFactory.instance.objectNode().put("jsonrpc", "2.0").put("method", "notifications/message");
    relayed.set("params", params.deepCopy().retain("level", "logger", "data"));
    toAgent.get().accept(relayed);
  }

  @Override
  public boolean ask(ObjectNode request, Consumer<ObjectNode> answer) {
    String method = request.path("method").asText();
    asked.removeIf(open -> !requests.waits(open));
    if (toAgent.isEmpty() || session.isEmpty() || !session.get().capabilities().accepts(method) || asked.size() >= MAX_OPEN_REQUESTS) {
      return false;
    }
    String id = requests.open(session.get().id(), answer);
    asked.add(id);
    JsonNode params = request.get("params");
    ObjectNode relayed = JsonNodeFactory.instance.objectNode().put("jsonrpc", "2.0").put("id", id).put("method", method);
    if (params != null) {
      relayed.set("params", params);
    }
    // The request's content is not logged: its digest lets it be matched with what the agent saw.
    LOG.log(Level.INFO, "upstream request relayed to the agent", LogField.of("request_id", requestId.orElse(null)),
        LogField.of("session_id", session.get().id()), LogField.of("method", method), LogField.of("relayed_id", id),
        LogField.of("params_sha256", Digests.sha256Hex(CanonicalJson.bytes(params == null ? JsonNodeFactory.instance.objectNode() : params))));
    toAgent.get().accept(relayed);
    return true;
  }

  @Override
  public void close() {
    asked.forEach(requests::abandon);
  }
}
