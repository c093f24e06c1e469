package dev.cmcp.verify;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Locale;

/**
 * The outcome of verifying one claim: every check by name with its status and reason, and the
 * overall result.
 */
public record VerificationReport(List<Check> checks, Result result) {

  public VerificationReport {
    checks = List.copyOf(checks);
  }

  public enum Status {
    PASS,
    FAIL,
    /** Not requested (no expectation given), or not possible because another check failed. */
    SKIP;

    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  public enum Result {
    /** Every check passed on hardware evidence. */
    VERIFIED,
    /** Every check passed except that the evidence is software: no hardware root of trust. */
    PARTIALLY_VERIFIED,
    /** A check failed. */
    UNVERIFIED;

    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  public record Check(CheckName name, Status status, String reason) {
    static Check pass(CheckName name, String reason) {
      return new Check(name, Status.PASS, reason);
    }

    static Check fail(CheckName name, String reason) {
      return new Check(name, Status.FAIL, reason);
    }

    static Check skip(CheckName name, String reason) {
      return new Check(name, Status.SKIP, reason);
    }
  }

  public Check check(CheckName name) {
    return checks.stream()
        .filter(c -> c.name() == name)
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no check " + name.label() + " in this report"));
  }

  /** 0 when no check failed (every requested check passed), 1 otherwise. */
  public int exitCode() {
    return checks.stream().anyMatch(c -> c.status() == Status.FAIL) ? 1 : 0;
  }

  /** {@code {"result": ..., "exit_code": ..., "checks": [{"name", "status", "reason"}, ...]}} */
  public ObjectNode toJson() {
    ObjectNode report = JsonNodeFactory.instance.objectNode();
    report.put("result", result.label());
    report.put("exit_code", exitCode());
    ArrayNode list = report.putArray("checks");
    for (Check check : checks) {
      list.addObject()
          .put("name", check.name().label())
          .put("status", check.status().label())
          .put("reason", check.reason());
    }
    return report;
  }

  /** One line per check ({@code PASS signature  ...}), then the result. */
  public String toText() {
    StringBuilder text = new StringBuilder();
    for (Check check : checks) {
      text.append(String.format("%-4s %-16s %s\n", check.status().name(), check.name().label(), check.reason()));
    }
    return text.append("result: ").append(result.label()).append("\n").toString();
  }
}
