package dev.cmcp.gateway.policy;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * One request as the policy sees it: a tool call, a resource read or a prompt.
 *
 * @param principal who asks: becomes {@code Agent::"<principal>"}
 * @param sessionId the MCP session
 * @param workflowId the declared workflow ({@code "default"} when none was given)
 * @param target what is acted on
 * @param arguments the tool or prompt arguments; {@code null} counts as none (a resource read has none)
 * @param time when the request arrived
 * @param principalAttributes the principal's attributes (claims of its access token); empty for none
 * @param session what the session did before this request ({@code context.session})
 */
public record AccessRequest(
    String principal, String sessionId, String workflowId, PolicyTarget target, JsonNode arguments, Instant time,
    Map<String, JsonNode> principalAttributes, SessionHistory session) {
  public AccessRequest {
    principalAttributes = Map.copyOf(principalAttributes);
    Objects.requireNonNull(session, "session");
    Objects.requireNonNull(principal, "principal");
    Objects.requireNonNull(sessionId, "sessionId");
    Objects.requireNonNull(workflowId, "workflowId");
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(time, "time");
  }

  /** A request by a principal without attributes, in a session with no history yet. */
  public AccessRequest(String principal, String sessionId, String workflowId, PolicyTarget target, JsonNode arguments, Instant time) {
    this(principal, sessionId, workflowId, target, arguments, time, Map.of(), SessionHistory.EMPTY);
  }

  /** A request by a principal with these attributes, in a session with no history yet. */
  public AccessRequest(String principal, String sessionId, String workflowId, PolicyTarget target, JsonNode arguments, Instant time,
      Map<String, JsonNode> principalAttributes) {
    this(principal, sessionId, workflowId, target, arguments, time, principalAttributes, SessionHistory.EMPTY);
  }

  /** A request by a principal without attributes, in a session with this history. */
  public AccessRequest(String principal, String sessionId, String workflowId, PolicyTarget target, JsonNode arguments, Instant time,
      SessionHistory session) {
    this(principal, sessionId, workflowId, target, arguments, time, Map.of(), session);
  }

  /** A tools/call, as {@link ToolCallRequest} describes it. */
  public static AccessRequest of(ToolCallRequest call) {
    return new AccessRequest(call.principal(), call.sessionId(), call.workflowId(), new PolicyTarget.Tool(call.toolName()),
        call.arguments(), call.time());
  }
}
