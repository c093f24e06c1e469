package dev.cmcp.gateway.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.gateway.catalog.Catalog;
import dev.cmcp.gateway.catalog.CatalogTool;
import dev.cmcp.gateway.config.EnforcementMode;
import dev.cmcp.gateway.policy.DenialCause;
import dev.cmcp.gateway.policy.PolicyBundle;
import dev.cmcp.gateway.policy.PolicyDecision;
import dev.cmcp.gateway.policy.PolicyEngine;
import dev.cmcp.gateway.policy.ToolCallRequest;
import dev.cmcp.gateway.upstream.UpstreamException;
import dev.cmcp.gateway.upstream.Upstreams;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.util.Optional;

/**
 * One {@code tools/call}, from the agent's request to the upstream's answer. Each step is one
 * line below, in the order DESIGN.md gives them; the audit steps arrive with the audit log.
 */
public final class ToolCallPipeline {

  private static final Logger LOG = System.getLogger("cmcp.policy");

  private final Catalog catalog;
  private final PolicyBundle bundle;
  private final PolicyEngine policy;
  private final EnforcementMode mode;
  private final Upstreams upstreams;
  private final Clock clock;

  public ToolCallPipeline(
      Catalog catalog, PolicyBundle bundle, PolicyEngine policy, EnforcementMode mode, Upstreams upstreams, Clock clock) {
    this.catalog = catalog;
    this.bundle = bundle;
    this.policy = policy;
    this.mode = mode;
    this.upstreams = upstreams;
    this.clock = clock;
  }

  /** Runs the call and returns the whole JSON-RPC response message for the agent. */
  public ObjectNode call(JsonNode id, ObjectNode params, Optional<String> transportSession, Optional<String> workflowHeader)
      throws JsonRpcException {
    ToolCall call = ToolCall.parse(id, params, transportSession, workflowHeader);
    Optional<CatalogTool> tool = catalog.tool(call.toolName());
    PolicyDecision decision = policy.decide(requestFor(call));
    enforce(call, decision, tool.isPresent());
    CatalogTool approved = tool.orElseThrow();
    ObjectNode answer = forward(call, approved);
    answer.set("id", id);
    return answer;
  }

  private ToolCallRequest requestFor(ToolCall call) {
    // No client authentication yet, so the workflow is the principal (DESIGN.md, Policy).
    return new ToolCallRequest(
        call.workflowId(), call.sessionId(), call.workflowId(), call.toolName(), call.arguments(), clock.instant());
  }

  private void enforce(ToolCall call, PolicyDecision decision, boolean inCatalog) throws JsonRpcException {
    if (!(decision instanceof PolicyDecision.Deny deny)) {
      if (mode != EnforcementMode.SILENT) {
        LOG.log(Level.INFO, "allow {0} workflow={1} session={2} policies={3}",
            call.toolName(), call.workflowId(), call.sessionId(), decision.policyIds());
      }
      return;
    }
    // An unsanctioned tool has no approved upstream to forward to, so no mode lets it through.
    boolean blocks = mode == EnforcementMode.ENFORCING || !inCatalog;
    if (mode != EnforcementMode.SILENT || blocks) {
      LOG.log(blocks ? Level.INFO : Level.WARNING, "{0} {1} workflow={2} session={3} cause={4} policies={5} detail={6}",
          blocks ? "deny" : "advisory-deny (forwarded)",
          call.toolName(), call.workflowId(), call.sessionId(), deny.cause(), deny.policyIds(), deny.detail());
    }
    if (blocks) {
      throw denied(call, deny);
    }
  }

  private JsonRpcException denied(ToolCall call, PolicyDecision.Deny deny) {
    ObjectNode data = JsonNodeFactory.instance.objectNode();
    data.put("error", "tool_call_denied");
    data.put("tool", call.toolName());
    data.set("call_id", call.id());
    data.put("bundle_version", bundle.version());
    data.put("bundle_hash", bundle.bundleHash());
    data.put("cause", deny.cause().name().toLowerCase(java.util.Locale.ROOT));
    deny.reason().ifPresent(reason -> data.put("reason", reason));
    String message =
        deny.cause() == DenialCause.UNSANCTIONED_TOOL
            ? "tool " + call.toolName() + " is not in the catalog"
            : "tool call denied by policy: " + call.toolName();
    return new JsonRpcException(new JsonRpcError(JsonRpcError.TOOL_CALL_DENIED, message, data), call.id(), 403);
  }

  private ObjectNode forward(ToolCall call, CatalogTool tool) throws JsonRpcException {
    ObjectNode params = call.forwardParams();
    params.put("name", tool.upstreamName());
    try {
      return upstreams.connection(tool.server()).request("tools/call", params);
    } catch (UpstreamException e) {
      throw UpstreamErrors.toJsonRpc(e, call.id());
    }
  }
}
