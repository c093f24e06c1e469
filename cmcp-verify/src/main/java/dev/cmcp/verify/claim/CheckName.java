package dev.cmcp.verify.claim;

import java.util.Locale;

/** The checks a claim verification reports, in the order it reports them. */
public enum CheckName {
  /** Ed25519 signature over the claim verifies with {@code trace.cnf.jwk}. */
  SIGNATURE,
  /** The claim has every field of the format with its type, and nothing else. */
  CLAIM_FORMAT,
  /** The platform evidence is genuine (hardware root of trust). */
  EVIDENCE,
  /** The evidence's user data is the binding of the claim's policy hashes and key. */
  BINDING,
  /**
   * The key that terminates the gateway's TLS is the one the evidence binds
   * ({@code trace.tls.spki_sha256}), and, when a TLS connection presented a key, that key.
   */
  TLS_KEY_BOUND,
  /** The policy bundle is the one the auditor expects. */
  BUNDLE_HASH,
  /** The runtime measurement is the one the auditor expects. */
  MEASUREMENT,
  /** {@code iat <= now <= exp}. */
  FRESHNESS,
  /** Every claimed entry is proven to be in {@code audit_chain.root}. */
  INCLUSION_PROOFS,
  /** The audit log file replays and agrees with the claim. */
  AUDIT_LOG;

  /** {@code claim_format}, as reports print it. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
