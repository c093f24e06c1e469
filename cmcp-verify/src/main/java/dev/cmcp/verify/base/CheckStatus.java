package dev.cmcp.verify.base;

import java.util.Locale;

/**
 * How one check of a verification ended, in a claim's report and in a platform evidence report
 * alike: one type, so that neither report depends on the other.
 */
public enum CheckStatus {
  PASS,
  FAIL,
  /** Not requested (no expectation given), or not possible because another check failed. */
  SKIP;

  /** {@code pass}, {@code fail} or {@code skip}, as reports print it. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
