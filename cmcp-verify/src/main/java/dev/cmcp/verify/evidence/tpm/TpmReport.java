package dev.cmcp.verify.evidence.tpm;

import dev.cmcp.verify.base.Check;
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

  /**
   * {@link Verdict#of} the checks: unverified when a check failed; partially verified when
   * {@code ak_trust}, {@link dev.cmcp.verify.base.Requirement#REQUIRED} like every check of the
   * quote itself, did not pass.
   */
  public Verdict result() {
    return Verdict.of(checks, List.of());
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
   * This report in the shape shared by every platform's verifier, as claims and
   * {@code cmcp verify-evidence} print it: the checks, and the quote's fields as text
   * ({@code pcr_digest}, {@code extra_data}, {@code ak_name}, ...), with the same result: the
   * verdict rule is one ({@link Verdict#of}), so {@code ak_trust} short of {@code pass} is
   * partially verified there too.
   */
  public EvidenceReport<TpmCheck> toEvidenceReport() {
    Map<String, String> values = new LinkedHashMap<>();
    quote.ifPresent(q -> {
      values.put("pcr_digest", q.pcrDigest());
      values.put("pcr_selection", q.pcrSelection());
      values.put("extra_data", q.extraData());
      values.put("ak_name", q.akName());
      values.put("ak_key", q.akKey());
      values.put("signature_algorithm", q.signatureAlgorithm());
      values.put("qualified_signer", q.qualifiedSigner());
      values.put("clock", Long.toString(q.clock()));
      values.put("reset_count", Long.toString(q.resetCount()));
      values.put("restart_count", Long.toString(q.restartCount()));
      values.put("safe", Boolean.toString(q.safe()));
      values.put("firmware_version", q.firmwareVersion());
    });
    return new EvidenceReport<>("tpm", checks, values);
  }
}
