package dev.cmcp.gateway.policy;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.Objects;

/**
 * One {@code tools/call} as the policy sees it.
 *
 * @param principal who calls: becomes {@code Agent::"<principal>"}
 * @param sessionId the MCP session
 * @param workflowId the declared workflow ({@code "default"} when none was given)
 * @param toolName the exposed tool name, as the catalog knows it
 * @param arguments the call's arguments object; {@code null} counts as no arguments
 * @param time when the call arrived
 */
public record ToolCallRequest(
    String principal, String sessionId, String workflowId, String toolName, JsonNode arguments, Instant time) {
  public ToolCallRequest {
    Objects.requireNonNull(principal, "principal");
    Objects.requireNonNull(sessionId, "sessionId");
    Objects.requireNonNull(workflowId, "workflowId");
    Objects.requireNonNull(toolName, "toolName");
    Objects.requireNonNull(time, "time");
  }
}
