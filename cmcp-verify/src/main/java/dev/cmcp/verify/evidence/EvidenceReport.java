package dev.cmcp.verify.evidence;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.verify.base.Check;
import dev.cmcp.verify.base.CheckKind;
import dev.cmcp.verify.base.Report;
import dev.cmcp.verify.base.Verdict;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The outcome of verifying one piece of raw platform evidence (an SEV-SNP report, a TDX quote, a
 * TPM quote), the one shape every platform's verifier reports in: each check, named by that
 * platform's check enum ({@code SnpCheck}, {@code TdxCheck}, {@code TpmCheck}), with its status
 * and reason, in the order run; and the fields read from the evidence (measurements and user data
 * in lower-case hex, policy bits, TCB levels), in the order the evidence holds them.
 *
 * <p>The result is {@link Verdict#of} the checks ({@link Report}, the rule and printed form of
 * checks a claim's report shares): each
 * check name declares what its skip means ({@link dev.cmcp.verify.base.Requirement}), so a TPM
 * quote whose {@code ak_trust} is skipped is {@code partially_verified} here as everywhere.
 *
 * @param <C> the platform's check names
 * @param platform {@code sev-snp}, {@code tdx}, {@code tpm}, as claims name platforms
 * @param notGiven the expectations the caller did not give (the user data, the measurement), one
 *     sentence each: the report passes without them, and says what it therefore did not compare
 */
public record EvidenceReport<C extends Enum<C> & CheckKind>(
    String platform, List<Check<C>> checks, Map<String, String> fields, List<String> notGiven) implements Report<C> {

  public EvidenceReport {
    Objects.requireNonNull(platform, "platform");
    checks = List.copyOf(checks);
    fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
    notGiven = List.copyOf(notGiven);
  }

  public EvidenceReport(String platform, List<Check<C>> checks, Map<String, String> fields) {
    this(platform, checks, fields, List.of());
  }

  /** This report, listing these expectations as not given. */
  public EvidenceReport<C> withNotGiven(List<String> expectations) {
    return new EvidenceReport<>(platform, checks, fields, expectations);
  }

  /**
   * Always empty: raw evidence has no expectation it must be given ({@link #notGiven} lists those
   * not given, which leave the result as the checks make it), so the result is {@link Verdict#of}
   * the checks alone: unverified when one failed, partially verified when a required one did not pass.
   */
  @Override
  public List<String> notEstablished() {
    return List.of();
  }

  /** True when no check failed: every check ran and passed, or was skipped. */
  public boolean passed() {
    return result() != Verdict.UNVERIFIED;
  }

  /**
   * {@code {"platform", "result", "exit_code", "checks": [{"name", "status", "reason"}, ...],
   * "fields": {...}, "not_given": [...]}}
   */
  public ObjectNode toJson() {
    ObjectNode report = JsonNodeFactory.instance.objectNode();
    report.put("platform", platform);
    report.put("result", result().label());
    report.put("exit_code", exitCode());
    putChecks(report.putArray("checks"));
    ObjectNode values = report.putObject("fields");
    fields.forEach(values::put);
    ArrayNode missing = report.putArray("not_given");
    notGiven.forEach(missing::add);
    return report;
  }

  /** One line per check ({@code PASS vcek_signature  ...}), then the fields, then the result. */
  public String toText() {
    StringBuilder text = new StringBuilder();
    checks.forEach(check -> text.append(Report.checkLine(check, "", 16)));
    fields.forEach((name, value) -> text.append(String.format("  %-20s %s\n", name + ":", value)));
    notGiven.forEach(expectation -> text.append("NOT GIVEN ").append(expectation).append('\n'));
    return text.append("result: ").append(result().label()).append("\n").toString();
  }
}
