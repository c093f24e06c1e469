package dev.cmcp.gateway.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.gateway.auth.Identity;
import java.util.Optional;

/**
 * The parameters of one {@code tools/call}, validated, with the gateway's own {@code _cmcp} member
 * read and removed.
 *
 * @param forwardParams the params to send upstream: the agent's, minus {@code _cmcp} and {@code task}
 */
public record ToolCall(
    JsonNode id, String toolName, ObjectNode arguments, String sessionId, String workflowId, ObjectNode forwardParams) {

  public static final String DEFAULT_WORKFLOW = Caller.DEFAULT_WORKFLOW;
  /** The member of a task-augmented request (MCP 2025-11-25 tasks), removed here; see {@link TaskMethods}. */
  private static final String TASK = "task";

  /**
   * Reads a tools/call.
   *
   * @param transportSession the {@code Mcp-Session-Id} of an initialized session, if any
   * @param workflowHeader the {@code X-MCP-Workflow-ID} header, if any
   */
  public static ToolCall parse(JsonNode id, ObjectNode params, Optional<String> transportSession, Optional<String> workflowHeader)
      throws JsonRpcException {
    return parse(id, params, transportSession, workflowHeader, Identity.UNAUTHENTICATED);
  }

  /** Reads a tools/call sent by {@code identity}, whose allowed workflows give the default one. */
  static ToolCall parse(
      JsonNode id, ObjectNode params, Optional<String> transportSession, Optional<String> workflowHeader, Identity identity)
      throws JsonRpcException {
    JsonNode name = params.get("name");
    if (name == null || !name.isTextual() || name.asText().isEmpty()) {
      throw Caller.invalidParams(id, "tools/call needs \"name\", a non-empty string");
    }
    JsonNode arguments = params.get("arguments");
    if (arguments != null && !arguments.isObject()) {
      throw Caller.invalidParams(id, "tools/call \"arguments\" must be an object");
    }
    Caller caller = Caller.of(id, params, transportSession, workflowHeader, identity);
    ObjectNode args = arguments == null ? JsonNodeFactory.instance.objectNode() : (ObjectNode) arguments;
    ObjectNode forward = caller.forwardParams();
    // MCP 2025-11-25 tasks: where the gateway offers none, a task-augmented request MUST run normally,
    // ignoring its task; forwarded, the upstream would create a task nobody could fetch through the
    // gateway. Where it offers them, the pipeline puts back a bounded task (TaskMethods.forwardedTask).
    forward.remove(TASK);
    return new ToolCall(id, name.asText(), args, caller.sessionId(), caller.workflowId(), forward);
  }
}
