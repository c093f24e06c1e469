package dev.cmcp.examples.crm;

/** A request the server refuses, carrying the JSON-RPC error code the client gets back. */
final class JsonRpcException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  static final int PARSE_ERROR = -32700;
  static final int INVALID_REQUEST = -32600;
  static final int METHOD_NOT_FOUND = -32601;
  static final int INVALID_PARAMS = -32602;
  static final int INTERNAL_ERROR = -32603;

  private final int code;

  JsonRpcException(int code, String message) {
    super(message);
    this.code = code;
  }

  static JsonRpcException invalidParams(String message) {
    return new JsonRpcException(INVALID_PARAMS, message);
  }

  int code() {
    return code;
  }
}
