package dev.cmcp.verify;

import static dev.cmcp.verify.CheckName.AUDIT_LOG;
import static dev.cmcp.verify.CheckName.BINDING;
import static dev.cmcp.verify.CheckName.BUNDLE_HASH;
import static dev.cmcp.verify.CheckName.CLAIM_FORMAT;
import static dev.cmcp.verify.CheckName.EVIDENCE;
import static dev.cmcp.verify.CheckName.FRESHNESS;
import static dev.cmcp.verify.CheckName.INCLUSION_PROOFS;
import static dev.cmcp.verify.CheckName.MEASUREMENT;
import static dev.cmcp.verify.CheckName.SIGNATURE;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import dev.cmcp.verify.VerificationReport.Check;
import dev.cmcp.verify.VerificationReport.Result;
import dev.cmcp.verify.VerificationReport.Status;
import dev.cmcp.verify.audit.AuditLogReplay;
import dev.cmcp.verify.audit.ChainHead;
import dev.cmcp.verify.audit.MerkleTree;
import dev.cmcp.verify.claim.Binding;
import dev.cmcp.verify.claim.ClaimException;
import dev.cmcp.verify.claim.ClaimSignature;
import dev.cmcp.verify.claim.GatewayClaim;
import dev.cmcp.verify.claim.GatewayClaim.Call;
import dev.cmcp.verify.claim.GatewayClaim.OutcomeEntry;
import dev.cmcp.verify.claim.PlatformEvidence;
import dev.cmcp.verify.claim.SoftwareEvidence;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Verifies a TRACE claim offline, trusting nothing the operator says beyond what the claim's
 * signature, evidence, proofs and (optionally) audit log establish. Every check of
 * {@link CheckName} is reported, whatever the others found, so an auditor sees all faults at once.
 */
public final class ClaimVerifier {

  private static final HexFormat HEX = HexFormat.of();

  private ClaimVerifier() {}

  public static VerificationReport verify(byte[] claimBytes, VerificationOptions options) {
    JsonNode json;
    GatewayClaim claim;
    try {
      json = new StrictJson().parse(claimBytes);
      claim = GatewayClaim.fromJson(json);
    } catch (StrictJson.MalformedJsonException e) {
      return unreadable("the claim is not well-formed JSON: " + e.getMessage());
    } catch (ClaimException e) {
      return unreadable(e.getMessage());
    }

    List<Check> checks = new ArrayList<>();
    checks.add(signature(json, claim));
    checks.add(Check.pass(CLAIM_FORMAT, "the claim has every field of " + GatewayClaim.EAT_PROFILE + " and no other"));
    PlatformEvidence evidence;
    try {
      evidence = PlatformEvidence.of(claim.trace().runtime());
    } catch (ClaimException e) {
      evidence = null;
      checks.add(Check.fail(EVIDENCE, e.getMessage()));
    }
    if (evidence != null) {
      checks.add(evidence(evidence, options.evidencePolicy()));
    }
    checks.add(binding(evidence, claim));
    checks.add(bundleHash(claim, options));
    checks.add(measurement(claim, options, evidence));
    checks.add(freshness(claim, options.now()));
    checks.add(inclusionProofs(claim));
    checks.add(options.auditLog().map(file -> auditLog(file, claim)).orElse(
        Check.skip(AUDIT_LOG, "no audit log given (--audit-log)")));
    return new VerificationReport(checks, result(checks, evidence));
  }

  /**
   * Software evidence is the one failure that leaves a claim partially verified: everything it
   * says may be true, but nothing outside the gateway vouches for it.
   */
  private static Result result(List<Check> checks, PlatformEvidence evidence) {
    boolean software = evidence instanceof SoftwareEvidence;
    boolean failed = checks.stream()
        .anyMatch(c -> c.status() == Status.FAIL && !(c.name() == EVIDENCE && software));
    if (failed) {
      return Result.UNVERIFIED;
    }
    return software ? Result.PARTIALLY_VERIFIED : Result.VERIFIED;
  }

  private static VerificationReport unreadable(String reason) {
    List<Check> checks = new ArrayList<>();
    for (CheckName name : CheckName.values()) {
      checks.add(name == CLAIM_FORMAT ? Check.fail(name, reason) : Check.skip(name, "the claim could not be read"));
    }
    return new VerificationReport(checks, Result.UNVERIFIED);
  }

  private static Check signature(JsonNode json, GatewayClaim claim) {
    try {
      ClaimSignature.verify(json, claim.trace().cnf());
      return Check.pass(SIGNATURE, "Ed25519 signature over the claim verifies with cnf.jwk");
    } catch (ClaimException e) {
      return Check.fail(SIGNATURE, e.getMessage());
    }
  }

  private static Check evidence(PlatformEvidence evidence, EvidencePolicy policy) {
    return switch (evidence) {
      case SoftwareEvidence software -> policy == EvidencePolicy.ALLOW_SOFTWARE
          ? Check.skip(EVIDENCE, "software evidence: no hardware root of trust (accepted by --allow-software; at best partially_verified)")
          : Check.fail(EVIDENCE, "software evidence: no hardware root of trust (accepted only with --allow-software)");
      case PlatformEvidence.NotYetVerifiable other -> Check.fail(EVIDENCE,
          "verification of " + other.platform().jsonName() + " evidence is not implemented yet");
    };
  }

