package dev.cmcp.gateway.mcp;

import java.util.Optional;

/**
 * What the MCP endpoint needs of one HTTP request, free of any HTTP library's types.
 *
 * @param sessionId the {@code Mcp-Session-Id} header
 * @param protocolVersion the {@code MCP-Protocol-Version} header
 * @param workflowId the {@code X-MCP-Workflow-ID} header
 * @param body the raw body bytes, already bounded in size
 */
public record McpHttpRequest(
    Optional<String> sessionId, Optional<String> protocolVersion, Optional<String> workflowId, byte[] body) {}
