package dev.cmcp.verify.base;

import java.util.List;
import java.util.Locale;

/** The overall result of verifying a claim or evidence, and the exit code the CLI gives for it. */
public enum Verdict {
  /**
   * Every check passed on hardware evidence, and the expected bundle hash and measurement were
   * given (or their absence accepted by name). Exit code 0, the only success.
   */
  VERIFIED(0),
  /**
   * No check failed, but something is not established: the evidence has no offline root of
   * trust (software, opaque, a TPM whose AK is not certified: then anyone's key could have
   * made the claim), a required check could not be made (a TDX quote without Intel's
   * collateral), or an expectation was not given. Exit code 3: never read as success.
   */
  PARTIALLY_VERIFIED(3),
  /** A check failed. Exit code 1. */
  UNVERIFIED(1);

  private final int exitCode;

  Verdict(int exitCode) {
    this.exitCode = exitCode;
  }

  /**
   * The one verdict rule, for a claim's report and every platform's report alike: {@code unverified}
   * when there is no check or a check failed; {@code partially_verified} when a
   * {@link Requirement#REQUIRED} check did not pass, or {@code notEstablished} names a gap (an
   * expectation the caller must give and did not); {@code verified} otherwise.
   *
   * @param notEstablished what the report's maker found missing besides the checks, one sentence each
   */
  public static Verdict of(List<? extends Check<?>> checks, List<String> notEstablished) {
    if (checks.isEmpty() || checks.stream().anyMatch(c -> c.status() == CheckStatus.FAIL)) {
      return UNVERIFIED;
    }
    if (!notEstablished.isEmpty() || checks.stream().anyMatch(Check::requiredAndNotPassed)) {
      return PARTIALLY_VERIFIED;
    }
    return VERIFIED;
  }

  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** 0 verified, 3 partially verified, 1 unverified. */
  public int exitCode() {
    return exitCode;
  }
}
