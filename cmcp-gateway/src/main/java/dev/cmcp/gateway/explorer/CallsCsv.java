package dev.cmcp.gateway.explorer;

import dev.cmcp.gateway.explorer.AuditArchive.Call;
import java.util.List;

/**
 * The filtered calls as CSV (RFC 4180), one row per call. A cell that a spreadsheet would take
 * for a formula ({@code =}, {@code +}, {@code -}, {@code @} first; tool names are chosen by
 * agents) gets a leading apostrophe, so opening the export runs nothing.
 */
final class CallsCsv {

  private static final String HEADER = "time,epoch,index,session_id,principal,tool,action,decision,enforced,cause,policies,reason,"
      + "redaction_count,redaction_paths,approval,outcome,request_id,trace_id\r\n";

  private CallsCsv() {}

  static String render(List<Call> calls) {
    StringBuilder csv = new StringBuilder(HEADER.length() + calls.size() * 200).append(HEADER);
    for (Call call : calls) {
      row(csv, call.time().toString(), call.epoch(), Long.toString(call.index()), call.sessionId(), call.principal(), call.tool(),
          call.action(), call.decision(), call.enforced(), call.cause().orElse(""), String.join(" ", call.policies()),
          call.reason().orElse(""), call.redactions().map(r -> Integer.toString(r.count())).orElse(""),
          call.redactions().map(r -> String.join(" ", r.paths())).orElse(""), call.approval().orElse(""),
          call.outcome().orElse(""), call.requestId().orElse(""), call.traceId().orElse(""));
    }
    return csv.toString();
  }

  private static void row(StringBuilder csv, String... cells) {
    for (int i = 0; i < cells.length; i++) {
      if (i > 0) {
        csv.append(',');
      }
      cell(csv, cells[i]);
    }
    csv.append("\r\n");
  }

  private static void cell(StringBuilder csv, String value) {
    String safe = !value.isEmpty() && "=+-@\t\r".indexOf(value.charAt(0)) >= 0 ? "'" + value : value;
    if (safe.indexOf(',') < 0 && safe.indexOf('"') < 0 && safe.indexOf('\n') < 0 && safe.indexOf('\r') < 0) {
      csv.append(safe);
      return;
    }
    csv.append('"').append(safe.replace("\"", "\"\"")).append('"');
  }
}
