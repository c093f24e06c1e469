package dev.cmcp.gateway.config;

/**
 * How a request blocked by the policy is answered (deny_response). Refusals that are not policy
 * decisions (a tool outside the catalog, a resource no server offers) are always MCP errors in an
 * HTTP 200 answer, whatever this says.
 */
public enum DenyResponse {
  /** HTTP 403 carrying the JSON-RPC error: the documented contract, and what HTTP-level tooling sees. */
  HTTP_403("http_403"),
  /** HTTP 200 carrying the same JSON-RPC error, which MCP SDKs report as an MCP error, not a transport failure. */
  JSONRPC_ERROR("jsonrpc_error"),
  /**
   * A {@code tools/call} is answered with an {@code isError} tool result carrying the policy's
   * {@code @reason}, so that the model reads it and can adapt; reads and prompts, which have no
   * such result, as {@link #JSONRPC_ERROR}.
   */
  TOOL_ERROR("tool_error");

  private final String configName;

  DenyResponse(String configName) {
    this.configName = configName;
  }

  /** The spelling used in cmcp-config.yaml. */
  public String configName() {
    return configName;
  }
}
