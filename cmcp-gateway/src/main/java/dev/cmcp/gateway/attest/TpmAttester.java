package dev.cmcp.gateway.attest;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.gateway.config.PcrSelection;
import dev.cmcp.gateway.config.TpmDevice;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The TPM side of the {@code tpm} provider: opens the TPM, creates an attestation key, and makes
 * quotes. It lives in {@code dev.cmcp.gateway.attest.tpm} and is handed to
 * {@link AttestationProviders#select} as an {@link Opener}.
 */
public interface TpmAttester extends AutoCloseable {

  /**
   * A TPM2_Quote over the configured PCRs, signed by the attestation key.
   *
   * @param binding the 64-byte binding; a quote's extraData holds at most a digest, so the
   *     attester puts SHA-256 of it there (and can check its own quote against the binding)
   */
  Quote quote(byte[] binding) throws AttestationException;

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
    /**
     * @param enrollment the folder {@code cmcp tpm enroll} wrote ({@code attestation.tpm_enrollment}):
     *     quote with the enrolled AK and ship its certificates; empty: make an uncertified AK
     */
    TpmAttester open(TpmDevice device, PcrSelection pcrs, Optional<Path> enrollment) throws AttestationException;
  }

}
