package dev.cmcp.verify.evidence.tdx;

import dev.cmcp.verify.base.CheckKind;
import dev.cmcp.verify.base.Requirement;

/**
 * The checks a TDX quote verification reports, in the order it reports them. The collateral
 * checks ({@code pck_revocation}, {@code tcb_info}, {@code tcb_level}, {@code qe_identity}) are
 * {@link Requirement#REQUIRED} like the quote's own: without Intel's CRLs, TCB info and QE
 * identity a revoked or out-of-date platform cannot be told from a current one, so the quote is
 * then at most {@code partially_verified}.
 */
public enum TdxCheck implements CheckKind {
  /** The quote parses as version 4 or 5 (TD report 1.0 or 1.5), ECDSA-256 attestation key, TDX, with every length in bounds. */
  QUOTE_FORMAT(Requirement.REQUIRED),
  /** The attestation key signed the header and TD report body (ECDSA P-256, SHA-256). */
  QUOTE_SIGNATURE(Requirement.REQUIRED),
  /** The PCK certificate's key signed the quoting enclave's report. */
  QE_REPORT_SIGNATURE(Requirement.REQUIRED),
  /** The QE report's REPORTDATA is SHA-256(attestation key || QE authentication data), then zeros. */
  QE_REPORT_BINDS_KEY(Requirement.REQUIRED),
  /** PCK certificate -> PCK Platform/Processor CA -> the pinned Intel SGX Root CA, valid at "now". */
  PCK_CHAIN(Requirement.REQUIRED),
  /** Current CRLs of the PCK CA and of the root cover the PCK chain and revoke none of it (skipped when not both are supplied). */
  PCK_REVOCATION(Requirement.REQUIRED),
  /** REPORTDATA equals the expected binding (skipped when none is given). */
  REPORT_DATA(Requirement.EXPECTATION),
  /** The TD is not a debug TD (TDATTRIBUTES bit 0), unless the policy allows it. */
  TD_DEBUG(Requirement.REQUIRED),
  /** MRTD equals the expected measurement (skipped when none is given). */
  MEASUREMENT(Requirement.EXPECTATION),
  /** The supplied TCB info is signed by Intel, current, and describes this platform and TDX module. */
  TCB_INFO(Requirement.REQUIRED),
  /** The platform's TCB level in that TCB info has a status the policy accepts. */
  TCB_LEVEL(Requirement.REQUIRED),
  /** The supplied QE identity is signed by Intel, current, matches the QE report, and its TCB is accepted. */
  QE_IDENTITY(Requirement.REQUIRED);

  private final Requirement requirement;

  TdxCheck(Requirement requirement) {
    this.requirement = requirement;
  }

  @Override
  public Requirement requirement() {
    return requirement;
  }
}
