package dev.cmcp.verify.base;

import java.util.Objects;

/**
 * One named check of a verification and how it ended: the one check type of a claim's report and
 * of each platform's report, typed by that report's check names ({@code CheckName},
 * {@code SnpCheck}, {@code TdxCheck}, {@code TpmCheck}), so that a report cannot hold another
 * platform's check.
 *
 * @param <C> the report's check names, an enum in the order the report runs them
 */
public record Check<C extends Enum<C> & CheckKind>(C name, CheckStatus status, String reason) {

  public Check {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(reason, "reason");
  }

  public static <C extends Enum<C> & CheckKind> Check<C> pass(C name, String reason) {
    return new Check<>(name, CheckStatus.PASS, reason);
  }

  public static <C extends Enum<C> & CheckKind> Check<C> fail(C name, String reason) {
    return new Check<>(name, CheckStatus.FAIL, reason);
  }

  public static <C extends Enum<C> & CheckKind> Check<C> skip(C name, String reason) {
    return new Check<>(name, CheckStatus.SKIP, reason);
  }

  /** {@code vcek_signature}, as reports print a check's name. */
  public String label() {
    return name.label();
  }

  /** True when this check is {@link Requirement#REQUIRED} and did not pass. */
  boolean requiredAndNotPassed() {
    return status != CheckStatus.PASS && name.requirement() == Requirement.REQUIRED;
  }
}
