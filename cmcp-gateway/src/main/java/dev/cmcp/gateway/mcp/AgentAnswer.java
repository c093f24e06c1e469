package dev.cmcp.gateway.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Optional;

/**
 * The JSON-RPC response an agent receives for a governed request, built by the gateway from the
 * upstream's answer: {@code jsonrpc}, {@code id}, and the upstream's {@code result} object or its
 * {@code error} ({@code code}, {@code message}, {@code data}). Nothing else of the upstream's
 * envelope is copied, so a member an upstream adds beside {@code result} can neither bypass
 * redaction nor escape {@code result_sha256}.
 */
final class AgentAnswer {

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private AgentAnswer() {}

  /**
   * The response for the agent, or empty when the upstream's answer is not one MCP allows: a
   * {@code result} that is not an object (MCP results are objects), or an {@code error} without
   * an integer {@code code} and a string {@code message}.
   *
   * @param id the agent's request id, which the response carries instead of the upstream's
   */
  static Optional<ObjectNode> of(ObjectNode upstream, JsonNode id) {
    ObjectNode response = NODES.objectNode().put("jsonrpc", "2.0");
    response.set("id", id);
    JsonNode result = upstream.get("result");
    JsonNode error = upstream.get("error");
    if (result != null && error == null) {
      if (!result.isObject()) {
        return Optional.empty();
      }
      response.set("result", result);
      return Optional.of(response);
    }
    if (error instanceof ObjectNode upstreamError && result == null
        && upstreamError.path("code").canConvertToInt() && upstreamError.path("code").isIntegralNumber()
        && upstreamError.path("message").isTextual()) {
      ObjectNode copied = response.putObject("error");
      copied.put("code", upstreamError.get("code").intValue());
      copied.set("message", upstreamError.get("message"));
      JsonNode data = upstreamError.get("data");
      if (data != null) {
        copied.set("data", data);
      }
      return Optional.of(response);
    }
    return Optional.empty();
  }
}
