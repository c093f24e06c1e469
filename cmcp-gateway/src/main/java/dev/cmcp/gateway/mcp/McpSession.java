package dev.cmcp.gateway.mcp;

import java.time.Instant;

/**
 * A session an agent opened with {@code initialize}; its id travels in {@code Mcp-Session-Id}.
 *
 * @param capabilities what the agent declared it can be asked during its calls
 */
public record McpSession(String id, String protocolVersion, String clientName, Instant openedAt, AgentCapabilities capabilities) {}
