package dev.cmcp.gateway.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Server requests put to agents that still wait for the agent's answer, by the id the gateway
 * gave them. The agent answers with a POST in its session; an answer is taken only from the
 * session that was asked, so no agent can answer, or learn of, another's request.
 */
final class AgentRequests {

  private record Waiting(String sessionId, Consumer<ObjectNode> answer) {}

  private final Map<String, Waiting> waiting = new ConcurrentHashMap<>();
  private final AtomicLong next = new AtomicLong();

  /** Registers a request for the agent of {@code sessionId}; returns the id to send it under. */
  String open(String sessionId, Consumer<ObjectNode> answer) {
    String id = "cmcp-request-" + next.incrementAndGet();
    waiting.put(id, new Waiting(sessionId, answer));
    return id;
  }

  /**
   * Hands the agent's response to the server that asked; false, and nothing routed, when no
   * request of this session waits under the response's id.
   */
  boolean answer(String sessionId, JsonNode id, ObjectNode response) {
    if (id == null || !id.isTextual()) {
      return false;
    }
    Waiting entry = waiting.get(id.asText());
    if (entry == null || !entry.sessionId().equals(sessionId) || !waiting.remove(id.asText(), entry)) {
      return false;
    }
    entry.answer().accept(response);
    return true;
  }

  /** The call the request belongs to has ended: the server is told, if the agent has not answered yet. */
  void abandon(String id) {
    Waiting entry = waiting.remove(id);
    if (entry != null) {
      ObjectNode error = JsonNodeFactory.instance.objectNode();
      error.putObject("error").put("code", JsonRpcError.INTERNAL_ERROR)
          .put("message", "the tool call this request belongs to ended before the agent answered");
      entry.answer().accept(error);
    }
  }

  boolean waits(String id) {
    return waiting.containsKey(id);
  }
}
