package dev.cmcp.gateway.audit;

import dev.cmcp.gateway.redaction.RedactionReport;
import java.util.List;
import java.util.Optional;

/** What the gateway asks the audit log to record; the log adds index, time, epoch and prev. */
public final class AuditRecords {

  private AuditRecords() {}

  /** The boot of one epoch: what was loaded and which key signs its claims. */
  public record Genesis(
      String gatewayVersion,
      String platform,
      String measurement,
      String bundleHash,
      String catalogHash,
      String enforcementMode,
      String keyThumbprint) {}

  /**
   * A policy decision, recorded before anything is forwarded.
   *
   * @param tool what was acted on: the tool name, {@code <server>:<uri>} of a resource, or
   *     {@code <server>.<prompt>} of a prompt
   * @param action the Cedar action: {@code call_tool}, {@code read_resource} or {@code get_prompt}
   * @param requestId the gateway's id of the HTTP request that carried the call, as its log lines
   *     and {@code X-Request-Id} show it; empty when the call came some other way
   * @param traceId the OpenTelemetry trace id of the request, when it was traced
   * @param principal who made the request and how that was established; empty in records made
   *     without it (older callers), which the log then writes without {@code principal}
   * @param approval how a person answered the approval a permit's {@code @require_approval} asked
   *     for ({@code accepted}, {@code declined}, ...); empty when none was asked, and then not written
   */
  public record Decision(
      String sessionId,
      String workflowId,
      String tool,
      String decision,
      String enforced,
      Optional<String> cause,
      List<String> policies,
      String argumentsSha256,
      String bundleHash,
      String mode,
      String action,
      Optional<String> requestId,
      Optional<String> traceId,
      Optional<Principal> principal,
      Optional<String> approval) {
    public Decision {
      policies = List.copyOf(policies);
    }

    /** A decision no person was asked to approve. */
    public Decision(
        String sessionId, String workflowId, String tool, String decision, String enforced, Optional<String> cause,
        List<String> policies, String argumentsSha256, String bundleHash, String mode, String action,
        Optional<String> requestId, Optional<String> traceId, Optional<Principal> principal) {
      this(sessionId, workflowId, tool, decision, enforced, cause, policies, argumentsSha256, bundleHash, mode, action,
          requestId, traceId, principal, Optional.empty());
    }

    /** A decision without a principal. */
    public Decision(
        String sessionId, String workflowId, String tool, String decision, String enforced, Optional<String> cause,
        List<String> policies, String argumentsSha256, String bundleHash, String mode, String action,
        Optional<String> requestId, Optional<String> traceId) {
      this(sessionId, workflowId, tool, decision, enforced, cause, policies, argumentsSha256, bundleHash, mode, action,
          requestId, traceId, Optional.empty());
    }

    /** A decision of an untraced request. */
    public Decision(
        String sessionId, String workflowId, String tool, String decision, String enforced, Optional<String> cause,
        List<String> policies, String argumentsSha256, String bundleHash, String mode, String action,
        Optional<String> requestId) {
      this(sessionId, workflowId, tool, decision, enforced, cause, policies, argumentsSha256, bundleHash, mode, action,
          requestId, Optional.empty());
    }

    /** A decision without a request id. */
    public Decision(
        String sessionId, String workflowId, String tool, String decision, String enforced, Optional<String> cause,
        List<String> policies, String argumentsSha256, String bundleHash, String mode, String action) {
      this(sessionId, workflowId, tool, decision, enforced, cause, policies, argumentsSha256, bundleHash, mode, action,
          Optional.empty());
    }

    /** A tools/call decision. */
    public Decision(
        String sessionId, String workflowId, String tool, String decision, String enforced, Optional<String> cause,
        List<String> policies, String argumentsSha256, String bundleHash, String mode) {
      this(sessionId, workflowId, tool, decision, enforced, cause, policies, argumentsSha256, bundleHash, mode, "call_tool");
    }

    public boolean forwarded() {
      return "forwarded".equals(enforced);
    }
  }

  /**
   * Who made a request: the Cedar principal and how it was authenticated; never the token.
   *
   * @param id the principal id, {@code Agent::"<id>"} (the declared workflow for an unauthenticated caller)
   * @param method {@code none}, {@code shared_token}, {@code agent_token} or {@code oauth}
   * @param issuer the OAuth issuer
   * @param tokenIdSha256 hex SHA-256 of the OAuth token's {@code jti}
   */
  public record Principal(String id, String method, Optional<String> issuer, Optional<String> tokenIdSha256) {}

  /**
   * A request refused by authentication, before its body was read.
   *
   * @param cause the refusal's word, such as {@code token_expired}
   * @param method what the presented credential was checked as
   * @param issuer the OAuth issuer, when checked as an OAuth token
   * @param tokenIdSha256 hex SHA-256 of the token's {@code jti}, when a verified token carried one
   * @param suppressed how many refusals before this one were not recorded, over the rate limit
   */
  public record AuthRefused(
      String cause, String method, Optional<String> issuer, Optional<String> tokenIdSha256, Optional<String> requestId,
      long suppressed) {}

