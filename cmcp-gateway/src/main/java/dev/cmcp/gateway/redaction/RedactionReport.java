package dev.cmcp.gateway.redaction;

import dev.cmcp.verify.audit.AuditRecord;
import java.util.List;

/**
 * What a redaction replaced, without a single replaced value: safe for the audit log.
 *
 * @param count how many values (field values and pattern matches) became {@code "[REDACTED]"}
 * @param paths where, in the answer's result, in order of first occurrence and without repeats,
 *     at most {@link ResponseRedactor#MAX_PATHS}; text that held matches is named once however
 *     many it held ({@code content[0].text})
 * @param pathsTruncated whether more places were redacted than {@code paths} lists
 */
public record RedactionReport(int count, List<String> paths, boolean pathsTruncated) {
  public RedactionReport {
    paths = List.copyOf(paths);
  }

  /** As the audit log's outcome entry records it ({@code redactions}). */
  public AuditRecord.Redactions toAudit() {
    return new AuditRecord.Redactions(count, paths, pathsTruncated);
  }
}
