package dev.cmcp.verify.claim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.verify.base.JsonFields;
import java.util.Set;

/**
 * What {@code GET /v1/attestation} answers, read strictly: the gateway's current {@code trace}
 * (evidence, policy hashes, claim key and, with TLS, the TLS key's SPKI hash) as a claim carries
 * it, the binding's inputs and the 64 bytes they hash to, signed with the claim key like a claim.
 * It names no session and holds nothing secret: any agent may read it before it authenticates.
 *
 * <pre>{@code
 * {"trace": {...as in a claim...},
 *  "binding": {"bundle_hash", "catalog_hash", "enforcement_mode", "cnf_jwk_thumbprint", "tls_spki_sha256"?},
 *  "report_data": "<128 hex digits: SHA-512 of the canonical JSON of binding>",
 *  "signature": "<base64url Ed25519 by trace.cnf.jwk over the RFC 8785 JSON of the rest>"}
 * }</pre>
 *
 * <p>{@code binding} and {@code report_data} are there for people and tools that look; a verifier
 * recomputes both from {@code trace}, and reading fails when they differ.
 */
public record GatewayAttestation(GatewayClaim.Trace trace, String signature) {

  /** Reads a parsed document; like a claim, only the verifier (this package) reads one it has not verified. */
  static GatewayAttestation fromJson(JsonNode document) throws ClaimException {
    JsonFields<ClaimException> root = JsonFields.exactly(document, "", Set.of("trace", "binding", "report_data", "signature"), ClaimException::new);
    GatewayClaim.Trace trace = GatewayClaim.readTraceOf(root);
    Binding binding = Binding.of(trace);
    JsonNode inputs = Binding.inputs(trace.policy().bundleHash(), trace.policy().catalogHash(),
        trace.policy().enforcementMode(), trace.cnf().thumbprint(), trace.tlsSpkiSha256());
    if (!inputs.equals(root.node("binding"))) {
      throw new ClaimException("binding: is not the inputs trace names (policy hashes, enforcement mode, cnf.jwk thumbprint, tls.spki_sha256)");
    }
    if (!binding.hex().equals(root.text("report_data"))) {
      throw new ClaimException("report_data: is not SHA-512 of the canonical JSON of binding");
    }
    return new GatewayAttestation(trace, root.text("signature"));
  }

  /**
   * {@code {trace, binding, report_data}} for {@code trace}: what the gateway signs and serves
   * ({@link ClaimSigner#sign} adds {@code signature}); the one definition {@link #fromJson} reads.
   */
  public static ObjectNode unsignedJson(GatewayClaim.Trace trace) {
    GatewayClaim.Policy policy = trace.policy();
    ObjectNode document = JsonNodeFactory.instance.objectNode();
    document.set("trace", trace.toJson());
    document.set("binding", Binding.inputs(policy.bundleHash(), policy.catalogHash(), policy.enforcementMode(),
        trace.cnf().thumbprint(), trace.tlsSpkiSha256()));
    document.put("report_data", Binding.of(trace).hex());
    return document;
  }

  /** The view of this document as a claim over no session, for the checks claims and documents share. */
  public GatewayClaim asClaim() {
    String none = "0".repeat(64);
    return new GatewayClaim(trace, new GatewayClaim.Session("", "", new GatewayClaim.AuditChain("", none, none, 0), java.util.List.of(),
        java.util.Optional.empty()),
        signature);
  }
}
