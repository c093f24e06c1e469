package dev.cmcp.verify.evidence.tpm;

import dev.cmcp.verify.base.CheckKind;
import dev.cmcp.verify.base.Requirement;

/** The checks a TPM quote verification reports, in the order it reports them. */
public enum TpmCheck implements CheckKind {
  /** The evidence JSON, TPMS_ATTEST (magic TPM_GENERATED_VALUE, type TPM_ST_ATTEST_QUOTE), TPMT_SIGNATURE and TPMT_PUBLIC all parse, exactly. */
  ATTEST_FORMAT(Requirement.REQUIRED),
  /** The AK is a restricted signing key, fixedTPM, fixedParent, sensitiveDataOrigin: the TPM signs only its own attestations with it. */
  AK_ATTRIBUTES(Requirement.REQUIRED),
  /** The signature over the TPMS_ATTEST bytes verifies with the AK's public key. */
  AK_SIGNATURE(Requirement.REQUIRED),
  /** extraData equals SHA-256 of the expected 64-byte binding (skipped when none is given). */
  QUALIFYING_DATA(Requirement.EXPECTATION),
  /** The reported PCR values cover exactly the quoted selection, and their digest is the quote's pcrDigest. */
  PCR_DIGEST(Requirement.REQUIRED),
  /** The quote's pcrDigest equals the expected measurement (skipped when none is given). */
  MEASUREMENT(Requirement.EXPECTATION),
  /**
   * The AK is certified to live in a genuine TPM: its AK certificate chains to the enrollment CA
   * and names this AK and an EK certificate that chains to a manufacturer root (skipped when no
   * anchors are given; failed when they are and the evidence carries no certificates).
   */
  AK_TRUST(Requirement.REQUIRED);

  private final Requirement requirement;

  TpmCheck(Requirement requirement) {
    this.requirement = requirement;
  }

  @Override
  public Requirement requirement() {
    return requirement;
  }
}
