package dev.cmcp.verify;

/** What platform evidence an auditor accepts. */
public enum EvidencePolicy {
  /** Only hardware evidence verified to its root of trust: production. */
  HARDWARE_ONLY,
  /**
   * Also accept software evidence (development): the evidence check is skipped instead of
   * failed, and the result is at best {@code partially_verified}.
   */
  ALLOW_SOFTWARE
}
