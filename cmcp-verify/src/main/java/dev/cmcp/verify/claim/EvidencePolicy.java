package dev.cmcp.verify.claim;

/** What platform evidence an auditor accepts. */
public enum EvidencePolicy {
  /** Only hardware evidence verified to its root of trust: production. */
  HARDWARE_ONLY,
  /**
   * Also accept evidence without a root of trust an auditor can check offline: software
   * evidence (development), opaque evidence, and TPM quotes whose attestation key no EK
   * certificate chain certifies. Their evidence check is skipped instead of failed, and the
   * result is at best {@code partially_verified}.
   */
  ALLOW_SOFTWARE
}
