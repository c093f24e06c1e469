package dev.cmcp.verify.evidence.tdx;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.verify.base.Check;
import dev.cmcp.verify.base.CheckStatus;
import dev.cmcp.verify.evidence.EvidenceReport;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The outcome of checking one TDX quote: every named check with its status and reason, and the
 * TD's measurements (hex) when the quote could be parsed.
 */
public record TdxReport(List<Check<TdxCheck>> checks, Optional<TdFields> fields) {

  public TdxReport {
    checks = List.copyOf(checks);
  }

  /**
   * The TD report body's fields, lower-case hex. {@code tdAttributes}, {@code xfam} and
   * {@code teeTcbSvn} are the raw little-endian bytes as the quote carries them.
   */
  public record TdFields(
      String teeTcbSvn,
      String mrSeam,
      String mrSignerSeam,
      String seamAttributes,
      String tdAttributes,
      String xfam,
      String mrTd,
      String mrConfigId,
      String mrOwner,
      String mrOwnerConfig,
      List<String> rtmrs,
      String reportData,
      boolean debug) {

    public TdFields {
      rtmrs = List.copyOf(rtmrs);
    }
  }

  public Check<TdxCheck> check(TdxCheck name) {
    return checks.stream()
        .filter(c -> c.name() == name)
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no check " + name.label() + " in this report"));
  }

  /** True when no check failed: every check that could be made passed. */
  public boolean passed() {
    return checks.stream().noneMatch(c -> c.status() == CheckStatus.FAIL);
  }

  /** 0 when no check failed, 1 otherwise. */
  public int exitCode() {
    return passed() ? 0 : 1;
  }

  /**
   * This report in the shape shared by every platform's verifier, as claims and
   * {@code cmcp verify-evidence} print it: checks by label, the TD's fields as text
   * ({@code mrtd}, {@code rtmr0}..., {@code report_data}, ...).
   */
  public EvidenceReport toEvidenceReport() {
    List<EvidenceReport.Check> named = checks.stream()
        .map(c -> new EvidenceReport.Check(c.name().label(), c.status(), c.reason()))
        .toList();
    Map<String, String> values = new LinkedHashMap<>();
    fields.ifPresent(f -> {
      values.put("mrtd", f.mrTd());
      for (int i = 0; i < f.rtmrs().size(); i++) {
        values.put("rtmr" + i, f.rtmrs().get(i));
      }
      values.put("report_data", f.reportData());
      values.put("td_attributes", f.tdAttributes());
      values.put("debug", Boolean.toString(f.debug()));
      values.put("tee_tcb_svn", f.teeTcbSvn());
      values.put("xfam", f.xfam());
      values.put("mrseam", f.mrSeam());
      values.put("mrsignerseam", f.mrSignerSeam());
      values.put("seam_attributes", f.seamAttributes());
      values.put("mrconfigid", f.mrConfigId());
      values.put("mrowner", f.mrOwner());
      values.put("mrownerconfig", f.mrOwnerConfig());
    });
    return new EvidenceReport("tdx", named, values);
  }

  /** {@code {"platform": "tdx", "passed", "exit_code", "checks": [...], "td_report": {...}}} */
  public ObjectNode toJson() {
    ObjectNode report = JsonNodeFactory.instance.objectNode();
    report.put("platform", "tdx");
    report.put("passed", passed());
    report.put("exit_code", exitCode());
    ArrayNode list = report.putArray("checks");
    for (Check<TdxCheck> check : checks) {
      list.addObject()
          .put("name", check.name().label())
          .put("status", check.status().label())
          .put("reason", check.reason());
    }
    fields.ifPresent(f -> {
      ObjectNode td = report.putObject("td_report");
      td.put("mrtd", f.mrTd());
      for (int i = 0; i < f.rtmrs().size(); i++) {
        td.put("rtmr" + i, f.rtmrs().get(i));
      }
      td.put("report_data", f.reportData());
      td.put("td_attributes", f.tdAttributes());
      td.put("debug", f.debug());
      td.put("tee_tcb_svn", f.teeTcbSvn());
      td.put("xfam", f.xfam());
      td.put("mrseam", f.mrSeam());
      td.put("mrsignerseam", f.mrSignerSeam());
      td.put("seam_attributes", f.seamAttributes());
      td.put("mrconfigid", f.mrConfigId());
      td.put("mrowner", f.mrOwner());
      td.put("mrownerconfig", f.mrOwnerConfig());
    });
    return report;
  }

  /** One line per check ({@code PASS quote_signature  ...}), then the TD's measurements. */
  public String toText() {
    StringBuilder text = new StringBuilder();
    for (Check<TdxCheck> check : checks) {
      text.append(String.format("%-4s %-20s %s\n", check.status().name(), check.name().label(), check.reason()));
    }
    fields.ifPresent(f -> {
      text.append("mrtd:          ").append(f.mrTd()).append('\n');
      for (int i = 0; i < f.rtmrs().size(); i++) {
        text.append("rtmr").append(i).append(":         ").append(f.rtmrs().get(i)).append('\n');
      }
      text.append("report_data:   ").append(f.reportData()).append('\n');
      text.append("td_attributes: ").append(f.tdAttributes()).append(f.debug() ? " (DEBUG)" : "").append('\n');
      text.append("tee_tcb_svn:   ").append(f.teeTcbSvn()).append('\n');
    });
    return text.append("result: ").append(passed() ? "passed" : "failed").append('\n').toString();
  }
}
