package dev.cmcp.verify.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.verify.base.JsonFields;
import dev.cmcp.verify.base.Jwk;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What one audit entry records, kind by kind: the one definition of the audit log's wire format.
 * The gateway writes an entry as {@link #toJson} plus the four chain members ({@code index},
 * {@code time}, {@code epoch}, {@code prev}) that the log adds; a verifier reads it back with
 * {@link #fromJson}, which refuses an unknown type, a missing member and a member the kind does
 * not define. See docs/spec/audit-log.md for each kind's meaning.
 *
 * <p>Values are not judged here (a hash is any string): that a decision's hash is the hash of
 * its arguments is what a claim's proofs and an auditor's replay establish.
 */
public sealed interface AuditRecord {

  /** The members every entry carries besides its record's: written by the log, checked by {@link AuditLogReplay}. */
  Set<String> CHAIN_MEMBERS = Set.of("index", "time", "epoch", "prev");

  /** The entry's {@code type}. */
  String type();

  /** The entry's own members, {@code type} included, without the chain members. */
  ObjectNode toJson();

  /**
   * Reads an entry as written to the log (chain members included, and left to the replay).
   *
   * @throws AuditFormatException naming the first member that is not this format's
   */
  static AuditRecord fromJson(JsonNode entry) throws AuditFormatException {
    JsonFields<AuditFormatException> fields = JsonFields.of(entry, "entry", AuditFormatException::new);
    String type = fields.text("type");
    AuditRecord record = switch (type) {
      case Genesis.TYPE -> Genesis.read(fields);
      case Decision.TYPE -> Decision.read(fields);
      case Outcome.TYPE -> Outcome.read(fields);
      case AuthRefused.TYPE -> AuthRefused.read(fields);
      case PinMismatch.TYPE -> PinMismatch.read(fields);
      case OversizedInput.TYPE -> OversizedInput.read(fields);
      case BundleReload.TYPE -> BundleReload.read(fields);
      case CatalogReload.TYPE -> CatalogReload.read(fields);
      case CatalogRejected.TYPE -> CatalogRejected.read(fields);
      case RelayedRequest.TYPE -> RelayedRequest.read(fields);
      case RelayedAnswer.TYPE -> RelayedAnswer.read(fields);
      case Approval.TYPE -> Approval.read(fields);
      case Quarantine.TYPE -> Quarantine.read(fields);
      case Recovery.TYPE -> Recovery.read(fields);
      case Checkpoint.TYPE -> Checkpoint.read(fields);
      case Retention.TYPE -> Retention.read(fields);
      default -> throw new AuditFormatException("entry.type: \"" + type + "\" is no entry kind this verifier knows");
    };
    fields.finish(CHAIN_MEMBERS);
    return record;
  }

  private static ObjectNode typed(String type) {
    return JsonNodeFactory.instance.objectNode().put("type", type);
  }

  /** The {@code auth} member of decisions and refusals. */
  private static ObjectNode authJson(String method, Optional<String> issuer, Optional<String> tokenIdSha256) {
    ObjectNode auth = JsonNodeFactory.instance.objectNode();
    auth.put("method", method);
    auth.put("issuer", issuer.orElse(null));
    auth.put("jti_sha256", tokenIdSha256.orElse(null));
    return auth;
  }

  private static ArrayNode strings(List<String> values) {
    ArrayNode array = JsonNodeFactory.instance.arrayNode();
    values.forEach(array::add);
    return array;
  }

  /**
   * The boot of one epoch: what was loaded, which key signs its claims, and the epoch before it.
   *
   * @param previousEpoch the head of the previous epoch's file, which this one continues; empty for the first
   */
  record Genesis(
      String gatewayVersion,
      String platform,
      String measurement,
      String bundleHash,
      String catalogHash,
      String enforcementMode,
      String keyThumbprint,
      Optional<EpochLink> previousEpoch) implements AuditRecord {
    static final String TYPE = "genesis";

    /** This boot, continuing {@code previous}. */
    public Genesis linkedTo(Optional<EpochLink> previous) {
      return new Genesis(gatewayVersion, platform, measurement, bundleHash, catalogHash, enforcementMode, keyThumbprint,
          previous);
    }

    @Override
    public String type() {
      return TYPE;
    }

    @Override
    public ObjectNode toJson() {
      ObjectNode entry = typed(TYPE);
      entry.put("gateway_version", gatewayVersion);
      entry.put("platform", platform);
      entry.put("measurement", measurement);
      entry.put("bundle_hash", bundleHash);
      entry.put("catalog_hash", catalogHash);
      entry.put("enforcement_mode", enforcementMode);
      entry.put("key_thumbprint", keyThumbprint);
      entry.set("previous_epoch", previousEpoch.<JsonNode>map(EpochLink::toJson).orElse(JsonNodeFactory.instance.nullNode()));
      return entry;
    }

    static Genesis read(JsonFields<AuditFormatException> f) throws AuditFormatException {
      Optional<JsonFields<AuditFormatException>> link = f.nullableObject("previous_epoch");
      return new Genesis(f.text("gateway_version"), f.text("platform"), f.text("measurement"), f.text("bundle_hash"),
          f.text("catalog_hash"), f.text("enforcement_mode"), f.text("key_thumbprint"),
          link.isEmpty() ? Optional.empty() : Optional.of(EpochLink.read(link.get())));
    }
  }

  /**
   * A genesis entry's {@code previous_epoch}: the previous epoch's file and its chain head as the
   * new boot found it.
   */
  record EpochLink(String file, long length, String root, String tip) {
    ObjectNode toJson() {
      ObjectNode link = JsonNodeFactory.instance.objectNode();
      link.put("file", file);
      link.put("length", length);
      link.put("root", root);
      link.put("tip", tip);
      return link;
    }

    static EpochLink read(JsonFields<AuditFormatException> f) throws AuditFormatException {
      EpochLink link = new EpochLink(f.text("file"), f.integer("length"), f.text("root"), f.text("tip"));
      f.finish();
      return link;
    }
  }

  /**
   * A policy decision, recorded before anything is forwarded.
   *
   * @param tool what was acted on: the tool name, {@code <server>:<uri>} of a resource, or
   *     {@code <server>.<prompt>} of a prompt
   * @param enforced {@code forwarded} or {@code blocked}
   * @param action the Cedar action: {@code call_tool}, {@code read_resource} or {@code get_prompt};
   *     entries written before actions were recorded have none and read as {@code call_tool}
   * @param requestId the gateway's id of the HTTP request that carried the call; empty when none
   * @param traceId the OpenTelemetry trace id, written only when the request was traced
   * @param principal who made the request and how that was established; not written when empty
   * @param approval how a person answered the approval a permit asked for; not written when none was asked
   */
  record Decision(
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
      Optional<String> approval) implements AuditRecord {
    static final String TYPE = "decision";

    public Decision {
      policies = List.copyOf(policies);
      Objects.requireNonNull(action, "action");
    }

    public boolean forwarded() {
      return "forwarded".equals(enforced);
    }

    @Override
    public String type() {
      return TYPE;
    }

    @Override
    public ObjectNode toJson() {
      ObjectNode entry = typed(TYPE);
      entry.put("session_id", sessionId);
      entry.put("workflow_id", workflowId);
      entry.put("tool", tool);
      entry.put("decision", decision);
      entry.put("enforced", enforced);
      entry.put("cause", cause.orElse(null));
      entry.set("policies", strings(policies));
      entry.put("arguments_sha256", argumentsSha256);
      entry.put("bundle_hash", bundleHash);
      entry.put("mode", mode);
      entry.put("action", action);
      entry.put("request_id", requestId.orElse(null));
      // Only when traced: untraced entries stay as they were.
      traceId.ifPresent(trace -> entry.put("trace_id", trace));
      principal.ifPresent(who -> {
        entry.put("principal", who.id());
        entry.set("auth", authJson(who.method(), who.issuer(), who.tokenIdSha256()));
      });
      approval.ifPresent(answer -> entry.put("approval", answer));
      return entry;
    }

    static Decision read(JsonFields<AuditFormatException> f) throws AuditFormatException {
      Decision decision = new Decision(f.text("session_id"), f.text("workflow_id"), f.text("tool"), f.text("decision"),
          f.text("enforced"), f.nullableText("cause"), f.texts("policies"), f.text("arguments_sha256"),
          f.text("bundle_hash"), f.text("mode"), f.optionalText("action").orElse("call_tool"),
          f.laterNullableText("request_id"), f.optionalText("trace_id"), readPrincipal(f), f.optionalText("approval"));
      return decision;
    }

    private static Optional<Principal> readPrincipal(JsonFields<AuditFormatException> f) throws AuditFormatException {
      if (f.has("principal") != f.has("auth")) {
        throw new AuditFormatException(f.path(f.has("principal") ? "auth" : "principal")
            + ": missing (principal and auth are written together)");
      }
      if (!f.has("principal")) {
        return Optional.empty();
      }
      String id = f.text("principal");
      JsonFields<AuditFormatException> auth = f.object("auth");
      Principal principal = new Principal(id, auth.text("method"), auth.nullableText("issuer"), auth.nullableText("jti_sha256"));
      auth.finish();
      return Optional.of(principal);
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
  record Principal(String id, String method, Optional<String> issuer, Optional<String> tokenIdSha256) {}

  /**
   * A request refused by authentication, before its body was read.
   *
   * @param cause the refusal's word, such as {@code token_expired}
   * @param method what the presented credential was checked as
   * @param issuer the OAuth issuer, when checked as an OAuth token
   * @param tokenIdSha256 hex SHA-256 of the token's {@code jti}, when a verified token carried one
   * @param suppressed how many refusals before this one were not recorded, over the rate limit
   */
  record AuthRefused(
      String cause, String method, Optional<String> issuer, Optional<String> tokenIdSha256, Optional<String> requestId,
      long suppressed) implements AuditRecord {
    static final String TYPE = "auth_refused";

    @Override
    public String type() {
      return TYPE;
    }

    @Override
    public ObjectNode toJson() {
      ObjectNode entry = typed(TYPE);
      entry.put("cause", cause);
      entry.set("auth", authJson(method, issuer, tokenIdSha256));
      entry.put("request_id", requestId.orElse(null));
      entry.put("suppressed", suppressed);
      return entry;
    }

    static AuthRefused read(JsonFields<AuditFormatException> f) throws AuditFormatException {
      String cause = f.text("cause");
      JsonFields<AuditFormatException> auth = f.object("auth");
      AuthRefused refused = new AuthRefused(cause, auth.text("method"), auth.nullableText("issuer"),
          auth.nullableText("jti_sha256"), f.nullableText("request_id"), f.integer("suppressed"));
      auth.finish();
      return refused;
    }
  }

  /**
   * What came back for a forwarded call, as digests only.
   *
   * @param resultSha256 of the result as delivered to the agent, after redaction
   * @param redactions what redaction replaced, when the decision asked for redaction
   * @param requestId as in the decision; entries written before request ids have none
   * @param decisionEpoch the epoch whose entry {@code decisionIndex} is the decision, when that is an
   *     earlier epoch of the same run (the log rotated while the call was forwarded); empty when the
   *     decision is in this entry's own epoch, and then the field is not written
   */
  record Outcome(
      long decisionIndex, String sessionId, String tool, String outcome, Optional<String> resultSha256,
      Optional<Redactions> redactions, Optional<String> requestId, Optional<String> decisionEpoch) implements AuditRecord {
    static final String TYPE = "outcome";

    /** An outcome whose decision is in its own epoch. */
    public Outcome(
        long decisionIndex, String sessionId, String tool, String outcome, Optional<String> resultSha256,
        Optional<Redactions> redactions, Optional<String> requestId) {
      this(decisionIndex, sessionId, tool, outcome, resultSha256, redactions, requestId, Optional.empty());
    }

    /** This outcome, naming {@code epoch} as its decision's epoch. */
    public Outcome inEpoch(Optional<String> epoch) {
      return new Outcome(decisionIndex, sessionId, tool, outcome, resultSha256, redactions, requestId, epoch);
    }

    @Override
    public String type() {
      return TYPE;
    }

    @Override
    public ObjectNode toJson() {
      ObjectNode entry = typed(TYPE);
      entry.put("decision_index", decisionIndex);
      entry.put("session_id", sessionId);
      entry.put("tool", tool);
      entry.put("outcome", outcome);
      entry.put("result_sha256", resultSha256.orElse(null));
      entry.set("redactions", redactions.<JsonNode>map(Redactions::toJson).orElse(JsonNodeFactory.instance.nullNode()));
      entry.put("request_id", requestId.orElse(null));
      decisionEpoch.ifPresent(epoch -> entry.put("decision_epoch", epoch));
      return entry;
    }

    static Outcome read(JsonFields<AuditFormatException> f) throws AuditFormatException {
      Optional<JsonFields<AuditFormatException>> redactions = f.nullableObject("redactions");
      return new Outcome(f.integer("decision_index"), f.text("session_id"), f.text("tool"), f.text("outcome"),
          f.nullableText("result_sha256"), redactions.isEmpty() ? Optional.empty() : Optional.of(Redactions.read(redactions.get())),
          f.laterNullableText("request_id"), f.laterNullableText("decision_epoch"));
    }
  }

  /**
   * What a redaction replaced, without a single replaced value.
   *
   * @param count how many values became {@code "[REDACTED]"}
   * @param paths where, in the result, in order of first occurrence, without repeats
   * @param pathsTruncated whether more places were redacted than {@code paths} lists
   */
  record Redactions(int count, List<String> paths, boolean pathsTruncated) {
    public Redactions {
      paths = List.copyOf(paths);
    }

    ObjectNode toJson() {
      ObjectNode json = JsonNodeFactory.instance.objectNode();
      json.put("count", count);
      json.set("paths", strings(paths));
      json.put("paths_truncated", pathsTruncated);
      return json;
    }

    static Redactions read(JsonFields<AuditFormatException> f) throws AuditFormatException {
      Redactions redactions = new Redactions(f.smallInteger("count"), f.texts("paths"), f.bool("paths_truncated"));
      f.finish();
      return redactions;
    }
  }

  /** A pinned tool's upstream definition changed: its expected and actual digests. */
  record PinMismatch(String tool, String server, String expected, Optional<String> actual) implements AuditRecord {
    static final String TYPE = "pin_mismatch";

    @Override
    public String type() {
      return TYPE;
    }

    @Override
    public ObjectNode toJson() {
      ObjectNode entry = typed(TYPE);
      entry.put("tool", tool);
      entry.put("server", server);
      entry.put("expected", expected);
      entry.put("actual", actual.orElse(null));
      return entry;
    }

    static PinMismatch read(JsonFields<AuditFormatException> f) throws AuditFormatException {
      return new PinMismatch(f.text("tool"), f.text("server"), f.text("expected"), f.nullableText("actual"));
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
  record OversizedInput(
      Optional<String> sessionId, String method, String field, long bytes, long limit, String sha256,
      Optional<String> requestId) implements AuditRecord {
    static final String TYPE = "oversized_input";

    @Override
    public String type() {
      return TYPE;
    }

    @Override
    public ObjectNode toJson() {
      ObjectNode entry = typed(TYPE);
      entry.put("session_id", sessionId.orElse(null));
      entry.put("method", method);
      entry.put("field", field);
      entry.put("bytes", bytes);
      entry.put("limit", limit);
      entry.put("sha256", sha256);
      entry.put("request_id", requestId.orElse(null));
      return entry;
    }

    static OversizedInput read(JsonFields<AuditFormatException> f) throws AuditFormatException {
      return new OversizedInput(f.nullableText("session_id"), f.text("method"), f.text("field"), f.integer("bytes"),
          f.integer("limit"), f.text("sha256"), f.nullableText("request_id"));
    }
  }

  /** A new policy bundle took over deciding while the gateway ran; later decisions carry {@code bundleHash}. */
  record BundleReload(String previousBundleHash, String bundleHash) implements AuditRecord {
    static final String TYPE = "bundle_reload";

    @Override
    public String type() {
      return TYPE;
    }

    @Override
    public ObjectNode toJson() {
      return typed(TYPE).put("previous_bundle_hash", previousBundleHash).put("bundle_hash", bundleHash);
    }

    static BundleReload read(JsonFields<AuditFormatException> f) throws AuditFormatException {
      return new BundleReload(f.text("previous_bundle_hash"), f.text("bundle_hash"));
    }
  }

  /**
   * A reloaded catalog took over, with the bundle compiled against it (a new one when the bundle
   * changed at the same time, else the bundle already deciding); later decisions are taken under both.
   */
  record CatalogReload(
      String previousCatalogHash, String catalogHash, String previousBundleHash, String bundleHash) implements AuditRecord {
    static final String TYPE = "catalog_reload";

    @Override
    public String type() {
      return TYPE;
    }

    @Override
    public ObjectNode toJson() {
      return typed(TYPE).put("previous_catalog_hash", previousCatalogHash).put("catalog_hash", catalogHash)
          .put("previous_bundle_hash", previousBundleHash).put("bundle_hash", bundleHash);
    }

    static CatalogReload read(JsonFields<AuditFormatException> f) throws AuditFormatException {
      return new CatalogReload(f.text("previous_catalog_hash"), f.text("catalog_hash"), f.text("previous_bundle_hash"),
          f.text("bundle_hash"));
    }
  }

  /**
   * A changed catalog file was refused; {@code catalogHash} names the catalog still serving.
   *
   * @param fileSha256 hex SHA-256 of the refused file's bytes; empty when it could not be read
   * @param reason what is wrong with it, as the operator is told
   */
  record CatalogRejected(String catalogHash, Optional<String> fileSha256, String reason) implements AuditRecord {
    static final String TYPE = "catalog_rejected";

    @Override
    public String type() {
      return TYPE;
    }

    @Override
    public ObjectNode toJson() {
      return typed(TYPE).put("catalog_hash", catalogHash).put("file_sha256", fileSha256.orElse(null)).put("reason", reason);
    }

    static CatalogRejected read(JsonFields<AuditFormatException> f) throws AuditFormatException {
      return new CatalogRejected(f.text("catalog_hash"), f.nullableText("file_sha256"), f.text("reason"));
    }
  }

  /**
   * An upstream's request (sampling, elicitation) put to the agent during one of its calls.
   *
   * @param relayedId the id the gateway sent it to the agent under
   * @param paramsSha256 hex SHA-256 of the canonical JSON of the request's params; never the params
   * @param requestId the HTTP request id of the call it belongs to, as in that call's decision
   */
  record RelayedRequest(
      String sessionId, String method, String relayedId, String paramsSha256, Optional<String> requestId)
      implements AuditRecord {
    static final String TYPE = "relayed_request";

    @Override
    public String type() {
      return TYPE;
    }

    @Override
    public ObjectNode toJson() {
      return typed(TYPE).put("session_id", sessionId).put("method", method).put("relayed_id", relayedId)
          .put("params_sha256", paramsSha256).put("request_id", requestId.orElse(null));
    }

    static RelayedRequest read(JsonFields<AuditFormatException> f) throws AuditFormatException {
      return new RelayedRequest(f.text("session_id"), f.text("method"), f.text("relayed_id"), f.text("params_sha256"),
          f.nullableText("request_id"));
    }
  }

  /**
   * What went back to the upstream for a relayed request.
   *
   * @param answer {@code result} or {@code error} as the agent answered, or {@code abandoned} when
   *     the call ended first and the gateway answered with an error
   * @param answerSha256 hex SHA-256 of the canonical JSON of the agent's result or error object;
   *     empty when abandoned
   */
  record RelayedAnswer(String sessionId, String relayedId, String answer, Optional<String> answerSha256)
      implements AuditRecord {
    static final String TYPE = "relayed_answer";

    @Override
    public String type() {
      return TYPE;
    }

    @Override
    public ObjectNode toJson() {
      return typed(TYPE).put("session_id", sessionId).put("relayed_id", relayedId).put("answer", answer)
          .put("answer_sha256", answerSha256.orElse(null));
    }

    static RelayedAnswer read(JsonFields<AuditFormatException> f) throws AuditFormatException {
      return new RelayedAnswer(f.text("session_id"), f.text("relayed_id"), f.text("answer"), f.nullableText("answer_sha256"));
    }
  }

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
  record Approval(
      String sessionId, String tool, String principal, String questionSha256, String answer, Optional<String> contentSha256,
      Optional<String> requestId) implements AuditRecord {
    static final String TYPE = "approval";

    @Override
    public String type() {
      return TYPE;
    }

    @Override
    public ObjectNode toJson() {
      return typed(TYPE).put("session_id", sessionId).put("tool", tool).put("principal", principal)
          .put("question_sha256", questionSha256).put("answer", answer).put("content_sha256", contentSha256.orElse(null))
          .put("request_id", requestId.orElse(null));
    }

    static Approval read(JsonFields<AuditFormatException> f) throws AuditFormatException {
      return new Approval(f.text("session_id"), f.text("tool"), f.text("principal"), f.text("question_sha256"),
          f.text("answer"), f.nullableText("content_sha256"), f.nullableText("request_id"));
    }
  }

  /**
   * A previous epoch's file found damaged at start (broken beyond a torn last line), renamed so
   * that the gateway starts anyway; the new epoch records it after its genesis entry.
   *
   * @param file the file's name as it was
   * @param quarantinedAs its name now, beside it in the audit folder
   * @param fileSha256 SHA-256 of the file's bytes, lower-case hex, so that it can be matched later
   * @param reason what the replay found, as a verifier reports it (cut at 512 characters)
   */
  record Quarantine(String file, String quarantinedAs, String fileSha256, String reason) implements AuditRecord {
    static final String TYPE = "quarantine";

    @Override
    public String type() {
      return TYPE;
    }

    @Override
    public ObjectNode toJson() {
      return typed(TYPE).put("file", file).put("quarantined_as", quarantinedAs).put("file_sha256", fileSha256)
          .put("reason", reason);
    }

    static Quarantine read(JsonFields<AuditFormatException> f) throws AuditFormatException {
      return new Quarantine(f.text("file"), f.text("quarantined_as"), f.text("file_sha256"), f.text("reason"));
    }
  }

  /**
   * The previous epoch was repaired at this start: a torn last line removed, and the forwarded
   * calls it left without an outcome named.
   *
   * @param repairedFile the previous epoch's file name
   * @param truncatedBytes how many bytes of a torn last line were cut
   * @param unfinishedDecisions indexes of its forwarded decisions that no outcome answers
   */
  record Recovery(String repairedFile, long truncatedBytes, List<Long> unfinishedDecisions) implements AuditRecord {
    static final String TYPE = "recovery";

    public Recovery {
      unfinishedDecisions = List.copyOf(unfinishedDecisions);
    }

    @Override
    public String type() {
      return TYPE;
    }

    @Override
    public ObjectNode toJson() {
      ObjectNode entry = typed(TYPE).put("repaired_file", repairedFile).put("truncated_bytes", truncatedBytes);
      ArrayNode list = entry.putArray("unfinished_decisions");
      unfinishedDecisions.forEach(list::add);
      return entry;
    }

    static Recovery read(JsonFields<AuditFormatException> f) throws AuditFormatException {
      return new Recovery(f.text("repaired_file"), f.integer("truncated_bytes"), f.integers("unfinished_decisions"));
    }
  }

  /**
   * An earlier epoch's file deleted under {@code audit.retention_days} (at a start, or within a run): allowed only
   * when the epoch after it linked to it from a genesis entry that a signed checkpoint covers, and
   * recorded with the head that link named, so that an archived copy can still be matched.
   *
   * @param file the deleted file's name
   * @param length its entry count, as the next epoch's genesis named it
   * @param root its Merkle root, likewise
   * @param tip the hash of its last entry, likewise
   */
  record Retention(String file, long length, String root, String tip) implements AuditRecord {
    static final String TYPE = "retention";

    @Override
    public String type() {
      return TYPE;
    }

    @Override
    public ObjectNode toJson() {
      return typed(TYPE).put("file", file).put("length", length).put("root", root).put("tip", tip);
    }

    static Retention read(JsonFields<AuditFormatException> f) throws AuditFormatException {
      return new Retention(f.text("file"), f.integer("length"), f.text("root"), f.text("tip"));
    }
  }

  /**
   * A signed checkpoint: the chain of this epoch as it stood just before this entry, signed with
   * the claim key, so that the entries it covers are vouched for even when no claim names them.
   *
   * @param length how many entries it covers: every entry before it ({@code length} is its own index)
   * @param root the Merkle root of those entries
   * @param tip the hash of the last of them
   * @param key the claim key (its thumbprint is the genesis entry's {@code key_thumbprint})
   * @param signature base64url Ed25519 over {@code CheckpointSignature.signedBytes}
   */
  record Checkpoint(long length, String root, String tip, Jwk key, String signature) implements AuditRecord {
    static final String TYPE = "checkpoint";

    @Override
    public String type() {
      return TYPE;
    }

    @Override
    public ObjectNode toJson() {
      ObjectNode entry = typed(TYPE).put("length", length).put("root", root).put("tip", tip);
      entry.set("key", key.toJson());
      entry.put("signature", signature);
      return entry;
    }

    static Checkpoint read(JsonFields<AuditFormatException> f) throws AuditFormatException {
      long length = f.integer("length");
      String root = f.text("root");
      String tip = f.text("tip");
      JsonFields<AuditFormatException> key = f.object("key");
      if (!key.text("kty").equals("OKP") || !key.text("crv").equals("Ed25519")) {
        throw new AuditFormatException(f.path("key") + ": expected an Ed25519 key (kty OKP, crv Ed25519)");
      }
      Jwk jwk;
      try {
        jwk = new Jwk(key.text("x"));
      } catch (IllegalArgumentException e) {
        throw new AuditFormatException(f.path("key") + ": " + e.getMessage());
      }
      key.finish();
      return new Checkpoint(length, root, tip, jwk, f.text("signature"));
    }
  }
}
