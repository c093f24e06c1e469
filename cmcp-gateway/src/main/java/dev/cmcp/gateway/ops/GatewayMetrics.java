package dev.cmcp.gateway.ops;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * The gateway's counters and histograms, rendered in the Prometheus text format 0.0.4. Labels
 * carry only catalog tool names, decision words and the mode, never argument or result values,
 * and a tool outside the catalog is counted as {@code unsanctioned} so that an agent cannot grow
 * the label set. A tool a reloaded catalog adds gets its own label from its first call; a tool
 * it removes keeps its label and counts until restart, since counters never go back.
 */
public final class GatewayMetrics {

  static final String UNSANCTIONED = "unsanctioned";

  private final String mode;
  private final Map<String, Map<String, LongAdder>> callsByToolAndDecision = new ConcurrentHashMap<>();
  private final Histogram policyEvaluation =
      new Histogram("cmcp_policy_evaluation_seconds", "Time to evaluate the Cedar policy for one request.", Histogram.SECONDS);
  private final Histogram upstream =
      new Histogram("cmcp_upstream_seconds", "Time from forwarding a request to its upstream's answer.", Histogram.SECONDS);
  private final Histogram auditFsync =
      new Histogram("cmcp_audit_fsync_seconds", "Time of one group-commit fsync of the audit log.", Histogram.SECONDS);
  private final Histogram auditBatch = new Histogram(
      "cmcp_audit_fsync_batch_entries", "Audit entries made durable by one fsync.", new double[] {1, 2, 4, 8, 16, 32, 64, 128, 256});
  private final Supplier<Instant> evidenceProducedAt;
  private final Supplier<Map<String, Long>> upstreamRestarts;
  private final Clock clock;

  /**
   * @param catalogTools the tool names of the catalog at start, shown from the start with no calls
   * @param mode the enforcement mode's config name
   * @param evidenceProducedAt when the evidence served now was produced, without renewing it
   */
  public GatewayMetrics(Set<String> catalogTools, String mode, Supplier<Instant> evidenceProducedAt, Clock clock) {
    this(catalogTools, mode, evidenceProducedAt, Map::of, clock);
  }

  /**
   * @param upstreamRestarts for each stdio server of the catalog, how often it was started again
   *     (read when rendering, e.g. {@code Upstreams::restarts})
   */
  public GatewayMetrics(
      Set<String> catalogTools, String mode, Supplier<Instant> evidenceProducedAt, Supplier<Map<String, Long>> upstreamRestarts,
      Clock clock) {
    this.mode = mode;
    this.upstreamRestarts = upstreamRestarts;
    for (String tool : catalogTools) {
      callsByToolAndDecision.put(tool, new ConcurrentHashMap<>());
    }
    callsByToolAndDecision.put(UNSANCTIONED, new ConcurrentHashMap<>());
    this.evidenceProducedAt = evidenceProducedAt;
    this.clock = clock;
  }

  /**
   * One decided {@code tools/call}.
   *
   * @param inCatalog whether the catalog that decided the call approves the tool
   * @param decision the decision's word (allow, deny, ...)
   */
  public void toolCallDecided(String tool, boolean inCatalog, String decision) {
    Map<String, LongAdder> byDecision = inCatalog
        ? callsByToolAndDecision.computeIfAbsent(tool, name -> new ConcurrentHashMap<>())
        : callsByToolAndDecision.get(UNSANCTIONED);
    byDecision.computeIfAbsent(decision, word -> new LongAdder()).increment();
  }

  public void policyEvaluated(long nanos) {
    policyEvaluation.observeNanos(nanos);
  }

  public void upstreamAnswered(long nanos) {
    upstream.observeNanos(nanos);
  }

  /** One group-commit fsync of the audit log; fits {@code AuditLog.SyncObserver}. */
  public void auditSynced(long nanos, long entries) {
    auditFsync.observeNanos(nanos);
    auditBatch.observe((double) entries);
  }

  /** The exposition, for {@code GET /metrics}. */
  public String render() {
    StringBuilder out = new StringBuilder(4096);
    out.append("# HELP cmcp_calls_total Decided tools/call requests, by tool, decision and enforcement mode.\n");
    out.append("# TYPE cmcp_calls_total counter\n");
    callsByToolAndDecision.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(tool ->
        tool.getValue().entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(decision ->
            out.append("cmcp_calls_total{tool=\"").append(escape(tool.getKey()))
                .append("\",decision=\"").append(escape(decision.getKey()))
                .append("\",mode=\"").append(escape(mode)).append("\"} ")
                .append(decision.getValue().sum()).append('\n')));
    policyEvaluation.render(out);
    upstream.render(out);
    auditFsync.render(out);
    auditBatch.render(out);
    out.append("# HELP cmcp_upstream_restarts_total Times a stdio upstream's command was started again after it exited or failed to start.\n");
    out.append("# TYPE cmcp_upstream_restarts_total counter\n");
    new TreeMap<>(upstreamRestarts.get()).forEach((server, restarts) ->
        out.append("cmcp_upstream_restarts_total{server=\"").append(escape(server)).append("\"} ").append(restarts).append('\n'));
    out.append("# HELP cmcp_evidence_age_seconds Age of the attestation evidence served now.\n");
    out.append("# TYPE cmcp_evidence_age_seconds gauge\n");
    Duration age = Duration.between(evidenceProducedAt.get(), clock.instant());
    out.append("cmcp_evidence_age_seconds ").append(age.toMillis() / 1000.0).append('\n');
    return out.toString();
  }

  /** Label values as the text format wants them: backslash, quote and newline escaped. */
  private static String escape(String value) {
    return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }
}
