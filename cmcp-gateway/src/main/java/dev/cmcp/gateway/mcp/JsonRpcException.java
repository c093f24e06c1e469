package dev.cmcp.gateway.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;

/** A request the gateway refuses, with the JSON-RPC error to answer and the HTTP status to carry it. */
public final class JsonRpcException extends Exception {
  private static final long serialVersionUID = 1L;

  private final transient JsonRpcError error;
  private final transient JsonNode id;
  private final int httpStatus;

  public JsonRpcException(JsonRpcError error, JsonNode id, int httpStatus) {
    super(error.message());
    this.error = error;
    this.id = id == null ? NullNode.getInstance() : id;
    this.httpStatus = httpStatus;
  }

  public JsonRpcError error() {
    return error;
  }

  public JsonNode id() {
    return id;
  }

  public int httpStatus() {
    return httpStatus;
  }
}
