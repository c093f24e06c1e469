package dev.cmcp.gateway.mcp;

import java.time.Instant;

/** A session an agent opened with {@code initialize}; its id travels in {@code Mcp-Session-Id}. */
public record McpSession(String id, String protocolVersion, String clientName, Instant openedAt) {}
