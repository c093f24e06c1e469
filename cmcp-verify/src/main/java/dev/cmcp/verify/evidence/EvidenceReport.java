package dev.cmcp.verify.evidence;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.verify.base.CheckStatus;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The outcome of verifying one piece of raw platform evidence (an SEV-SNP report, a TDX quote):
 * each named check with its status and reason, in the order run, and the fields read from the
 * evidence (measurements and user data in lower-case hex, policy bits, TCB levels), in the
 * order the evidence holds them.
 *
 * @param platform {@code sev-snp}, {@code tdx}, ... as claims name platforms
 * @param notGiven the expectations the caller did not give (the user data, the measurement), one
 *     sentence each: the report passes without them, and says what it therefore did not compare
 */
public record EvidenceReport(String platform, List<Check> checks, Map<String, String> fields, List<String> notGiven) {

  public EvidenceReport {
    Objects.requireNonNull(platform, "platform");
    checks = List.copyOf(checks);
    fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
    notGiven = List.copyOf(notGiven);
  }

  public EvidenceReport(String platform, List<Check> checks, Map<String, String> fields) {
    this(platform, checks, fields, List.of());
  }

  /** This report, listing these expectations as not given. */
  public EvidenceReport withNotGiven(List<String> expectations) {
    return new EvidenceReport(platform, checks, fields, expectations);
  }

  public record Check(String name, CheckStatus status, String reason) {
    public Check {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(status, "status");
      Objects.requireNonNull(reason, "reason");
    }
  }

  /** True when no check failed: every check ran and passed, or was skipped as not requested. */
  public boolean passed() {
    return !checks.isEmpty() && checks.stream().noneMatch(c -> c.status() == CheckStatus.FAIL);
  }

  /** 0 when {@link #passed()}, 1 otherwise. */
  public int exitCode() {
    return passed() ? 0 : 1;
  }

  public Check check(String name) {
    return checks.stream()
        .filter(c -> c.name().equals(name))
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no check " + name + " in this report"));
  }

  /**
   * {@code {"platform", "result": "verified"|"unverified", "exit_code", "checks": [{"name",
   * "status", "reason"}, ...], "fields": {...}, "not_given": [...]}}
   */
  public ObjectNode toJson() {
    ObjectNode report = JsonNodeFactory.instance.objectNode();
    report.put("platform", platform);
    report.put("result", result());
    report.put("exit_code", exitCode());
    ArrayNode list = report.putArray("checks");
    for (Check check : checks) {
      list.addObject()
          .put("name", check.name())
          .put("status", check.status().label())
          .put("reason", check.reason());
    }
    ObjectNode values = report.putObject("fields");
    fields.forEach(values::put);
    ArrayNode missing = report.putArray("not_given");
    notGiven.forEach(missing::add);
    return report;
  }

  /** One line per check ({@code PASS vcek_signature  ...}), then the fields, then the result. */
  public String toText() {
    StringBuilder text = new StringBuilder();
    for (Check check : checks) {
      text.append(String.format("%-4s %-16s %s\n", check.status().name(), check.name(), check.reason()));
    }
    fields.forEach((name, value) -> text.append(String.format("  %-20s %s\n", name + ":", value)));
    notGiven.forEach(expectation -> text.append("NOT GIVEN ").append(expectation).append('\n'));
    return text.append("result: ").append(result()).append("\n").toString();
  }

  private String result() {
    return passed() ? "verified" : "unverified";
  }
}
