package dev.cmcp.gateway.explorer;

import dev.cmcp.gateway.explorer.AuditArchive.Call;
import dev.cmcp.gateway.explorer.AuditArchive.ClaimStatus;
import dev.cmcp.gateway.explorer.AuditArchive.Epoch;
import dev.cmcp.verify.base.Verdict;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * The explorer's one page, rendered on the server as plain HTML with inline CSS and an inline SVG
 * chart: no script, no font or file from elsewhere, so it works offline and a value from the log
 * can never run as code (every one is escaped, and the page's Content-Security-Policy allows no
 * script at all). Filters are a plain GET form; the CSV export takes the same query.
 */
final class ExplorerPage {

  /** Rows beyond this are left off the page (the CSV has them all): a browser stays usable. */
  static final int MAX_ROWS = 2_000;
  private static final int CHART_BUCKETS = 24;
  private static final int CHART_WIDTH = 720;
  private static final int CHART_HEIGHT = 160;
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC);
  private static final String STYLE = """
      body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#1f2328}
      h1{font-size:1.5em;margin:0}h2{font-size:1.2em;margin-top:1.5em}h3{font-size:1em;margin:1em 0 .3em}
      .sub{color:#59636e;margin:.2em 0 1em}
      table{border-collapse:collapse;margin:.3em 0}th,td{border:1px solid #d1d9e0;padding:.25em .5em;text-align:left;vertical-align:top}
      th{background:#f6f8fa}
      .ok{background:#dafbe1;color:#116329}.partial{background:#fff8c5;color:#7d4e00}.bad{background:#ffebe9;color:#a40e26;font-weight:600}
      td.deny{color:#a40e26;font-weight:600}td.redact{color:#7d4e00;font-weight:600}td.allow{color:#116329}
      form{display:flex;gap:.8em;flex-wrap:wrap;align-items:end}label{display:flex;flex-direction:column;font-size:.9em}
      .note{color:#59636e}code{font-size:.9em}
      """;

  private ExplorerPage() {}

  static String render(AuditArchive archive, CallFilter filter, String auditDir, Instant readAt) {
    List<Call> calls = filter.apply(archive.calls());
    StringBuilder html = new StringBuilder(64 * 1024);
    html.append("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>cMCP audit explorer</title><style>")
        .append(STYLE).append("</style></head><body>\n");
    html.append("<h1>cMCP audit explorer</h1><p class=\"sub\">").append(escape(auditDir)).append(" · read ")
        .append(TIME.format(readAt)).append(" UTC · read-only</p>\n");
    epochs(html, archive.epochs());
    claims(html, archive.claims());
    form(html, archive, filter);
    chart(html, calls);
    timeline(html, calls);
    return html.append("</body></html>\n").toString();
  }

  private static void epochs(StringBuilder html, List<Epoch> epochs) {
    html.append("<section id=\"epochs\"><h2>Epochs: audit chain</h2>\n");
    if (epochs.isEmpty()) {
      html.append("<p class=\"note\">No audit-*.jsonl file in this folder.</p></section>\n");
      return;
    }
    html.append("<table><tr><th>epoch</th><th>file</th><th>entries</th><th>chain</th></tr>\n");
    for (Epoch epoch : epochs) {
      String status = epoch.broken().map(broken -> "broken: audit_chain: " + broken.describe()).orElse("intact");
      if (epoch.unreadableLines() > 0) {
        status += " (" + epoch.unreadableLines() + " lines not JSON, not shown)";
      }
      html.append("<tr class=\"epoch\" data-epoch=\"").append(escape(epoch.epoch())).append("\"><td>").append(escape(epoch.epoch()))
          .append("</td><td><code>").append(escape(epoch.file())).append("</code></td><td>").append(epoch.entries())
          .append("</td><td class=\"chain ").append(epoch.intact() ? "ok" : "bad").append("\">").append(escape(status))
          .append("</td></tr>\n");
    }
    html.append("</table></section>\n");
  }

  private static void claims(StringBuilder html, List<ClaimStatus> claims) {
    html.append("<section id=\"claims\"><h2>Claims</h2>\n");
    if (claims.isEmpty()) {
      html.append("<p class=\"note\">No claim files.</p></section>\n");
      return;
    }
    html.append("<table><tr><th>claim</th><th>session</th><th>epoch</th><th>result</th><th>failing check</th></tr>\n");
    for (ClaimStatus claim : claims) {
      String result = claim.result().map(Verdict::label).orElse("unreadable");
      String colour = claim.result().map(r -> switch (r) {
        case VERIFIED -> "ok";
        case PARTIALLY_VERIFIED -> "partial";
        case UNVERIFIED -> "bad";
      }).orElse("bad");
      String why = claim.failed().map(check -> check.name().label() + ": " + check.reason()).orElse("");
      if (claim.problem().isPresent()) {
        why = why.isEmpty() ? claim.problem().get() : why + "; " + claim.problem().get();
      }
      html.append("<tr class=\"claim\"><td><code>").append(escape(claim.file())).append("</code></td><td>")
          .append(escape(claim.sessionId())).append("</td><td>").append(escape(claim.epoch())).append("</td><td class=\"result ")
          .append(colour).append("\">").append(escape(result)).append("</td><td class=\"why\">").append(escape(why))
          .append("</td></tr>\n");
    }
    html.append("</table><p class=\"note\">Each claim is verified as of its issue time, against its epoch's file here; "
        + "software evidence counts as partially verified. Run <code>cmcp verify</code> with the expected bundle hash and "
        + "measurement for an auditor's verdict.</p></section>\n");
  }

  private static void form(StringBuilder html, AuditArchive archive, CallFilter filter) {
    TreeSet<String> principals = new TreeSet<>();
    TreeSet<String> tools = new TreeSet<>();
    archive.calls().forEach(call -> {
      principals.add(call.principal());
      tools.add(call.tool());
    });
    html.append("<section id=\"filters\"><h2>Calls</h2><form method=\"get\" action=\"/\">");
    select(html, "principal", principals, filter.principal().orElse(""));
    select(html, "tool", tools, filter.tool().orElse(""));
    select(html, "decision", List.of("allow", "redact", "deny"), filter.decision().orElse(""));
    html.append("<label>from (UTC)<input type=\"datetime-local\" step=\"1\" name=\"from\" value=\"")
        .append(escape(filter.fromText())).append("\"></label>");
    html.append("<label>to (UTC)<input type=\"datetime-local\" step=\"1\" name=\"to\" value=\"")
        .append(escape(filter.toText())).append("\"></label>");
    html.append("<button type=\"submit\">Filter</button> <a id=\"csv\" href=\"/calls.csv").append(escape(filter.query()))
        .append("\">Export CSV</a> <a href=\"/\">Clear</a></form></section>\n");
  }

  private static void select(StringBuilder html, String name, Iterable<String> values, String chosen) {
    html.append("<label>").append(name).append("<select name=\"").append(name).append("\"><option value=\"\">(all)</option>");
    for (String value : values) {
      html.append("<option").append(value.equals(chosen) ? " selected" : "").append(" value=\"").append(escape(value)).append("\">")
          .append(escape(value)).append("</option>");
    }
    html.append("</select></label>");
  }

  /** Calls and denials over time: one bar per slice of the shown calls' time range. */
  private static void chart(StringBuilder html, List<Call> calls) {
    html.append("<section id=\"chart\"><h3>Calls and denials over time</h3>\n");
    if (calls.isEmpty()) {
      html.append("<p class=\"note\">No calls match.</p></section>\n");
      return;
    }
    Instant first = calls.getFirst().time();
    Instant last = calls.getLast().time();
    long span = Math.max(1, Duration.between(first, last).toMillis() + 1);
    int[] all = new int[CHART_BUCKETS];
    int[] denied = new int[CHART_BUCKETS];
    for (Call call : calls) {
      int bucket = (int) Math.min(CHART_BUCKETS - 1, Duration.between(first, call.time()).toMillis() * CHART_BUCKETS / span);
      all[bucket]++;
      if (call.denied()) {
        denied[bucket]++;
      }
    }
    int highest = 1;
    for (int count : all) {
      highest = Math.max(highest, count);
    }
    int plot = CHART_HEIGHT - 30;
    double width = (CHART_WIDTH - 40) / (double) CHART_BUCKETS;
    html.append("<svg role=\"img\" width=\"").append(CHART_WIDTH).append("\" height=\"")
        .append(CHART_HEIGHT).append("\" viewBox=\"0 0 ").append(CHART_WIDTH).append(' ').append(CHART_HEIGHT)
        .append("\"><title>Calls and denials over time</title>");
    html.append("<text x=\"0\" y=\"12\" font-size=\"11\">").append(highest).append("</text>");
    html.append("<line x1=\"36\" y1=\"").append(plot).append("\" x2=\"").append(CHART_WIDTH).append("\" y2=\"").append(plot)
        .append("\" stroke=\"#8c959f\"/>");
    for (int i = 0; i < CHART_BUCKETS; i++) {
      double x = 40 + i * width;
      bar(html, "calls", x, width, all[i], highest, plot, "#8c959f", all[i] + " calls");
      bar(html, "denials", x, width, denied[i], highest, plot, "#cf222e", denied[i] + " denied");
    }
    html.append("<text x=\"40\" y=\"").append(CHART_HEIGHT - 12).append("\" font-size=\"11\">").append(TIME.format(first))
        .append("</text><text x=\"").append(CHART_WIDTH).append("\" y=\"").append(CHART_HEIGHT - 12)
        .append("\" font-size=\"11\" text-anchor=\"end\">").append(TIME.format(last)).append("</text>");
    html.append("</svg><p class=\"note\"><span style=\"color:#8c959f\">■</span> calls "
        + "<span style=\"color:#cf222e\">■</span> denials (UTC)</p></section>\n");
  }

  private static void bar(StringBuilder html, String kind, double x, double width, int count, int highest, int plot, String fill,
      String title) {
    if (count == 0) {
      return;
    }
    double height = (plot - 18) * (count / (double) highest);
    html.append(String.format(Locale.ROOT, "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">",
        kind, x, plot - height, Math.max(1, width - 2), height, fill)).append("<title>").append(title).append("</title></rect>");
  }

  /** The calls, session by session in the order each session began. */
  private static void timeline(StringBuilder html, List<Call> calls) {
    html.append("<section id=\"timeline\"><h3>Timeline: ").append(calls.size()).append(calls.size() == 1 ? " call" : " calls");
    if (calls.size() > MAX_ROWS) {
      html.append(", the first ").append(MAX_ROWS).append(" shown (narrow the filters, or export CSV for all)");
    }
    html.append("</h3>\n");
    Map<String, List<Call>> bySession = new LinkedHashMap<>();
    calls.stream().limit(MAX_ROWS).forEach(call ->
        bySession.computeIfAbsent(call.epoch() + "\n" + call.sessionId(), key -> new java.util.ArrayList<>()).add(call));
    for (List<Call> session : bySession.values()) {
      Call first = session.getFirst();
      html.append("<h3 class=\"session\">session <code>").append(escape(first.sessionId())).append("</code> · principal ")
          .append(escape(first.principal())).append(" · epoch ").append(escape(first.epoch())).append(" · ").append(session.size())
          .append(session.size() == 1 ? " call" : " calls").append("</h3>\n");
      html.append("<table><tr><th>time (UTC)</th><th>principal</th><th>tool</th><th>action</th><th>decision</th><th>enforced</th>"
          + "<th>policies</th><th>reason</th><th>redactions</th><th>approval</th><th>outcome</th><th>request / trace</th></tr>\n");
      for (Call call : session) {
        String reason = call.reason().map(r -> call.cause().map(c -> c + ": " + r).orElse(r)).orElse(call.cause().orElse(""));
        String redactions = call.redactions().map(r -> r.count() + (r.paths().isEmpty() ? "" : " at " + String.join(", ", r.paths())))
            .orElse("");
        html.append("<tr class=\"call\" data-decision=\"").append(escape(call.decision())).append("\" data-tool=\"")
            .append(escape(call.tool())).append("\"><td>").append(TIME.format(call.time())).append("</td><td>")
            .append(escape(call.principal())).append("</td><td>").append(escape(call.tool())).append("</td><td>")
            .append(escape(call.action())).append("</td><td class=\"decision ").append(escape(call.decision())).append("\">")
            .append(escape(call.decision())).append("</td><td>").append(escape(call.enforced())).append("</td><td>")
            .append(escape(String.join(", ", call.policies()))).append("</td><td class=\"reason\">").append(escape(reason))
            .append("</td><td class=\"redactions\">").append(escape(redactions)).append("</td><td>")
            .append(escape(call.approval().orElse(""))).append("</td><td class=\"outcome\">")
            .append(escape(call.outcome().orElse(call.enforced().equals("blocked") ? "" : "(none recorded)")))
            .append("</td><td><code>").append(escape(call.requestId().orElse(""))).append("</code><br><code>")
            .append(escape(call.traceId().orElse(""))).append("</code></td></tr>\n");
      }
      html.append("</table>\n");
    }
    html.append("</section>\n");
  }

  /** Text as HTML text or attribute value. */
  static String escape(String text) {
    StringBuilder out = new StringBuilder(text.length() + 16);
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '&' -> out.append("&amp;");
        case '<' -> out.append("&lt;");
        case '>' -> out.append("&gt;");
        case '"' -> out.append("&quot;");
        case '\'' -> out.append("&#39;");
        default -> out.append(c);
      }
    }
    return out.toString();
  }
}
