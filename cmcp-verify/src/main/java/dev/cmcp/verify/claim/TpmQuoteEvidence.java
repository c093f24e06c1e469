package dev.cmcp.verify.claim;

import dev.cmcp.verify.base.Base64Url;
import dev.cmcp.verify.evidence.tpm.TpmEvidence;
import dev.cmcp.verify.evidence.tpm.TpmFormatException;

/**
 * TPM 2.0 evidence ({@code platform: tpm}): a quote over the configured PCRs, with the
 * attestation key's public area and the PCR values. Its format ({@code cmcp-tpm-evidence-v1})
 * is defined once, by {@link TpmEvidence}, which the gateway writes and this decodes.
 *
 * <p>The evidence is base64url of the canonical JSON
 * {@code {"format":"cmcp-tpm-evidence-v1","attest":...,"signature":...,"ak_public":...,"pcrs":{...}}}.
 */
public record TpmQuoteEvidence(TpmEvidence quote) implements PlatformEvidence {

  /** Decodes {@code trace.runtime.evidence} of a TPM claim; the TPM structures inside are read by the verifier. */
  public static TpmQuoteEvidence decode(String evidence) throws ClaimException {
    // The format first, so that another platform's evidence is named as such, as for every platform.
    EvidenceDocument.decode(evidence, Platform.TPM, TpmEvidence.FORMAT);
    byte[] json = Base64Url.decode(evidence, ClaimException.at(EvidenceDocument.PATH));
    try {
      return new TpmQuoteEvidence(TpmEvidence.fromJson(json));
    } catch (TpmFormatException e) {
      // Its messages name the member from "evidence" on: "evidence.attest: not base64url".
      throw new ClaimException("trace.runtime." + e.getMessage());
    }
  }
}
