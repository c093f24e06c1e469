package dev.cmcp.gateway.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A JSON-RPC error object, with the codes the gateway answers.
 *
 * <p>The standard codes come from JSON-RPC 2.0; the {@code -320xx} ones are the gateway's own,
 * each with a machine-readable {@code data.error} word so that clients need not parse messages.
 */
public record JsonRpcError(int code, String message, JsonNode data) {

  public static final int PARSE_ERROR = -32700;
  public static final int INVALID_REQUEST = -32600;
  public static final int METHOD_NOT_FOUND = -32601;
  public static final int INVALID_PARAMS = -32602;
  public static final int INTERNAL_ERROR = -32603;

  public static final int TOOL_CALL_DENIED = -32001;
  public static final int UPSTREAM_UNAVAILABLE = -32002;
  public static final int UPSTREAM_TIMEOUT = -32003;
  public static final int RESPONSE_TOO_LARGE = -32004;
  public static final int SESSION_NOT_FOUND = -32005;
  public static final int UNAUTHORIZED = -32006;
  public static final int FORBIDDEN = -32007;
  /** Over a rate limit; {@code data.retry_after_seconds} says when to try again. */
  public static final int RATE_LIMITED = -32008;
  /** The agent cancelled the call; the code LSP uses, as MCP names none. */
  public static final int REQUEST_CANCELLED = -32800;

  public static JsonRpcError of(int code, String message) {
    return new JsonRpcError(code, message, null);
  }

  /** An error whose {@code data} is {@code {"error": word}} plus the given details. */
  public static JsonRpcError withWord(int code, String message, String word) {
    ObjectNode data = JsonNodeFactory.instance.objectNode().put("error", word);
    return new JsonRpcError(code, message, data);
  }

  public ObjectNode toJson() {
    ObjectNode error = JsonNodeFactory.instance.objectNode().put("code", code).put("message", message);
    if (data != null) {
      error.set("data", data);
    }
    return error;
  }
}
