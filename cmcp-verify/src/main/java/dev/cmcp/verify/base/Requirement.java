package dev.cmcp.verify.base;

/**
 * What a check's skip means for the verdict, declared by each check name ({@link CheckKind}):
 * the data behind the one verdict rule ({@link Verdict#of}), so that no report has a rule of its
 * own and no option can turn a check off.
 */
public enum Requirement {
  /**
   * {@code verified} needs it to pass. It is skipped only when it cannot run (an earlier check
   * failed, or no root of trust exists for it); a skip then leaves the report at most
   * {@code partially_verified}.
   */
  REQUIRED,
  /**
   * Runs when what it needs is there (an audit log, a TLS key, a chip-specific certificate) and is
   * skipped, as not applicable, otherwise; a skip leaves the verdict as it is. Never for a check
   * whose skip leaves genuine hardware unestablished: TDX's collateral checks are
   * {@link #REQUIRED}.
   */
  WHEN_AVAILABLE,
  /**
   * Compares the evidence with a value the caller gives (the user data, a measurement, a bundle
   * hash, a minimum TCB) and is skipped when none is given. The caller's report names the missing
   * expectation: a claim's report as not established (then {@code partially_verified}, unless the
   * auditor accepted its absence), a raw evidence report as not given.
   */
  EXPECTATION
}