  private static Check binding(PlatformEvidence evidence, GatewayClaim claim) {
    Binding expected = Binding.of(claim.trace().policy(), claim.trace().cnf());
    return switch (evidence) {
      case null -> Check.skip(BINDING, "the evidence could not be read");
      case SoftwareEvidence software -> software.isBoundTo(expected)
          ? Check.pass(BINDING, "the evidence's report_data is SHA-512 of the claim's policy hashes, enforcement mode and key thumbprint")
          : Check.fail(BINDING, "the evidence's report_data " + abbreviate(software.reportData())
              + " is not the binding of the claim's policy and key " + abbreviate(expected.hex())
              + ": the policy, the mode or the key is not the one the evidence was produced for");
      case PlatformEvidence.NotYetVerifiable other -> Check.skip(BINDING,
          "the binding is read from " + other.platform().jsonName() + " evidence, whose verification is not implemented yet");
    };
  }

  private static Check bundleHash(GatewayClaim claim, VerificationOptions options) {
    if (options.expectedBundleHash().isEmpty()) {
      return Check.skip(BUNDLE_HASH, "no expected bundle hash given (--expected-bundle-hash)");
    }
    String expected = options.expectedBundleHash().get();
    String claimed = claim.trace().policy().bundleHash();
    if (!claimed.equals(expected)) {
      return Check.fail(BUNDLE_HASH, "trace.policy.bundle_hash is " + claimed + ", expected " + expected);
    }
    List<Call> calls = claim.gateway().calls();
    for (int i = 0; i < calls.size(); i++) {
      if (!calls.get(i).bundleHash().equals(expected)) {
        return Check.fail(BUNDLE_HASH, callName(i) + " was decided under " + calls.get(i).bundleHash()
            + ", expected " + expected);
      }
    }
    return Check.pass(BUNDLE_HASH, "the claim's policy and every call's policy are the expected bundle " + expected);
  }

  private static Check measurement(GatewayClaim claim, VerificationOptions options, PlatformEvidence evidence) {
    if (options.expectedMeasurement().isEmpty()) {
      return Check.skip(MEASUREMENT, "no expected measurement given (--expected-measurement)");
    }
    String claimed = claim.trace().runtime().measurement();
    if (!claimed.equals(options.expectedMeasurement().get())) {
      return Check.fail(MEASUREMENT, "trace.runtime.measurement is " + claimed + ", expected " + options.expectedMeasurement().get());
    }
    String source = evidence instanceof SoftwareEvidence ? " (stated by the gateway itself: software evidence)" : "";
    return Check.pass(MEASUREMENT, "trace.runtime.measurement equals the expected value" + source);
  }

  private static Check freshness(GatewayClaim claim, Instant now) {
    Instant issued = Instant.ofEpochSecond(claim.trace().iat());
    Instant expires = Instant.ofEpochSecond(claim.trace().exp());
    if (now.isBefore(issued)) {
      return Check.fail(FRESHNESS, "issued at " + issued + ", after now (" + now + ")");
    }
    if (now.isAfter(expires)) {
      return Check.fail(FRESHNESS, "expired at " + expires + "; now is " + now);
    }
    return Check.pass(FRESHNESS, "issued at " + issued + ", valid until " + expires + "; now is " + now);
  }

  private static Check inclusionProofs(GatewayClaim claim) {
    GatewayClaim.AuditChain chain = claim.gateway().auditChain();
    byte[] root = HEX.parseHex(chain.root());
    List<Call> calls = claim.gateway().calls();
    int outcomes = 0;
    for (int i = 0; i < calls.size(); i++) {
      Call call = calls.get(i);
      if (!proves(call.entrySha256(), call.index(), call.inclusionProof(), chain.length(), root)) {
        return Check.fail(INCLUSION_PROOFS, callName(i) + ": the inclusion proof of entry " + call.index()
            + " does not lead to audit_chain.root (length " + chain.length() + ")");
      }
      if (call.outcome().isPresent()) {
        OutcomeEntry outcome = call.outcome().get();
        if (!proves(outcome.entrySha256(), outcome.index(), outcome.inclusionProof(), chain.length(), root)) {
          return Check.fail(INCLUSION_PROOFS, callName(i) + ": the inclusion proof of outcome entry "
              + outcome.index() + " does not lead to audit_chain.root (length " + chain.length() + ")");
        }
        outcomes++;
      }
    }
    if (calls.isEmpty()) {
      return Check.pass(INCLUSION_PROOFS, "the claim lists no calls");
    }
    return Check.pass(INCLUSION_PROOFS, calls.size() + " decision and " + outcomes
        + " outcome entries are proven in audit_chain.root (length " + chain.length() + ")");
  }

  private static boolean proves(String entryHash, long index, List<String> proof, long size, byte[] root) {
    return MerkleTree.verifyInclusion(HEX.parseHex(entryHash), index, size, proof.stream().map(HEX::parseHex).toList(), root);
  }

