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
 * @param mirrored the {@code Mcp-Method} and {@code Mcp-Name} headers, which must agree with the body
 */
public record McpHttpRequest(
    Optional<String> sessionId, Optional<String> protocolVersion, Optional<String> workflowId, byte[] body,
    Optional<String> requestId, Identity identity, MirroredHeaders mirrored) {

  /**
   * The headers MCP 2026-07-28 mirrors from the body, as sent (an {@code Mcp-Name} may still be in
   * its {@code =?base64?...?=} form).
   */
  public record MirroredHeaders(Optional<String> method, Optional<String> name) {
    public static final MirroredHeaders NONE = new MirroredHeaders(Optional.empty(), Optional.empty());
  }

  public McpHttpRequest {
    Objects.requireNonNull(identity);
    Objects.requireNonNull(mirrored);
  }

  /** A request without the mirrored headers. */
  public McpHttpRequest(
      Optional<String> sessionId, Optional<String> protocolVersion, Optional<String> workflowId, byte[] body,
      Optional<String> requestId, Identity identity) {
    this(sessionId, protocolVersion, workflowId, body, requestId, identity, MirroredHeaders.NONE);
  }

  /** The same request served without a session: the 2026-07-28 revision has none and ignores the header. */
  McpHttpRequest withoutSession() {
    return new McpHttpRequest(Optional.empty(), protocolVersion, workflowId, body, requestId, identity, mirrored);
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
