package dev.cmcp.verify.evidence.tdx;

import dev.cmcp.verify.base.Check;
import dev.cmcp.verify.base.Verdict;
import dev.cmcp.verify.evidence.EvidenceReport;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The outcome of checking one TDX quote: every named check with its status and reason, and the
 * TD's measurements (hex) when the quote could be parsed, typed. Its printed form, the one every
 * platform shares, is {@link #toEvidenceReport()}.
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

  /**
   * {@link Verdict#of} the checks: unverified when a check failed; partially verified when a
   * required one did not pass, as {@code pck_revocation}, {@code tcb_info}, {@code tcb_level} and
   * {@code qe_identity} do not without Intel's collateral (then a revoked or out-of-date platform
   * cannot be told from a current one).
   */
  public Verdict result() {
    return Verdict.of(checks, List.of());
  }

  /** True when no check failed: every check that could be made passed ({@link #result} is not unverified). */
  public boolean passed() {
    return result() != Verdict.UNVERIFIED;
  }

  /** 0 verified, 3 partially verified (a required check not made), 1 unverified. */
  public int exitCode() {
    return result().exitCode();
  }

  /**
   * This report in the shape shared by every platform's verifier, as claims and
   * {@code cmcp verify-evidence} print it: checks by label, the TD's fields as text
   * ({@code mrtd}, {@code rtmr0}..., {@code report_data}, ...).
   */
  public EvidenceReport<TdxCheck> toEvidenceReport() {
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
    return new EvidenceReport<>("tdx", checks, values);
  }
}
