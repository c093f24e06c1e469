package dev.cmcp.gateway.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * The parameters of one {@code tools/call}, validated, with the gateway's own {@code _cmcp} member
 * read and removed.
 *
 * @param forwardParams the params to send upstream: the agent's, minus {@code _cmcp}
 */
public record ToolCall(
    JsonNode id, String toolName, ObjectNode arguments, String sessionId, String workflowId, ObjectNode forwardParams) {

  public static final String DEFAULT_WORKFLOW = "default";
  private static final Set<String> CMCP_MEMBERS = Set.of("session_id", "workflow_id");
  private static final int MAX_ID_LENGTH = 256;

  /**
   * Reads a tools/call.
   *
   * @param transportSession the {@code Mcp-Session-Id} of an initialized session, if any
   * @param workflowHeader the {@code X-MCP-Workflow-ID} header, if any
   */
  public static ToolCall parse(JsonNode id, ObjectNode params, Optional<String> transportSession, Optional<String> workflowHeader)
      throws JsonRpcException {
    JsonNode name = params.get("name");
    if (name == null || !name.isTextual() || name.asText().isEmpty()) {
      throw invalidParams(id, "tools/call needs \"name\", a non-empty string");
    }
    JsonNode arguments = params.get("arguments");
    if (arguments != null && !arguments.isObject()) {
      throw invalidParams(id, "tools/call \"arguments\" must be an object");
    }
    ObjectNode cmcp = readCmcp(id, params.get("_cmcp"));
    Optional<String> claimedSession = text(cmcp, "session_id", id);
    Optional<String> claimedWorkflow = text(cmcp, "workflow_id", id);

    // Inside an initialized session the transport decides the session; a body naming another is spoofing.
    if (transportSession.isPresent() && claimedSession.isPresent() && !transportSession.equals(claimedSession)) {
      throw invalidParams(id, "_cmcp.session_id does not match the Mcp-Session-Id of this request");
    }
    if (workflowHeader.isPresent() && claimedWorkflow.isPresent() && !workflowHeader.equals(claimedWorkflow)) {
      throw invalidParams(id, "_cmcp.workflow_id does not match the X-MCP-Workflow-ID header");
    }
    String sessionId =
        transportSession.or(() -> claimedSession).orElseGet(() -> "stateless-" + UUID.randomUUID());
    String workflowId = claimedWorkflow.or(() -> workflowHeader).orElse(DEFAULT_WORKFLOW);
    checkIdentifier(id, "workflow_id", workflowId);

    ObjectNode forward = params.deepCopy();
    forward.remove("_cmcp");
    ObjectNode args = arguments == null ? JsonNodeFactory.instance.objectNode() : (ObjectNode) arguments;
    return new ToolCall(id, name.asText(), args, sessionId, workflowId, forward);
  }

  private static ObjectNode readCmcp(JsonNode id, JsonNode cmcp) throws JsonRpcException {
    if (cmcp == null) {
      return JsonNodeFactory.instance.objectNode();
    }
    if (!cmcp.isObject()) {
      throw invalidParams(id, "\"_cmcp\" must be an object with session_id and workflow_id");
    }
    for (Iterator<String> names = cmcp.fieldNames(); names.hasNext(); ) {
      String member = names.next();
      if (!CMCP_MEMBERS.contains(member)) {
        throw invalidParams(id, "unknown member \"_cmcp." + member + "\"; allowed: session_id, workflow_id");
      }
    }
    return (ObjectNode) cmcp;
  }

  private static Optional<String> text(ObjectNode cmcp, String member, JsonNode id) throws JsonRpcException {
    JsonNode value = cmcp.get(member);
    if (value == null) {
      return Optional.empty();
    }
    if (!value.isTextual()) {
      throw invalidParams(id, "_cmcp." + member + " must be a string");
    }
    checkIdentifier(id, member, value.asText());
    return Optional.of(value.asText());
  }

  private static void checkIdentifier(JsonNode id, String member, String value) throws JsonRpcException {
    if (value.isEmpty() || value.length() > MAX_ID_LENGTH || value.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
      throw invalidParams(id, member + " must be 1-" + MAX_ID_LENGTH + " printable characters");
    }
  }

  private static JsonRpcException invalidParams(JsonNode id, String message) {
    // A well-formed request with bad params is answered in JSON-RPC, not as an HTTP failure.
    return new JsonRpcException(JsonRpcError.of(JsonRpcError.INVALID_PARAMS, message), id, 200);
  }
}
