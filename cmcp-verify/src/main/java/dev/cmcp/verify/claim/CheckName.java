package dev.cmcp.verify.claim;

import dev.cmcp.verify.base.CheckKind;
import dev.cmcp.verify.base.Requirement;

/** The checks a claim verification reports, in the order it reports them. */
public enum CheckName implements CheckKind {
  /** Ed25519 signature over the claim verifies with {@code trace.cnf.jwk}. */
  SIGNATURE(Requirement.REQUIRED),
  /** The claim has every field of the format with its type, and nothing else. */
  CLAIM_FORMAT(Requirement.REQUIRED),
  /** The platform evidence is genuine (hardware root of trust). */
  EVIDENCE(Requirement.REQUIRED),
  /** The evidence's user data is the binding of the claim's policy hashes and key. */
  BINDING(Requirement.REQUIRED),
  /**
   * The key that terminates the gateway's TLS is the one the evidence binds
   * ({@code trace.tls.spki_sha256}), and, when a TLS connection presented a key, that key.
   */
  TLS_KEY_BOUND(Requirement.WHEN_AVAILABLE),
  /** The policy bundle is the one the auditor expects. */
  BUNDLE_HASH(Requirement.EXPECTATION),
  /** The runtime measurement is the one the auditor expects. */
  MEASUREMENT(Requirement.EXPECTATION),
  /** {@code iat <= now <= exp}. */
  FRESHNESS(Requirement.REQUIRED),
  /** Every claimed entry is proven to be in {@code audit_chain.root}. */
  INCLUSION_PROOFS(Requirement.WHEN_AVAILABLE),
  /** The audit log file replays and agrees with the claim. */
  AUDIT_LOG(Requirement.WHEN_AVAILABLE);

  private final Requirement requirement;

  CheckName(Requirement requirement) {
    this.requirement = requirement;
  }

  @Override
  public Requirement requirement() {
    return requirement;
  }
}
