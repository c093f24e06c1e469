package dev.cmcp.gateway.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cmcp.gateway.upstream.UpstreamException;

/** How an upstream failure is told to the agent: a JSON-RPC error with a word it can act on. */
final class UpstreamErrors {

  private UpstreamErrors() {}

  static JsonRpcException toJsonRpc(UpstreamException e, JsonNode id) {
    JsonRpcError error =
        switch (e.kind()) {
          case TIMEOUT -> JsonRpcError.withWord(JsonRpcError.UPSTREAM_TIMEOUT, e.getMessage(), "upstream_timeout");
          case UNAVAILABLE -> JsonRpcError.withWord(JsonRpcError.UPSTREAM_UNAVAILABLE, e.getMessage(), "upstream_unavailable");
          case RESPONSE_TOO_LARGE -> JsonRpcError.withWord(JsonRpcError.RESPONSE_TOO_LARGE, e.getMessage(), "response_too_large");
          case PROTOCOL_ERROR -> JsonRpcError.withWord(JsonRpcError.INTERNAL_ERROR, e.getMessage(), "upstream_protocol_error");
          case CANCELLED -> JsonRpcError.withWord(JsonRpcError.REQUEST_CANCELLED, e.getMessage(), "cancelled");
        };
    return new JsonRpcException(error, id, 200);
  }
}
