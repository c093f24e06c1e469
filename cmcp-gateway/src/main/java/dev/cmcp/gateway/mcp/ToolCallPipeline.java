package dev.cmcp.gateway.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.gateway.audit.AuditException;
import dev.cmcp.gateway.audit.AuditLog;
import dev.cmcp.gateway.audit.AuditRecords;
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
import dev.cmcp.verify.CanonicalJson;
import dev.cmcp.verify.Digests;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.util.Locale;
import java.util.Optional;

/**
 * One {@code tools/call}, from the agent's request to the upstream's answer, in the order of
 * DESIGN.md: decode, catalog, Cedar, enforcement mode, durable audit of the decision, upstream,
 * audit of the outcome. Each step is one line of {@link #call}.
 */
public final class ToolCallPipeline {

  private static final Logger LOG = System.getLogger("cmcp.policy");

  /** Called after each recorded call, e.g. to issue a per-call claim. */
  @FunctionalInterface
  public interface CallListener {
    void recorded(String sessionId);
  }

  /** Whether the gateway's attestation evidence lets tool calls be served now. */
  @FunctionalInterface
  public interface EvidenceCheck {
    /** Empty while calls may be served; otherwise why not. */
    Optional<String> refusal();
  }

  private final Catalog catalog;
  private final PolicyBundle bundle;
  private final PolicyEngine policy;
  private final EnforcementMode mode;
  private final Upstreams upstreams;
  private final Optional<AuditLog> audit;
  private final CallListener listener;
  private final EvidenceCheck evidence;
  private final Clock clock;

  /** @param audit the audit log, empty in silent mode, where nothing is written */
  public ToolCallPipeline(
      Catalog catalog, PolicyBundle bundle, PolicyEngine policy, EnforcementMode mode, Upstreams upstreams,
      Optional<AuditLog> audit, CallListener listener, EvidenceCheck evidence, Clock clock) {
    this.catalog = catalog;
    this.bundle = bundle;
    this.policy = policy;
    this.mode = mode;
    this.upstreams = upstreams;
    this.audit = audit;
    this.listener = listener;
    this.evidence = evidence;
    this.clock = clock;
  }

  /** Runs the call and returns the whole JSON-RPC response message for the agent. */
  public ObjectNode call(JsonNode id, ObjectNode params, Optional<String> transportSession, Optional<String> workflowHeader)
      throws JsonRpcException {
    ToolCall call = ToolCall.parse(id, params, transportSession, workflowHeader);
    Optional<String> stale = evidence.refusal();
    if (stale.isPresent()) {
      throw evidenceStale(call, stale.get());
    }
    Optional<CatalogTool> tool = catalog.tool(call.toolName());
    PolicyDecision decision = policy.decide(requestFor(call));
    boolean forwarded = enforce(call, decision, tool.isPresent());
    Optional<Long> decisionIndex = recordDecision(call, decision, forwarded);
    if (!forwarded) {
      listener.recorded(call.sessionId());
      throw denied(call, (PolicyDecision.Deny) decision);
    }
    ObjectNode answer = forward(call, tool.orElseThrow(), decisionIndex);
    listener.recorded(call.sessionId());
    answer.set("id", id);
    return answer;
  }

  private ToolCallRequest requestFor(ToolCall call) {
    // No client authentication yet, so the workflow is the principal (DESIGN.md, Policy).
    return new ToolCallRequest(
        call.workflowId(), call.sessionId(), call.workflowId(), call.toolName(), call.arguments(), clock.instant());
  }

  /** Logs the decision as the mode says; returns whether the call goes on to the upstream. */
  private boolean enforce(ToolCall call, PolicyDecision decision, boolean inCatalog) {
    if (!(decision instanceof PolicyDecision.Deny deny)) {
      if (mode != EnforcementMode.SILENT) {
        LOG.log(Level.INFO, "allow {0} workflow={1} session={2} policies={3}",
            call.toolName(), call.workflowId(), call.sessionId(), decision.policyIds());
      }
      return true;
    }
    // An unsanctioned tool has no approved upstream to forward to, so no mode lets it through.
    boolean blocks = mode == EnforcementMode.ENFORCING || !inCatalog;
    if (mode != EnforcementMode.SILENT || blocks) {
      LOG.log(blocks ? Level.INFO : Level.WARNING, "{0} {1} workflow={2} session={3} cause={4} policies={5} detail={6}",
          blocks ? "deny" : "advisory-deny (forwarded)",
          call.toolName(), call.workflowId(), call.sessionId(), deny.cause(), deny.policyIds(), deny.detail());
    }
    return !blocks;
  }

