package dev.cmcp.gateway.mcp;

import dev.cmcp.gateway.auth.Identity;
import java.util.Objects;
import java.util.Optional;

/**
 * What the MCP endpoint needs of one HTTP request, free of any HTTP library's types.
 *
 * @param sessionId the {@code Mcp-Session-Id} header
 * @param protocolVersion the {@code MCP-Protocol-Version} header
 * @param workflowId the {@code X-MCP-Workflow-ID} header
 * @param body the raw body bytes, already bounded in size
 * @param requestId the id the gateway gave this HTTP request, for its log lines and audit entries
 * @param identity who sent it, as authentication established before the body was read
 */
public record McpHttpRequest(
    Optional<String> sessionId, Optional<String> protocolVersion, Optional<String> workflowId, byte[] body,
    Optional<String> requestId, Identity identity) {

  public McpHttpRequest {
    Objects.requireNonNull(identity);
  }

  /** A request of a gateway without authentication. */
  public McpHttpRequest(
      Optional<String> sessionId, Optional<String> protocolVersion, Optional<String> workflowId, byte[] body,
      Optional<String> requestId) {
    this(sessionId, protocolVersion, workflowId, body, requestId, Identity.UNAUTHENTICATED);
  }

  /** A request that came without an id, e.g. in tests. */
  public McpHttpRequest(Optional<String> sessionId, Optional<String> protocolVersion, Optional<String> workflowId, byte[] body) {
    this(sessionId, protocolVersion, workflowId, body, Optional.empty());
  }
}
