package dev.cmcp.gateway.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** One JSON-RPC 2.0 message received from an agent, as the decoder classified it. */
public sealed interface JsonRpcMessage {

  /** A call that expects an answer. {@code params} is an object (empty when absent). */
  record Request(JsonNode id, String method, ObjectNode params, ObjectNode raw) implements JsonRpcMessage {}

  /** A message without an id: nothing is answered but an HTTP 202. */
  record Notification(String method, ObjectNode params) implements JsonRpcMessage {}

  /** The agent's answer to a server's request relayed to it; {@code raw} holds its {@code result} or {@code error}. */
  record Response(JsonNode id, ObjectNode raw) implements JsonRpcMessage {}
}
