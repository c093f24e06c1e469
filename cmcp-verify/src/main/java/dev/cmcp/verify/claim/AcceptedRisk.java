package dev.cmcp.verify.claim;

import java.util.Locale;

/**
 * An expectation the auditor chose not to give, said explicitly, so that a claim can still be
 * {@code verified} without it. Each one is printed in the report: a reader of the result sees
 * what was not checked.
 */
public enum AcceptedRisk {
  /** {@code --accept-any-bundle}: whatever policy bundle the claim names is accepted. */
  ANY_BUNDLE("--accept-any-bundle", "any policy bundle is accepted: the claim's bundle_hash was not compared with an approved one"),
  /** {@code --accept-any-measurement}: whatever code ran in the genuine TEE is accepted. */
  ANY_MEASUREMENT("--accept-any-measurement",
      "any runtime measurement is accepted: any code running in a genuine TEE would pass");

  private final String option;
  private final String meaning;

  AcceptedRisk(String option, String meaning) {
    this.option = option;
    this.meaning = meaning;
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
