package dev.cmcp.verify.evidence.tpm;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a TPM quote says, lower-case hex for byte strings, typed; {@link #toMap} is the same as
 * the report's {@code fields}.
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
    String firmwareVersion) {

  /** These fields as text, as reports print them: {@code pcr_digest}, {@code extra_data}, {@code ak_name}, ... */
  Map<String, String> toMap() {
    Map<String, String> values = new LinkedHashMap<>();
    values.put("pcr_digest", pcrDigest);
    values.put("pcr_selection", pcrSelection);
    values.put("extra_data", extraData);
    values.put("ak_name", akName);
    values.put("ak_key", akKey);
    values.put("signature_algorithm", signatureAlgorithm);
    values.put("qualified_signer", qualifiedSigner);
    values.put("clock", Long.toString(clock));
    values.put("reset_count", Long.toString(resetCount));
    values.put("restart_count", Long.toString(restartCount));
    values.put("safe", Boolean.toString(safe));
    values.put("firmware_version", firmwareVersion);
    return values;
  }
}
