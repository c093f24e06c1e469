package dev.cmcp.gateway.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.gateway.config.GatewayLimits;
import dev.cmcp.verify.base.StrictJson;
import dev.cmcp.verify.base.StrictJson.MalformedJsonException;
import dev.cmcp.verify.base.StrictJson.TooManyValuesException;
import java.util.Iterator;
import java.util.Set;

/**
 * Strict JSON-RPC 2.0 decoding of one HTTP body.
 *
 * <p>Hand-written on purpose: what the policy evaluates must be exactly what is forwarded, so
 * every shape that two implementations could read differently is refused here, before routing.
 */
public final class JsonRpcDecoder {

  private static final Set<String> REQUEST_MEMBERS = Set.of("jsonrpc", "id", "method", "params");
  private static final Set<String> RESPONSE_MEMBERS = Set.of("jsonrpc", "id", "result", "error");

  private final StrictJson json;
  private final int maxValues;

  public JsonRpcDecoder(StrictJson json) {
    this(json, GatewayLimits.DEFAULTS.maxJsonValues());
  }

  /** @param maxValues the most JSON values (scalars, arrays, objects) one message may hold */
  public JsonRpcDecoder(StrictJson json, int maxValues) {
    this.json = json;
    this.maxValues = maxValues;
  }

  public JsonRpcMessage decode(byte[] body) throws JsonRpcException {
    JsonNode root;
    try {
      // A tree of millions of small values costs seconds of CPU and gigabytes of heap to build,
      // check, canonicalise and evaluate, whatever the byte limit: counted on the token stream
      // first, such a body is refused after reading part of it, before anything is built.
      root = json.parse(body, maxValues);
    } catch (TooManyValuesException e) {
      throw invalid(JsonRpcError.INVALID_REQUEST, "the message holds more than " + maxValues
          + " JSON values (limits.max_json_values); send large data as a resource or in fewer, larger values", null);
    } catch (MalformedJsonException e) {
      throw invalid(JsonRpcError.PARSE_ERROR, "parse error: " + e.getMessage(), null);
    }
    if (root.isArray()) {
      // Batches were removed from MCP in 2025-06-18; answering part of one would split policy decisions.
      throw invalid(JsonRpcError.INVALID_REQUEST, "JSON-RPC batches are not supported; send one message per request", null);
    }
    if (!root.isObject()) {
      throw invalid(JsonRpcError.INVALID_REQUEST, "a JSON-RPC message must be a JSON object", null);
    }
    ObjectNode message = (ObjectNode) root;
    JsonNode id = message.get("id");
    JsonNode replyId = isValidId(id) ? id : null;

    if (!"2.0".equals(textOrNull(message.get("jsonrpc")))) {
      throw invalid(JsonRpcError.INVALID_REQUEST, "\"jsonrpc\" must be \"2.0\"", replyId);
    }
    if (!message.has("method")) {
      return decodeResponse(message, id, replyId);
    }
    requireOnly(message, REQUEST_MEMBERS, replyId);
    JsonNode method = message.get("method");
    if (!method.isTextual() || method.asText().isEmpty()) {
      throw invalid(JsonRpcError.INVALID_REQUEST, "\"method\" must be a non-empty string", replyId);
    }
    ObjectNode params = decodeParams(message.get("params"), replyId);
    if (id == null) {
      return new JsonRpcMessage.Notification(method.asText(), params);
    }
    if (!isValidId(id)) {
      throw invalid(JsonRpcError.INVALID_REQUEST, "\"id\" must be a string or an integer", null);
    }
    return new JsonRpcMessage.Request(id, method.asText(), params, message);
  }

  private JsonRpcMessage decodeResponse(ObjectNode message, JsonNode id, JsonNode replyId) throws JsonRpcException {
    requireOnly(message, RESPONSE_MEMBERS, replyId);
    if (!isValidId(id) || message.has("result") == message.has("error")) {
      throw invalid(JsonRpcError.INVALID_REQUEST, "a message needs \"method\", or an \"id\" with exactly one of \"result\" or \"error\"", replyId);
    }
    return new JsonRpcMessage.Response(id, message);
  }

  private static ObjectNode decodeParams(JsonNode params, JsonNode replyId) throws JsonRpcException {
    if (params == null) {
      return JsonNodeFactory.instance.objectNode();
    }
    if (!params.isObject()) {
      // MCP uses named parameters only; positional arrays have no meaning for any MCP method.
      throw invalid(JsonRpcError.INVALID_REQUEST, "\"params\" must be an object", replyId);
    }
    return (ObjectNode) params;
  }

  private static void requireOnly(ObjectNode message, Set<String> allowed, JsonNode replyId) throws JsonRpcException {
    for (Iterator<String> names = message.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!allowed.contains(name)) {
        throw invalid(JsonRpcError.INVALID_REQUEST, "unexpected member \"" + name + "\" in a JSON-RPC message", replyId);
      }
    }
  }

  private static boolean isValidId(JsonNode id) {
    // Null and fractional ids are legal in JSON-RPC but MCP forbids null, and floats do not round-trip.
    return id != null && (id.isTextual() || id.isIntegralNumber());
  }

  private static String textOrNull(JsonNode node) {
    return node != null && node.isTextual() ? node.asText() : null;
  }

  private static JsonRpcException invalid(int code, String message, JsonNode id) {
    return new JsonRpcException(JsonRpcError.of(code, message), id, 400);
  }
}
