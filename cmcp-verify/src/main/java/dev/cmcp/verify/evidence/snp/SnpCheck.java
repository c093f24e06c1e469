package dev.cmcp.verify.evidence.snp;

import dev.cmcp.verify.base.CheckKind;
import dev.cmcp.verify.base.Requirement;

/** The checks an SEV-SNP verification reports, in the order it reports them. */
public enum SnpCheck implements CheckKind {
  /** The evidence is a 1184-byte ATTESTATION_REPORT this verifier can read (and, after it, a well-formed certificate table). */
  REPORT_FORMAT(Requirement.REQUIRED),
  /** The report's ECDSA P-384 signature over bytes 0x000-0x29F verifies with the VCEK. */
  VCEK_SIGNATURE(Requirement.REQUIRED),
  /**
   * VCEK <- ASK <- ARK (RSA-PSS SHA-384), the ARK being AMD's published root for the product line;
   * all valid at {@code now}; none revoked by a supplied CRL.
   */
  VCEK_CHAIN(Requirement.REQUIRED),
  /** The VCEK certifies the TCB the report says it was derived from (REPORTED_TCB). */
  VCEK_TCB(Requirement.REQUIRED),
  /** The VCEK belongs to the chip the report names (CHIP_ID). */
  VCEK_CHIP_ID(Requirement.WHEN_AVAILABLE),
  /** REPORT_DATA equals the expected 64 bytes; skipped when none is given. */
  REPORT_DATA(Requirement.EXPECTATION),
  /** The guest policy's DEBUG bit is clear, unless the caller allows debug guests. */
  POLICY_DEBUG(Requirement.REQUIRED),
  /** REPORTED_TCB is at least the configured minimum; skipped when none is configured. */
  MINIMUM_TCB(Requirement.EXPECTATION),
  /** MEASUREMENT equals the expected launch digest; skipped when none is given. */
  MEASUREMENT(Requirement.EXPECTATION);

  private final Requirement requirement;

  SnpCheck(Requirement requirement) {
    this.requirement = requirement;
  }

  @Override
  public Requirement requirement() {
    return requirement;
  }
}
