package dev.cmcp.verify.claim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.verify.base.JsonFields;
import dev.cmcp.verify.base.Jwk;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A TRACE claim a gateway issued for one session, read strictly: every field the format lists
 * must be present with its type, and no other field may be. Reading checks the shape and the
 * internal consistency of the claim; whether it is true is {@code ClaimVerifier}'s job.
 *
 * <p>The signature covers the JSON as received, not this view of it: verify it with
 * {@link ClaimSignature#verify} on the parsed tree.
 */
public record GatewayClaim(Trace trace, Session gateway, String signature) {

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  public static final String EAT_PROFILE = "tag:agentrust.io,2026:trace-v0.1";

  private static final Pattern SHA256_NOTATION = Pattern.compile("sha256:[0-9a-f]{64}");
  private static final Pattern LOWER_HEX = Pattern.compile("(?:[0-9a-f]{2})+");

  /**
   * {@code trace}: what ran, under which policy, with which key.
   *
   * @param tlsSpkiSha256 {@code trace.tls.spki_sha256}: the SHA-256 of the SubjectPublicKeyInfo of
   *     the key that terminates the gateway's TLS, bound into the evidence; absent ({@code trace}
   *     has no {@code tls} member) when the gateway served plain HTTP on loopback
   */
  public record Trace(long iat, long exp, Attestation runtime, Policy policy, Jwk cnf, Optional<String> tlsSpkiSha256) {
    /** The {@code trace} object, as claims and the attestation document carry it. */
    public ObjectNode toJson() {
      ObjectNode trace = NODES.objectNode();
      trace.put("eat_profile", EAT_PROFILE);
      trace.put("iat", iat);
      trace.put("exp", exp);
      trace.set("runtime", runtime.toJson());
      trace.set("policy", policy.toJson());
      trace.putObject("cnf").set("jwk", cnf.toJson());
      tlsSpkiSha256.ifPresent(spki -> trace.putObject("tls").put("spki_sha256", spki));
      return trace;
    }
  }

  /** {@code trace.runtime}: the platform, its measurement and its raw evidence (base64url). */
  public record Attestation(Platform platform, String assurance, String measurement, String evidence) {
    /** The {@code trace.runtime} object. */
    public ObjectNode toJson() {
      return NODES.objectNode().put("platform", platform.jsonName()).put("assurance", assurance)
          .put("measurement", measurement).put("evidence", evidence);
    }

    /**
     * Reads a {@code trace.runtime} object strictly, as a claim carries it: what an attestation
     * provider hands the claim issuer must be this format before it is signed.
     */
    public static Attestation fromJson(JsonNode runtime) throws ClaimException {
      return readAttestation(JsonFields.exactly(
          runtime, "trace.runtime", Set.of("platform", "assurance", "measurement", "evidence"), ClaimException::new));
    }
  }

  /** {@code trace.policy}. */
  public record Policy(String bundleHash, String catalogHash, String enforcementMode) {
    ObjectNode toJson() {
      return NODES.objectNode().put("bundle_hash", bundleHash).put("catalog_hash", catalogHash)
          .put("enforcement_mode", enforcementMode);
    }
  }

  /**
   * {@code gateway}: one session's calls and the audit chain they are in.
   *
   * @param principal who made the session's calls; empty in claims of gateways that did not record it
   */
  public record Session(String sessionId, String workflowId, AuditChain auditChain, List<Call> calls, Optional<Principal> principal) {
    public Session {
      calls = List.copyOf(calls);
    }

    /** The {@code gateway} object. */
    public ObjectNode toJson() {
      ObjectNode gateway = NODES.objectNode();
      gateway.put("session_id", sessionId);
      gateway.put("workflow_id", workflowId);
      principal.ifPresent(who -> gateway.putObject("principal").put("id", who.id()).put("method", who.method())
          .put("issuer", who.issuer().orElse(null)));
      gateway.putObject("audit_chain").put("epoch", auditChain.epoch()).put("root", auditChain.root())
          .put("tip", auditChain.tip()).put("length", auditChain.length());
      ArrayNode items = gateway.putArray("calls");
      calls.forEach(call -> items.add(call.toJson()));
      return gateway;
    }
  }

  /**
   * {@code gateway.principal}: the Cedar principal of the session's calls and how the gateway
   * authenticated it ({@code none}, {@code shared_token}, {@code agent_token}, {@code oauth}).
   */
  public record Principal(String id, String method, Optional<String> issuer) {}

  /** {@code gateway.audit_chain}: the epoch's chain as it stood when the claim was issued. */
  public record AuditChain(String epoch, String root, String tip, long length) {}

  /**
   * One call of the session: its decision entry and, when the call was forwarded and answered,
   * its outcome entry.
   */
  public record Call(
      long index,
      String tool,
      String decision,
      String enforced,
      List<String> policies,
      String bundleHash,
      String argumentsSha256,
      Optional<String> resultSha256,
      String entrySha256,
      List<String> inclusionProof,
      Optional<OutcomeEntry> outcome,
      Optional<String> approval) {
    public Call {
      policies = List.copyOf(policies);
      inclusionProof = List.copyOf(inclusionProof);
    }

    ObjectNode toJson() {
      ObjectNode item = NODES.objectNode();
      item.put("index", index);
      item.put("tool", tool);
      item.put("decision", decision);
      item.put("enforced", enforced);
      item.set("policies", strings(policies));
      item.put("bundle_hash", bundleHash);
      item.put("arguments_sha256", argumentsSha256);
      item.set("inclusion_proof", strings(inclusionProof));
      item.put("entry_sha256", entrySha256);
      approval.ifPresent(answer -> item.put("approval", answer));
      item.put("result_sha256", resultSha256.orElse(null));
      item.put("outcome_index", outcome.map(OutcomeEntry::index).orElse(null));
      item.put("outcome_entry_sha256", outcome.map(OutcomeEntry::entrySha256).orElse(null));
      item.set("outcome_inclusion_proof", outcome.<JsonNode>map(o -> strings(o.inclusionProof())).orElse(NODES.nullNode()));
      return item;
    }
  }

  /** The outcome entry of a call, with its own inclusion proof. */
  public record OutcomeEntry(long index, String entrySha256, List<String> inclusionProof) {
    public OutcomeEntry {
      inclusionProof = List.copyOf(inclusionProof);
    }
  }

  /** {@code {trace, gateway}}: what the claim key signs ({@link ClaimSigner#sign} adds {@code signature}). */
  public static ObjectNode unsignedJson(Trace trace, Session session) {
    ObjectNode claim = NODES.objectNode();
    claim.set("trace", trace.toJson());
    claim.set("gateway", session.toJson());
    return claim;
  }

  /** The claim as issued, signature included. */
  public ObjectNode toJson() {
    return unsignedJson(trace, gateway).put(ClaimSignature.FIELD, signature);
  }

  private static ArrayNode strings(List<String> values) {
    ArrayNode array = NODES.arrayNode();
    values.forEach(array::add);
    return array;
  }

  /**
   * Reads a parsed claim; the message of the exception names the first field that is wrong.
   * Package-private: only the verifier, in this package, reads a claim it has not verified;
   * callers get a claim's content as {@link VerifiedClaim} from {@link ClaimVerifier#verify}.
   */
  static GatewayClaim fromJson(JsonNode claim) throws ClaimException {
    JsonFields<ClaimException> root = JsonFields.exactly(claim, "", Set.of("trace", "gateway", "signature"), ClaimException::new);
    Trace trace = readTraceOf(root);
    Session session = readSession(
        root.object("gateway", Set.of("session_id", "workflow_id", "audit_chain", "calls"), Set.of("principal")));
    return new GatewayClaim(trace, session, root.text("signature"));
  }

  /**
   * Reads {@code trace} of a claim or of an attestation document; {@code tls} is its one optional
   * member, so that claims of gateways without TLS read as before.
   */
  static Trace readTraceOf(JsonFields<ClaimException> parent) throws ClaimException {
    return readTrace(parent.object("trace", Set.of("eat_profile", "iat", "exp", "runtime", "policy", "cnf"), Set.of("tls")));
  }

  private static Trace readTrace(JsonFields<ClaimException> trace) throws ClaimException {
    String profile = trace.text("eat_profile");
    if (!profile.equals(EAT_PROFILE)) {
      throw new ClaimException(trace.path("eat_profile") + ": this verifier reads \"" + EAT_PROFILE + "\", not \"" + profile + "\"");
    }
    long iat = trace.nonNegativeInteger("iat");
    long exp = trace.nonNegativeInteger("exp");
    if (exp < iat) {
      throw new ClaimException(trace.path("exp") + ": expires before it was issued (iat " + iat + ")");
    }
    Attestation attestation = readAttestation(trace.object("runtime", Set.of("platform", "assurance", "measurement", "evidence")));
    JsonFields<ClaimException> policy = trace.object("policy", Set.of("bundle_hash", "catalog_hash", "enforcement_mode"));
    Policy policyHashes = new Policy(
        policy.text("bundle_hash", SHA256_NOTATION, "sha256:<64 lower-case hex digits>"),
        policy.text("catalog_hash", SHA256_NOTATION, "sha256:<64 lower-case hex digits>"),
        policy.oneOf("enforcement_mode", Set.of("enforcing", "advisory", "silent")));
    JsonFields<ClaimException> cnf = trace.object("cnf", Set.of("jwk"));
    Jwk jwk = Jwk.fromJson(cnf.node("jwk"), cnf.path("jwk"), ClaimException::new);
    Optional<String> tlsSpki = trace.has("tls")
        ? Optional.of(trace.object("tls", Set.of("spki_sha256")).hexHash("spki_sha256"))
        : Optional.empty();
    return new Trace(iat, exp, attestation, policyHashes, jwk, tlsSpki);
  }

  private static Attestation readAttestation(JsonFields<ClaimException> runtime) throws ClaimException {
    return new Attestation(
        Platform.fromJsonName(runtime.text("platform"), runtime.path("platform")),
        runtime.text("assurance"),
        runtime.text("measurement", LOWER_HEX, "lower-case hex"),
        runtime.text("evidence"));
  }

  private static Session readSession(JsonFields<ClaimException> gateway) throws ClaimException {
    JsonFields<ClaimException> chain = gateway.object("audit_chain", Set.of("epoch", "root", "tip", "length"));
    AuditChain auditChain = new AuditChain(
        chain.text("epoch"), chain.hexHash("root"), chain.hexHash("tip"), chain.nonNegativeInteger("length"));
    List<JsonNode> items = gateway.array("calls");
    List<Call> calls = new ArrayList<>();
    Set<Long> indexes = new HashSet<>();
    for (int i = 0; i < items.size(); i++) {
      Call call = readCall(items.get(i), gateway.path("calls") + "[" + i + "]", auditChain.length());
      if (!indexes.add(call.index()) || (call.outcome().isPresent() && !indexes.add(call.outcome().get().index()))) {
        throw new ClaimException(gateway.path("calls") + "[" + i + "]: names an entry another call already names");
      }
      calls.add(call);
    }
    Optional<Principal> principal = Optional.empty();
    if (gateway.has("principal")) {
      JsonFields<ClaimException> who = gateway.object("principal", Set.of("id", "method", "issuer"));
      principal = Optional.of(new Principal(who.text("id"), who.oneOf("method", Set.of("none", "shared_token", "agent_token", "oauth")),
          who.isNull("issuer") ? Optional.empty() : Optional.of(who.text("issuer"))));
    }
    return new Session(gateway.text("session_id"), gateway.text("workflow_id"), auditChain, List.copyOf(calls), principal);
  }

  private static Call readCall(JsonNode node, String path, long chainLength) throws ClaimException {
    JsonFields<ClaimException> call = JsonFields.exactly(node, path, Set.of(
        "index", "tool", "decision", "enforced", "policies", "bundle_hash", "arguments_sha256", "result_sha256",
        "entry_sha256", "inclusion_proof", "outcome_index", "outcome_entry_sha256", "outcome_inclusion_proof"),
        Set.of("approval"), ClaimException::new);
    long index = call.nonNegativeInteger("index");
    if (index >= chainLength) {
      throw new ClaimException(call.path("index") + ": entry " + index + " is beyond audit_chain.length " + chainLength);
    }
    String enforced = call.oneOf("enforced", Set.of("forwarded", "blocked"));
    Optional<OutcomeEntry> outcome = readOutcome(call, index, chainLength);
    if (enforced.equals("blocked") && outcome.isPresent()) {
      throw new ClaimException(call.path("outcome_index") + ": a blocked call was never forwarded, so it has no outcome");
    }
    Optional<String> resultSha256 = call.isNull("result_sha256") ? Optional.empty() : Optional.of(call.hexHash("result_sha256"));
    if (resultSha256.isPresent() && outcome.isEmpty()) {
      throw new ClaimException(call.path("result_sha256") + ": a result hash needs the outcome entry that records it");
    }
    return new Call(
        index,
        call.text("tool"),
        call.oneOf("decision", Set.of("allow", "deny", "redact")),
        enforced,
        call.texts("policies"),
        call.text("bundle_hash", SHA256_NOTATION, "sha256:<64 lower-case hex digits>"),
        call.hexHash("arguments_sha256"),
        resultSha256,
        call.hexHash("entry_sha256"),
        call.hexHashes("inclusion_proof"),
        outcome,
        node.has("approval")
            ? Optional.of(call.oneOf("approval", Set.of("accepted", "declined", "cancelled", "timeout", "unavailable")))
            : Optional.empty());
  }

  private static Optional<OutcomeEntry> readOutcome(JsonFields<ClaimException> call, long decisionIndex, long chainLength) throws ClaimException {
    boolean indexNull = call.isNull("outcome_index");
    if (indexNull != call.isNull("outcome_entry_sha256") || indexNull != call.isNull("outcome_inclusion_proof")) {
      throw new ClaimException(call.path("outcome_index")
          + ": outcome_index, outcome_entry_sha256 and outcome_inclusion_proof are either all null or all present");
    }
    if (indexNull) {
      return Optional.empty();
    }
    long index = call.nonNegativeInteger("outcome_index");
    if (index <= decisionIndex || index >= chainLength) {
      throw new ClaimException(call.path("outcome_index") + ": entry " + index
          + " must come after the decision entry " + decisionIndex + " and within audit_chain.length " + chainLength);
    }
    return Optional.of(new OutcomeEntry(index, call.hexHash("outcome_entry_sha256"), call.hexHashes("outcome_inclusion_proof")));
  }
}
