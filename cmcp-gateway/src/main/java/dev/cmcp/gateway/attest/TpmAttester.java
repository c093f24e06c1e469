package dev.cmcp.gateway.attest;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.gateway.config.PcrSelection;
import dev.cmcp.gateway.config.TpmDevice;

/**
 * The TPM side of the {@code tpm} provider: opens the TPM, creates an attestation key, and makes
 * quotes. It lives in {@code dev.cmcp.gateway.attest.tpm} and is handed to
 * {@link AttestationProviders#select} as an {@link Opener}; until then {@link #NOT_WIRED} answers.
 */
public interface TpmAttester extends AutoCloseable {

  /**
   * A TPM2_Quote over the configured PCRs, signed by the attestation key.
   *
   * @param qualifyingData the quote's extraData: SHA-256 of the binding, 32 bytes
   */
  Quote quote(byte[] qualifyingData) throws AttestationException;

  /** Closes the TPM connection and flushes the attestation key. */
  @Override
  void close();

  /**
   * One quote, as the claim carries it.
   *
   * @param pcrDigest lower-case hex of the quote's PCR digest: the claim's measurement
   * @param evidence the evidence document: a {@code "format"} word the TPM verifier reads, and
   *     what it needs (the TPMS_ATTEST, its signature, the attestation key's public area, the PCR values)
   */
  record Quote(String pcrDigest, ObjectNode evidence) {}

  /** Opens the TPM at start; fails when it is absent or refuses. */
  @FunctionalInterface
  interface Opener {
    TpmAttester open(TpmDevice device, PcrSelection pcrs) throws AttestationException;
  }

  /** The opener of a build whose TPM attester is not plugged in yet. */
  Opener NOT_WIRED = (device, pcrs) -> {
    throw new AttestationException("tpm: not wired yet: this build has no TPM attester (attestation.tpm_device "
        + device + "); use sev-snp or tdx, or CMCP_DEV_MODE=1 for development");
  };
}
