package dev.cmcp.gateway.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import java.util.Optional;

/** What the MCP endpoint answers: a status, an optional JSON-RPC message and extra headers. */
public record McpHttpResponse(int status, Optional<JsonNode> body, Map<String, String> headers) {

  public McpHttpResponse {
    headers = Map.copyOf(headers);
  }

  public static McpHttpResponse accepted() {
    return new McpHttpResponse(202, Optional.empty(), Map.of());
  }

  public static McpHttpResponse message(int status, JsonNode message) {
    return new McpHttpResponse(status, Optional.of(message), Map.of());
  }

  public static McpHttpResponse result(JsonNode id, JsonNode result) {
    ObjectNode message = envelope(id);
    message.set("result", result);
    return message(200, message);
  }

  public static McpHttpResponse error(JsonRpcException e) {
    McpHttpResponse response = error(e.httpStatus(), e.id(), e.error());
    JsonNode retryAfter = e.error().data() == null ? null : e.error().data().get("retry_after_seconds");
    return e.httpStatus() == 429 && retryAfter != null ? response.withHeader("Retry-After", retryAfter.asText()) : response;
  }

  public static McpHttpResponse error(int status, JsonNode id, JsonRpcError error) {
    ObjectNode message = envelope(id);
    message.set("error", error.toJson());
    return message(status, message);
  }

  public McpHttpResponse withHeader(String name, String value) {
    Map<String, String> more = new java.util.HashMap<>(headers);
    more.put(name, value);
    return new McpHttpResponse(status, body, more);
  }

  static ObjectNode envelope(JsonNode id) {
    ObjectNode message = JsonNodeFactory.instance.objectNode().put("jsonrpc", "2.0");
    message.set("id", id == null ? JsonNodeFactory.instance.nullNode() : id);
    return message;
  }
}
