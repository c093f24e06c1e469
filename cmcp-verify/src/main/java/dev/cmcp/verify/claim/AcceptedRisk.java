package dev.cmcp.verify.claim;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * An expectation the auditor chose not to give, said explicitly, so that a claim can still be
 * {@code verified} without it. Each one is printed in the report: a reader of the result sees
 * what was not checked.
 */
public enum AcceptedRisk {
  /** {@code --accept-any-bundle}: whatever policy bundle the claim names is accepted. */
  ANY_BUNDLE(CheckName.BUNDLE_HASH, "--accept-any-bundle", "--expected-bundle-hash", "any policy bundle would pass",
      "any policy bundle is accepted: the claim's bundle_hash was not compared with an approved one"),
  /** {@code --accept-any-measurement}: whatever code ran in the genuine TEE is accepted. */
  ANY_MEASUREMENT(CheckName.MEASUREMENT, "--accept-any-measurement", "--expected-measurement",
      "any code running in a genuine {platform} guest would pass",
      "any runtime measurement is accepted: any code running in a genuine TEE would pass");

  private final CheckName check;
  private final String option;
  private final String expectedOption;
  private final String wouldPass;
  private final String meaning;

  AcceptedRisk(CheckName check, String option, String expectedOption, String wouldPass, String meaning) {
    this.check = check;
    this.option = option;
    this.expectedOption = expectedOption;
    this.wouldPass = wouldPass;
    this.meaning = meaning;
  }

  /** The {@link dev.cmcp.verify.base.Requirement#EXPECTATION} check this risk waives. */
  public CheckName check() {
    return check;
  }

  /** The risk that waives this expectation check, or empty for a check that is no expectation. */
  static Optional<AcceptedRisk> waiving(CheckName check) {
    return Arrays.stream(values()).filter(risk -> risk.check == check).findFirst();
  }

  /**
   * What a claim's report says is not established when this expectation was neither given nor
   * accepted: {@code bundle_hash: no --expected-bundle-hash given, so any policy bundle would
   * pass (--accept-any-bundle says that is intended)}.
   *
   * @param platform the hardware platform whose guest would pass, for the measurement
   */
  String gap(String platform) {
    return check.label() + ": no " + expectedOption + " given, so " + wouldPass.replace("{platform}", platform)
        + " (" + option + " says that is intended)";
  }

  /** The command-line option that accepts it. */
  public String option() {
    return option;
  }

  /** {@code any_bundle}, as JSON reports name it. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** What the auditor accepted, in a sentence, with the option that said so. */
  public String describe() {
    return meaning + " (" + option + ")";
  }
}
