package dev.cmcp.gateway.attest.tpm;

import dev.cmcp.verify.evidence.tpm.TpmEvidence;

/**
 * One quote from the TPM, checked by the gateway's own verifier before it is handed out.
 *
 * @param evidence what goes into the claim's {@code trace.runtime.evidence}
 * @param measurement {@code trace.runtime.measurement}: the quote's PCR digest, lower-case hex;
 *     what {@code attestation.expected_measurement} is compared with
 */
public record TpmQuote(TpmEvidence evidence, String measurement) {

  /** {@code trace.runtime.evidence}: base64url (no padding) of the evidence's canonical JSON. */
  public String runtimeEvidence() {
    return evidence.toBase64Url();
  }
}
