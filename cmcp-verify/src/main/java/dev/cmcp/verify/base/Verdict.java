package dev.cmcp.verify.base;

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
   * made the claim), or an expectation was not given. Exit code 3: never read as success.
   */
  PARTIALLY_VERIFIED(3),
  /** A check failed. Exit code 1. */
  UNVERIFIED(1);

  private final int exitCode;

  Verdict(int exitCode) {
    this.exitCode = exitCode;
  }

  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** 0 verified, 3 partially verified, 1 unverified. */
  public int exitCode() {
    return exitCode;
  }
}