  private static Check auditLog(Path file, GatewayClaim claim) {
    AuditLogReplay.Result replay = AuditLogReplay.replay(file);
    if (replay instanceof AuditLogReplay.Broken broken) {
      return Check.fail(AUDIT_LOG, file.getFileName() + " " + broken.describe());
    }
    AuditLogReplay.Intact log = (AuditLogReplay.Intact) replay;
    GatewayClaim.AuditChain chain = claim.gateway().auditChain();
    if (!log.epoch().equals(chain.epoch())) {
      return Check.fail(AUDIT_LOG, "the log holds epoch " + log.epoch() + ", the claim's audit_chain names epoch " + chain.epoch());
    }
    if (chain.length() > log.length()) {
      return Check.fail(AUDIT_LOG, "line " + (log.length() + 1) + ": missing: the claim covers " + chain.length()
          + " entries, the log ends after line " + log.length() + " (truncated?)");
    }
    ChainHead head = log.prefix((int) chain.length());
    if (!head.root().equals(chain.root())) {
      return Check.fail(AUDIT_LOG, "the Merkle root of the first " + chain.length() + " entries is " + head.root()
          + ", the claim's audit_chain.root is " + chain.root());
    }
    if (!head.tip().equals(chain.tip())) {
      return Check.fail(AUDIT_LOG, "line " + chain.length() + ": its hash " + head.tip() + " is not audit_chain.tip " + chain.tip());
    }
    List<Call> calls = claim.gateway().calls();
    for (int i = 0; i < calls.size(); i++) {
      String mismatch = callMismatch(log, calls.get(i), claim.gateway().sessionId(), callName(i));
      if (mismatch != null) {
        return Check.fail(AUDIT_LOG, mismatch);
      }
    }
    return Check.pass(AUDIT_LOG, "replayed " + log.length() + " entries of " + file.getFileName() + "; the first "
        + chain.length() + " give audit_chain's root and tip, and the entries of " + calls.size() + " calls match the claim");
  }

  /** Why the log's entries for {@code call} differ from what the claim says about them, or null. */
  private static String callMismatch(AuditLogReplay.Intact log, Call call, String sessionId, String name) {
    JsonNodeFactory nodes = JsonNodeFactory.instance;
    int index = (int) call.index();
    if (!log.entryHashHex(index).equals(call.entrySha256())) {
      return "line " + (index + 1) + ": its hash is not " + name + ".entry_sha256";
    }
    Map<String, JsonNode> decision = new LinkedHashMap<>();
    decision.put("type", nodes.textNode("decision"));
    decision.put("session_id", nodes.textNode(sessionId));
    decision.put("tool", nodes.textNode(call.tool()));
    decision.put("decision", nodes.textNode(call.decision()));
    decision.put("enforced", nodes.textNode(call.enforced()));
    ArrayNode policies = nodes.arrayNode();
    call.policies().forEach(policies::add);
    decision.put("policies", policies);
    decision.put("bundle_hash", nodes.textNode(call.bundleHash()));
    decision.put("arguments_sha256", nodes.textNode(call.argumentsSha256()));
    String mismatch = fieldMismatch(log.entry(index), index, decision, name);
    if (mismatch != null || call.outcome().isEmpty()) {
      return mismatch;
    }
    OutcomeEntry outcome = call.outcome().get();
    int outcomeIndex = (int) outcome.index();
    if (!log.entryHashHex(outcomeIndex).equals(outcome.entrySha256())) {
      return "line " + (outcomeIndex + 1) + ": its hash is not " + name + ".outcome_entry_sha256";
    }
    JsonNode entry = log.entry(outcomeIndex);
    JsonNode decisionIndex = entry.path("decision_index");
    if (!decisionIndex.isIntegralNumber() || decisionIndex.longValue() != call.index()) {
      return "line " + (outcomeIndex + 1) + ": the outcome entry is not the outcome of entry " + call.index() + " (" + name + ")";
    }
    Map<String, JsonNode> result = new LinkedHashMap<>();
    result.put("type", nodes.textNode("outcome"));
    result.put("session_id", nodes.textNode(sessionId));
    result.put("tool", nodes.textNode(call.tool()));
    result.put("result_sha256", call.resultSha256().<JsonNode>map(nodes::textNode).orElse(NullNode.getInstance()));
    return fieldMismatch(entry, outcomeIndex, result, name);
  }

  private static String fieldMismatch(JsonNode entry, int index, Map<String, JsonNode> expected, String name) {
    for (Map.Entry<String, JsonNode> field : expected.entrySet()) {
      JsonNode logged = entry.get(field.getKey());
      if (!field.getValue().equals(logged)) {
        return "line " + (index + 1) + ": " + field.getKey() + " is " + logged + " in the log, "
            + field.getValue() + " in " + name;
      }
    }
    return null;
  }

  private static String callName(int position) {
    return "gateway.calls[" + position + "]";
  }

  private static String abbreviate(String hex) {
    return hex.substring(0, 16) + "...";
  }
}
