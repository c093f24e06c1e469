package dev.cmcp.verify.evidence.tdx;

import dev.cmcp.verify.VerificationReport.Status;

/** The status and reason of one check, before it is named in the report. */
record Outcome(Status status, String reason) {

  static Outcome pass(String reason) {
    return new Outcome(Status.PASS, reason);
  }

  static Outcome fail(String reason) {
    return new Outcome(Status.FAIL, reason);
  }

  static Outcome skip(String reason) {
    return new Outcome(Status.SKIP, reason);
  }

  boolean passed() {
    return status == Status.PASS;
  }
}
