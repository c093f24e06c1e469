package dev.cmcp.verify;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.verify.evidence.EvidenceReport;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * The outcome of verifying one claim: every check by name with its status and reason, and the
 * overall result.
 *
 * @param platformEvidence what the platform's verifier reported on hardware evidence (each
 *     sub-check and the fields read), on which {@code evidence}, {@code binding} and
 *     {@code measurement} are based; empty for software, opaque or unreadable evidence
 */
public record VerificationReport(List<Check> checks, Result result, Optional<EvidenceReport> platformEvidence) {

  public VerificationReport {
    checks = List.copyOf(checks);
    Objects.requireNonNull(result, "result");
    Objects.requireNonNull(platformEvidence, "platformEvidence");
  }

  public VerificationReport(List<Check> checks, Result result) {
    this(checks, result, Optional.empty());
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

  /**
   * {@code {"result": ..., "exit_code": ..., "checks": [{"name", "status", "reason"}, ...]}}, and
   * for hardware evidence {@code "platform_evidence": {"platform", "checks": [...], "fields": {...}}}.
   */
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
    platformEvidence.ifPresent(evidence -> {
      ObjectNode platform = report.putObject("platform_evidence");
      platform.put("platform", evidence.platform());
      ArrayNode sub = platform.putArray("checks");
      for (EvidenceReport.Check check : evidence.checks()) {
        sub.addObject()
            .put("name", check.name())
            .put("status", check.status().label())
            .put("reason", check.reason());
      }
      ObjectNode fields = platform.putObject("fields");
      evidence.fields().forEach(fields::put);
    });
    return report;
  }

  /**
   * One line per check ({@code PASS signature  ...}), the platform verifier's checks indented
   * under {@code evidence}, then the result.
   */
  public String toText() {
    StringBuilder text = new StringBuilder();
    for (Check check : checks) {
      text.append(String.format("%-4s %-16s %s\n", check.status().name(), check.name().label(), check.reason()));
      if (check.name() == CheckName.EVIDENCE) {
        platformEvidence.ifPresent(evidence -> evidence.checks().forEach(sub -> text.append(
            String.format("       %-4s %-20s %s\n", sub.status().name(), sub.name(), sub.reason()))));
      }
    }
    return text.append("result: ").append(result.label()).append("\n").toString();
  }
}
