package dev.cmcp.gateway.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.gateway.auth.Identity;
import java.util.Iterator;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * Who asks: the session and workflow of one request, with the gateway's own {@code params._cmcp}
 * member read and removed.
 *
 * @param forwardParams the params to send upstream: the agent's, minus {@code _cmcp}
 * @param identity who sent the request, as authentication established it
 * @param transportSession the MCP session ({@code Mcp-Session-Id}) the request came in, if any: the
 *     one whose upstream sessions it uses ({@code Upstreams.sessionFor})
 */
record Caller(String sessionId, String workflowId, ObjectNode forwardParams, Identity identity, Optional<String> transportSession) {

  static final String DEFAULT_WORKFLOW = "default";
  /** How the gateway names the session of a call that declares none. */
  static final String ONE_OFF_PREFIX = "stateless-";
  private static final Set<String> CMCP_MEMBERS = Set.of("session_id", "workflow_id");
  private static final int MAX_ID_LENGTH = 256;

  /**
   * Reads {@code params._cmcp}.
   *
   * @param params the request's params; null for none
   * @param transportSession the {@code Mcp-Session-Id} of an initialized session, if any
   * @param workflowHeader the {@code X-MCP-Workflow-ID} header, if any
   */
  static Caller of(JsonNode id, ObjectNode params, Optional<String> transportSession, Optional<String> workflowHeader)
      throws JsonRpcException {
    return of(id, params, transportSession, workflowHeader, Identity.UNAUTHENTICATED);
  }

  /**
   * Reads {@code params._cmcp} of a request sent by {@code identity}. A request that declares no
   * workflow gets the identity's first allowed one, else {@value #DEFAULT_WORKFLOW}; whether the
   * identity may declare the one it names is for the caller of this method to check ({@link #workflowAllowed}).
   */
  static Caller of(
      JsonNode id, ObjectNode params, Optional<String> transportSession, Optional<String> workflowHeader, Identity identity)
      throws JsonRpcException {
    ObjectNode given = params == null ? JsonNodeFactory.instance.objectNode() : params;
    ObjectNode cmcp = readCmcp(id, given.get("_cmcp"));
    Optional<String> claimedSession = text(cmcp, "session_id", id);
    Optional<String> claimedWorkflow = text(cmcp, "workflow_id", id);

    // Inside an initialized session the transport decides the session; a body naming another is spoofing.
    if (transportSession.isPresent() && claimedSession.isPresent() && !transportSession.equals(claimedSession)) {
      throw invalidParams(id, "_cmcp.session_id does not match the Mcp-Session-Id of this request");
    }
    if (workflowHeader.isPresent() && claimedWorkflow.isPresent() && !workflowHeader.equals(claimedWorkflow)) {
      throw invalidParams(id, "_cmcp.workflow_id does not match the X-MCP-Workflow-ID header");
    }
    if (claimedSession.isPresent() && claimedSession.get().startsWith(ONE_OFF_PREFIX)) {
      // The gateway's own ids for calls that name no session: each is a session of one call, with no history.
      throw invalidParams(id, "_cmcp.session_id may not start with \"" + ONE_OFF_PREFIX + "\"; the gateway names calls without a "
          + "session so");
    }
    String sessionId =
        transportSession.or(() -> claimedSession).orElseGet(() -> ONE_OFF_PREFIX + UUID.randomUUID());
    String workflowId = claimedWorkflow.or(() -> workflowHeader).or(identity::defaultWorkflow).orElse(DEFAULT_WORKFLOW);
    checkIdentifier(id, "workflow_id", workflowId);

    ObjectNode forward = given.deepCopy();
    forward.remove("_cmcp");
    return new Caller(sessionId, workflowId, forward, identity, transportSession);
  }

  /** Whether the call named no session, so that the gateway made up a session of this one call. */
  boolean oneOffSession() {
    return sessionId.startsWith(ONE_OFF_PREFIX);
  }

  /** The Cedar principal: the authenticated identity, or the declared workflow for an unnamed caller (DESIGN.md, Policy). */
  String principal() {
    return identity.principal(workflowId);
  }

  /** Whether the identity may declare this workflow. */
  boolean workflowAllowed() {
    return identity.mayDeclare(workflowId);
  }

  /** The refusal of a request whose caller declared a workflow not allowed to it. */
  JsonRpcException workflowNotAllowed(JsonNode id) {
    return new JsonRpcException(JsonRpcError.withWord(JsonRpcError.INVALID_REQUEST,
        "workflow " + workflowId + " is not allowed to " + identity.id() + "; it may declare " + String.join(", ", identity.workflows()),
        "workflow_not_allowed"), id, 403);
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

  static JsonRpcException invalidParams(JsonNode id, String message) {
    // A well-formed request with bad params is answered in JSON-RPC, not as an HTTP failure.
    return new JsonRpcException(JsonRpcError.of(JsonRpcError.INVALID_PARAMS, message), id, 200);
  }
}
