package dev.cmcp.verify.base;

import com.fasterxml.jackson.databind.node.ArrayNode;
import java.util.List;

/**
 * What every report is, a claim's ({@code VerificationReport}) and each platform's
 * ({@code EvidenceReport}): its checks, typed by the report's check names, and the gaps its maker
 * found besides them; from these the one verdict rule ({@link Verdict#of}) computes the result
 * and the exit code, never handed in. The checks print one way everywhere ({@link #putChecks},
 * {@link #checkLine}).
 *
 * @param <C> the report's check names
 */
public interface Report<C extends Enum<C> & CheckKind> {

  /** Every check, in the order run. */
  List<Check<C>> checks();

  /**
   * What keeps a report whose checks all pass from being {@code verified}, one sentence each,
   * naming the check and the missing expectation or root of trust; empty when nothing does.
   */
  List<String> notEstablished();

  /** {@link Verdict#of} the checks and what is not established: the one rule of every report. */
  default Verdict result() {
    return Verdict.of(checks(), notEstablished());
  }

  /** 0 verified, 3 partially verified, 1 unverified. */
  default int exitCode() {
    return result().exitCode();
  }

  /**
   * The check of that name; named by {@link CheckKind}, so that a report held as {@code Report<?>}
   * (a claim's platform report, of any platform) can be asked.
   *
   * @throws IllegalArgumentException when this report has no check of that name
   */
  default Check<C> check(CheckKind name) {
    return checks().stream()
        .filter(c -> c.name() == name)
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no check " + name.label() + " in this report"));
  }

  /** Adds each check to {@code list} as {@code {"name", "status", "reason"}}, in order. */
  default void putChecks(ArrayNode list) {
    for (Check<C> check : checks()) {
      list.addObject()
          .put("name", check.label())
          .put("status", check.status().label())
          .put("reason", check.reason());
    }
  }

  /**
   * One check as a line of text: {@code indent}, the status in 4 columns, the name in
   * {@code nameWidth} columns, the reason ({@code PASS vcek_signature   ...}).
   */
  static String checkLine(Check<?> check, String indent, int nameWidth) {
    return indent + padded(check.status().name(), 4) + " " + padded(check.label(), nameWidth) + " " + check.reason() + "\n";
  }

  private static String padded(String text, int width) {
    return text.length() >= width ? text : text + " ".repeat(width - text.length());
  }
}