  /**
   * What came back for a forwarded call, as digests only.
   *
   * @param resultSha256 of the result as delivered to the agent, after redaction
   * @param redactions what redaction replaced, when the decision asked for redaction
   * @param requestId as in the decision
   */
  public record Outcome(
      long decisionIndex, String sessionId, String tool, String outcome, Optional<String> resultSha256,
      Optional<RedactionReport> redactions, Optional<String> requestId) {

    /** An outcome without a request id. */
    public Outcome(
        long decisionIndex, String sessionId, String tool, String outcome, Optional<String> resultSha256,
        Optional<RedactionReport> redactions) {
      this(decisionIndex, sessionId, tool, outcome, resultSha256, redactions, Optional.empty());
    }

    /** An outcome with no redaction asked for. */
    public Outcome(long decisionIndex, String sessionId, String tool, String outcome, Optional<String> resultSha256) {
      this(decisionIndex, sessionId, tool, outcome, resultSha256, Optional.empty());
    }
  }

  /**
   * An agent-chosen name or URI refused for its length before anything of it was logged: only
   * its length and digest are recorded, so that no request can write a line longer than a
   * verifier reads.
   *
   * @param sessionId the request's {@code Mcp-Session-Id}, when it had one
   * @param method the JSON-RPC method ({@code tools/call}, {@code prompts/get}, {@code resources/read})
   * @param field the refused member of {@code params} ({@code name}, {@code uri})
   * @param bytes its length in UTF-8 bytes
   * @param limit the most the gateway takes for that member
   * @param sha256 SHA-256 of its UTF-8 bytes, lower-case hex
   */
  public record OversizedInput(
      Optional<String> sessionId, String method, String field, long bytes, long limit, String sha256,
      Optional<String> requestId) {}

  /**
   * A previous epoch's file found damaged at start (broken beyond a torn last line), renamed so
   * that the gateway starts anyway; the new epoch records it after its genesis entry.
   *
   * @param file the file's name as it was
   * @param quarantinedAs its name now, beside it in the audit folder
   * @param fileSha256 SHA-256 of the file's bytes, lower-case hex, so that it can be matched later
   * @param reason what the replay found, as a verifier reports it (cut at 512 characters)
   */
  public record Quarantine(String file, String quarantinedAs, String fileSha256, String reason) {}

  /** A new policy bundle took over deciding while the gateway ran; later decisions carry {@code bundleHash}. */
  public record BundleReload(String previousBundleHash, String bundleHash) {}

  /**
   * A reloaded catalog took over, with the bundle compiled against it (a new one when the bundle
   * changed at the same time, else the bundle already deciding); later decisions are taken under both.
   */
  public record CatalogReload(
      String previousCatalogHash, String catalogHash, String previousBundleHash, String bundleHash) {}

  /**
   * A changed catalog file was refused; {@code catalogHash} names the catalog still serving.
   *
   * @param fileSha256 hex SHA-256 of the refused file's bytes; empty when it could not be read
   * @param reason what is wrong with it, as the operator is told
   */
  public record CatalogRejected(String catalogHash, String fileSha256, String reason) {}

  public record PinMismatch(String tool, String server, String expected, Optional<String> actual) {}

  /**
   * An upstream's request (sampling, elicitation) put to the agent during one of its calls.
   *
   * @param relayedId the id the gateway sent it to the agent under
   * @param paramsSha256 hex SHA-256 of the canonical JSON of the request's params; never the params
   * @param requestId the HTTP request id of the call it belongs to, as in that call's decision
   */
  public record RelayedRequest(
      String sessionId, String method, String relayedId, String paramsSha256, Optional<String> requestId) {}

  /**
   * What went back to the upstream for a relayed request.
   *
   * @param answer {@code result} or {@code error} as the agent answered, or {@code abandoned} when
   *     the call ended first and the gateway answered with an error
   * @param answerSha256 hex SHA-256 of the canonical JSON of the agent's result or error object;
   *     empty when abandoned
   */
  public record RelayedAnswer(String sessionId, String relayedId, String answer, Optional<String> answerSha256) {}

  /**
   * A person's approval asked for a call whose permit says {@code @require_approval}, and how it was
   * answered. Recorded before the call's decision entry.
   *
   * @param sessionId the session of the call, whose client was asked
   * @param tool what the call acts on, as its decision entry names it
   * @param principal who was asked: the call's principal, through its client in {@code sessionId}
   * @param questionSha256 hex SHA-256 of the canonical JSON of the elicitation params sent; never the text
   * @param answer {@code accepted}, {@code declined}, {@code cancelled}, {@code timeout} or
   *     {@code unavailable} (the client cannot be asked: no SSE answer, no elicitation capability)
   * @param contentSha256 hex SHA-256 of the canonical JSON of the answer's {@code content}, when it had one
   * @param requestId the HTTP request id of the call
   */
  public record Approval(
      String sessionId, String tool, String principal, String questionSha256, String answer, Optional<String> contentSha256,
      Optional<String> requestId) {}

  /** A recorded call of one session, with where its entries sit in the log. */
  public record RecordedCall(
      long decisionIndex, String decisionEntrySha256, Decision decision, Optional<Long> outcomeIndex,
      Optional<String> outcomeEntrySha256, Optional<String> resultSha256) {}

  /** The state of the log at one moment: enough to sign and to prove against. */
  public record Snapshot(String epoch, String root, String tip, long length) {}
}
