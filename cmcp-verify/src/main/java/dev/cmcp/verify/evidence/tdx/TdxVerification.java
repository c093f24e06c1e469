package dev.cmcp.verify.evidence.tdx;

import dev.cmcp.verify.base.Check;
import dev.cmcp.verify.evidence.EvidenceReport;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What {@link TdxVerifier#verify} hands back: the {@link EvidenceReport} every platform reports in
 * (the checks, the verdict, the printed forms), and, for callers that need them typed, the TD's
 * fields, present when the quote could be parsed (whatever the checks say: read {@link #report}'s
 * result before relying on them). The report's {@code fields} are these fields as text, made here
 * from them, so the two cannot disagree.
 *
 * <p>The report is {@code partially_verified} when a required check did not pass, as
 * {@code pck_revocation}, {@code tcb_info}, {@code tcb_level} and {@code qe_identity} do not
 * without Intel's collateral (then a revoked or out-of-date platform cannot be told from a current
 * one).
 */
public record TdxVerification(EvidenceReport<TdxCheck> report, Optional<TdFields> td) {

  public TdxVerification {
    Objects.requireNonNull(report, "report");
    Objects.requireNonNull(td, "td");
  }

  /** The report of these checks, its fields read from {@code td}. */
  static TdxVerification of(List<Check<TdxCheck>> checks, Optional<TdFields> td) {
    return new TdxVerification(new EvidenceReport<>("tdx", checks, td.map(TdFields::toMap).orElse(Map.of())), td);
  }
}
