package dev.cmcp.gateway.mcp;

import com.fasterxml.jackson.databind.JsonNode;
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

  /** A fresh id to send a request to an agent under. */
  String newId() {
    return "cmcp-request-" + next.incrementAndGet();
  }

  /** Waits for the answer of the agent of {@code sessionId} to the request sent under {@code id}. */
  void open(String id, String sessionId, Consumer<ObjectNode> answer) {
    waiting.put(id, new Waiting(sessionId, answer));
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

  /** Stops waiting for an answer; false when the agent has answered already. */
  boolean withdraw(String id) {
    return waiting.remove(id) != null;
  }

  boolean waits(String id) {
    return waiting.containsKey(id);
  }
}
