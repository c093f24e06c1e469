package dev.cmcp.verify.evidence.tpm;

import dev.cmcp.verify.base.Check;
import dev.cmcp.verify.evidence.EvidenceReport;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What {@link TpmVerifier#verify} hands back: the {@link EvidenceReport} every platform reports in
 * (the checks, the verdict, the printed forms), and, for callers that need them typed, the quote's
 * fields, present when the quote could be parsed (whatever the checks say: read {@link #report}'s
 * result before relying on them). The report's {@code fields} are these fields as text, made here
 * from them, so the two cannot disagree.
 *
 * <p>{@link dev.cmcp.verify.base.Verdict#VERIFIED} needs every check to pass, {@code ak_trust}
 * included, which needs an enrolled AK and the anchors to check it with ({@link TpmTrust.Anchors}):
 * a quote whose other checks all pass but whose {@code ak_trust} is skipped is
 * {@code partially_verified}, like software evidence.
 */
public record TpmVerification(EvidenceReport<TpmCheck> report, Optional<QuoteFields> quote) {

  public TpmVerification {
    Objects.requireNonNull(report, "report");
    Objects.requireNonNull(quote, "quote");
  }

  /** The report of these checks, its fields read from {@code quote}. */
  static TpmVerification of(List<Check<TpmCheck>> checks, Optional<QuoteFields> quote) {
    return new TpmVerification(
        new EvidenceReport<>("tpm", checks, quote.map(QuoteFields::toMap).orElse(Map.of())), quote);
  }
}
