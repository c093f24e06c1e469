package dev.cmcp.verify.claim;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.verify.base.Check;
import dev.cmcp.verify.base.Report;
import dev.cmcp.verify.base.Verdict;
import dev.cmcp.verify.evidence.EvidenceReport;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The outcome of verifying one claim: every check by name with its status and reason, the
 * overall result, and what the result does not establish.
 *
 * <p>The result cannot be misread: {@code verified} (exit 0) only when every check passed on
 * hardware evidence AND the auditor gave the expected bundle hash and measurement (or accepted
 * their absence by name, {@link AcceptedRisk}). Anything short of that is
 * {@code partially_verified} (exit 3, never 0) with each gap listed in {@link #notEstablished},
 * or {@code unverified} (exit 1).
 *
 * @param platformEvidence what the platform's verifier reported on hardware evidence (each
 *     sub-check and the fields read), on which {@code evidence}, {@code binding} and
 *     {@code measurement} are based; empty for software, opaque or unreadable evidence
 * @param notEstablished what keeps a claim whose checks all passed from being {@code verified},
 *     one sentence each, naming the check and the missing expectation or root of trust
 * @param acceptedRisks the expectations the auditor said, explicitly, need not be given
 * @param verifiedClaim the claim's content, present only when the result is {@code verified} (and
 *     never for an attestation document, which covers no session)
 */
public record VerificationReport(
    List<Check<CheckName>> checks,
    Optional<EvidenceReport<?>> platformEvidence,
    List<String> notEstablished,
    List<AcceptedRisk> acceptedRisks,
    Optional<VerifiedClaim> verifiedClaim) implements Report<CheckName> {

  public VerificationReport {
    checks = List.copyOf(checks);
    Objects.requireNonNull(platformEvidence, "platformEvidence");
    notEstablished = List.copyOf(notEstablished);
    acceptedRisks = List.copyOf(acceptedRisks);
    Objects.requireNonNull(verifiedClaim, "verifiedClaim");
    if (verifiedClaim.isPresent() && Verdict.of(checks, notEstablished) != Verdict.VERIFIED) {
      throw new IllegalArgumentException("a claim's content is handed out only when it is verified");
    }
  }

  VerificationReport(List<Check<CheckName>> checks) {
    this(checks, Optional.empty(), List.of(), List.of(), Optional.empty());
  }

  /**
   * {@code {"result": ..., "exit_code": ..., "checks": [{"name", "status", "reason"}, ...]}}, and
   * for hardware evidence {@code "platform_evidence": {"platform", "checks": [...], "fields": {...}}},
   * then {@code "not_established": [...]} and {@code "accepted_risks": [{"risk", "reason"}, ...]}.
   */
  public ObjectNode toJson() {
    ObjectNode report = JsonNodeFactory.instance.objectNode();
    report.put("result", result().label());
    report.put("exit_code", exitCode());
    putChecks(report.putArray("checks"));
    platformEvidence.ifPresent(evidence -> {
      ObjectNode platform = report.putObject("platform_evidence");
      platform.put("platform", evidence.platform());
      evidence.putChecks(platform.putArray("checks"));
      ObjectNode fields = platform.putObject("fields");
      evidence.fields().forEach(fields::put);
    });
    ArrayNode gaps = report.putArray("not_established");
    notEstablished.forEach(gaps::add);
    ArrayNode risks = report.putArray("accepted_risks");
    acceptedRisks.forEach(risk -> risks.addObject().put("risk", risk.label()).put("reason", risk.describe()));
    return report;
  }

  /**
   * One line per check ({@code PASS signature  ...}), the platform verifier's checks indented
   * under {@code evidence}, then what is not established, the accepted risks, and the result.
   */
  public String toText() {
    StringBuilder text = new StringBuilder();
    for (Check<CheckName> check : checks) {
      text.append(Report.checkLine(check, "", 16));
      if (check.name() == CheckName.EVIDENCE) {
        platformEvidence.ifPresent(evidence -> evidence.checks().forEach(sub -> text.append(Report.checkLine(sub, "       ", 20))));
      }
    }
    notEstablished.forEach(gap -> text.append("NOT ESTABLISHED ").append(gap).append('\n'));
    acceptedRisks.forEach(risk -> text.append("ACCEPTED RISK   ").append(risk.describe()).append('\n'));
    return text.append("result: ").append(result().label()).append("\n").toString();
  }
}
