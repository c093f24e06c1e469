package dev.cmcp.verify.evidence.tdx;

import dev.cmcp.verify.base.CheckStatus;

/** The status and reason of one check, before it is named in the report. */
record Outcome(CheckStatus status, String reason) {

  static Outcome pass(String reason) {
    return new Outcome(CheckStatus.PASS, reason);
  }

  static Outcome fail(String reason) {
    return new Outcome(CheckStatus.FAIL, reason);
  }

  static Outcome skip(String reason) {
    return new Outcome(CheckStatus.SKIP, reason);
  }

  boolean passed() {
    return status == CheckStatus.PASS;
  }
}