  /** The decision is on disk before anything is forwarded or answered; no log, no call. */
  private Optional<Long> recordDecision(ToolCall call, PolicyDecision decision, boolean forwarded) throws JsonRpcException {
    if (audit.isEmpty()) {
      return Optional.empty();
    }
    Optional<String> cause = decision instanceof PolicyDecision.Deny deny
        ? Optional.of(deny.cause().name().toLowerCase(Locale.ROOT)) : Optional.empty();
    AuditRecords.Decision entry = new AuditRecords.Decision(
        call.sessionId(), call.workflowId(), call.toolName(),
        decision instanceof PolicyDecision.Deny ? "deny" : "allow",
        forwarded ? "forwarded" : "blocked",
        cause, decision.policyIds(), Digests.sha256Hex(CanonicalJson.bytes(call.arguments())),
        bundle.bundleHash(), mode.configName());
    try {
      return Optional.of(audit.get().appendDecision(entry));
    } catch (AuditException e) {
      throw auditUnavailable(call, e);
    }
  }

  private JsonRpcException denied(ToolCall call, PolicyDecision.Deny deny) {
    ObjectNode data = JsonNodeFactory.instance.objectNode();
    data.put("error", "tool_call_denied");
    data.put("tool", call.toolName());
    data.set("call_id", call.id());
    data.put("bundle_version", bundle.version());
    data.put("bundle_hash", bundle.bundleHash());
    data.put("cause", deny.cause().name().toLowerCase(Locale.ROOT));
    deny.reason().ifPresent(reason -> data.put("reason", reason));
    String message =
        deny.cause() == DenialCause.UNSANCTIONED_TOOL
            ? "tool " + call.toolName() + " is not in the catalog"
            : "tool call denied by policy: " + call.toolName();
    return new JsonRpcException(new JsonRpcError(JsonRpcError.TOOL_CALL_DENIED, message, data), call.id(), 403);
  }

  private ObjectNode forward(ToolCall call, CatalogTool tool, Optional<Long> decisionIndex) throws JsonRpcException {
    ObjectNode params = call.forwardParams();
    params.put("name", tool.upstreamName());
    ObjectNode answer;
    try {
      answer = upstreams.connection(tool.server()).request("tools/call", params);
    } catch (UpstreamException e) {
      String outcome = e.kind() == UpstreamException.Kind.RESPONSE_TOO_LARGE ? "response_too_large" : "upstream_error";
      recordOutcome(call, decisionIndex, outcome, Optional.empty());
      throw UpstreamErrors.toJsonRpc(e, call.id());
    }
    JsonNode result = answer.get("result");
    if (result == null) {
      recordOutcome(call, decisionIndex, "upstream_error", Optional.empty());
    } else {
      String outcome = result.path("isError").asBoolean(false) ? "tool_error" : "ok";
      recordOutcome(call, decisionIndex, outcome, Optional.of(Digests.sha256Hex(CanonicalJson.bytes(result))));
    }
    return answer;
  }

  /** An answer the log could not record is not delivered: the agent gets an error instead. */
  private void recordOutcome(ToolCall call, Optional<Long> decisionIndex, String outcome, Optional<String> resultSha256)
      throws JsonRpcException {
    if (audit.isEmpty() || decisionIndex.isEmpty()) {
      return;
    }
    try {
      audit.get().appendOutcome(new AuditRecords.Outcome(decisionIndex.get(), call.sessionId(), call.toolName(), outcome, resultSha256));
    } catch (AuditException e) {
      throw auditUnavailable(call, e);
    }
  }

  /** Refused before the policy is asked: nothing is decided, audited or forwarded. */
  private static JsonRpcException evidenceStale(ToolCall call, String why) {
    LOG.log(Level.ERROR, "refusing {0}: {1}", call.toolName(), why);
    return new JsonRpcException(
        JsonRpcError.withWord(JsonRpcError.INTERNAL_ERROR,
            "the gateway's attestation evidence is stale and could not be renewed, so calls are refused "
                + "(staleness_policy fail_closed); the operator must restore the attestation platform",
            "evidence_stale"),
        call.id(), 503);
  }

  private static JsonRpcException auditUnavailable(ToolCall call, AuditException e) {
    LOG.log(Level.ERROR, "audit log cannot record; refusing {0}: {1}", call.toolName(), e.getMessage());
    return new JsonRpcException(
        JsonRpcError.withWord(JsonRpcError.INTERNAL_ERROR,
            "the audit log cannot record this call, so it is refused (fail closed); the operator must fix the audit_dir",
            "audit_unavailable"),
        call.id(), 503);
  }
}
