package dev.cmcp.verify.evidence.tpm;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.verify.base.Check;
import dev.cmcp.verify.base.CheckStatus;
import dev.cmcp.verify.base.Verdict;
import dev.cmcp.verify.evidence.EvidenceReport;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The outcome of checking one TPM quote: every named check with its status and reason, and the
 * quote's fields when it could be parsed.
 *
 * <p>{@link Verdict#VERIFIED} needs every check to pass, {@code ak_trust} included, which needs
 * an enrolled AK and the anchors to check it with ({@link TpmTrust.Anchors}): a quote whose
 * other checks all pass but whose {@code ak_trust} is skipped is {@link Verdict#PARTIALLY_VERIFIED},
 * like software evidence: internally consistent, and bound to the claim, but not anchored to a
 * TPM manufacturer.
 */
public record TpmReport(List<Check<TpmCheck>> checks, Optional<QuoteFields> quote) {

  public TpmReport {
    checks = List.copyOf(checks);
  }

  /**
   * What the quote says, lower-case hex for byte strings.
   *
   * @param pcrDigest the platform measurement: the signed digest of the quoted PCR values
   * @param pcrSelection e.g. {@code sha256:0,1,2,3,4,5,6,7}
   * @param akName the attestation key's TPM Name (nameAlg || digest of its public area), for pinning
   * @param qualifiedSigner the qualified Name of the key the TPM says signed
   * @param firmwareVersion the TPM vendor's firmware version, 16 hex digits
   */
  public record QuoteFields(
      String pcrDigest,
      String pcrSelection,
      String extraData,
      String akName,
      String akKey,
      String signatureAlgorithm,
      String qualifiedSigner,
      long clock,
      long resetCount,
      long restartCount,
      boolean safe,
      String firmwareVersion) {}

  public Check<TpmCheck> check(TpmCheck name) {
    return checks.stream()
        .filter(c -> c.name() == name)
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no check " + name.label() + " in this report"));
  }

  /** Unverified when a check failed; partially verified when only {@code ak_trust} did not pass. */
  public Verdict result() {
    if (checks.stream().anyMatch(c -> c.status() == CheckStatus.FAIL)) {
      return Verdict.UNVERIFIED;
    }
    return check(TpmCheck.AK_TRUST).status() == CheckStatus.PASS ? Verdict.VERIFIED : Verdict.PARTIALLY_VERIFIED;
  }

  /** True when no check failed: everything that could be checked held. */
  public boolean passed() {
    return result() != Verdict.UNVERIFIED;
  }

  /**
   * 0 only when {@link Verdict#VERIFIED}; an uncertified AK does not pass as hardware evidence:
   * 3, as every {@code partially_verified} result; 1 when a check failed.
   */
  public int exitCode() {
    return result().exitCode();
  }

  /**
   * This report in the shape shared by every platform's verifier, as claims print it: checks by
   * label, the quote's fields as text under the names of {@link #toJson}'s {@code quote}
   * ({@code pcr_digest}, {@code extra_data}, {@code ak_name}, ...). That shape has no partial
   * result: whoever reads it must treat {@code ak_trust} short of {@code pass} as the claim
   * verifier does, never as verified.
   */
  public EvidenceReport toEvidenceReport() {
    List<EvidenceReport.Check> named = checks.stream()
        .map(c -> new EvidenceReport.Check(c.name().label(), c.status(), c.reason()))
        .toList();
    Map<String, String> values = new LinkedHashMap<>();
    quote.ifPresent(q -> fields(q).properties().forEach(field -> values.put(field.getKey(), field.getValue().asText())));
    return new EvidenceReport("tpm", named, values);
  }

  /** {@code {"platform": "tpm", "result", "exit_code", "checks": [{"name", "status", "reason"}, ...], "quote": {...}}} */
  public ObjectNode toJson() {
    ObjectNode report = JsonNodeFactory.instance.objectNode();
    report.put("platform", "tpm");
    report.put("result", result().label());
    report.put("exit_code", exitCode());
    ArrayNode list = report.putArray("checks");
    for (Check<TpmCheck> check : checks) {
      list.addObject()
          .put("name", check.name().label())
          .put("status", check.status().label())
          .put("reason", check.reason());
    }
    quote.ifPresent(q -> report.set("quote", fields(q)));
    return report;
  }

  private static ObjectNode fields(QuoteFields q) {
    return JsonNodeFactory.instance.objectNode()
        .put("pcr_digest", q.pcrDigest())
        .put("pcr_selection", q.pcrSelection())
        .put("extra_data", q.extraData())
        .put("ak_name", q.akName())
        .put("ak_key", q.akKey())
        .put("signature_algorithm", q.signatureAlgorithm())
        .put("qualified_signer", q.qualifiedSigner())
        .put("clock", q.clock())
        .put("reset_count", q.resetCount())
        .put("restart_count", q.restartCount())
        .put("safe", q.safe())
        .put("firmware_version", q.firmwareVersion());
  }

  /** One line per check ({@code PASS ak_signature  ...}), then the quote's main fields, then the result. */
  public String toText() {
    StringBuilder text = new StringBuilder();
    for (Check<TpmCheck> check : checks) {
      text.append(String.format("%-4s %-16s %s\n", check.status().name(), check.name().label(), check.reason()));
    }
    quote.ifPresent(q -> {
      text.append("pcr_digest:     ").append(q.pcrDigest()).append('\n');
      text.append("pcr_selection:  ").append(q.pcrSelection()).append('\n');
      text.append("extra_data:     ").append(q.extraData()).append('\n');
      text.append("ak_name:        ").append(q.akName()).append(" (").append(q.akKey()).append(")\n");
      text.append("reset_count:    ").append(q.resetCount()).append('\n');
    });
    return text.append("result: ").append(result().label()).append('\n').toString();
  }
}
