package dev.cmcp.gateway.ops;

import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * The gateway's counters and histograms, kept and exposed by Prometheus' own Java client: the
 * text format 0.0.4, OpenMetrics 1.0 or the protobuf format, whichever the scraper's
 * {@code Accept} header asks for, together with the client's JVM and process metrics.
 *
 * <p>Labels carry only catalog tool names, decision words and the mode, never argument or result
 * values, and a tool outside the catalog is counted as {@code unsanctioned} so that an agent cannot
 * grow the label set. A tool a reloaded catalog adds gets its own label from its first call; a tool
 * it removes keeps its label and counts until restart, since counters never go back.
 */
public final class GatewayMetrics {

  static final String UNSANCTIONED = "unsanctioned";
  /** From 100 µs to 10 s: policy evaluation sits at the low end, upstream calls at the high end. */
  private static final double[] SECONDS = {0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10};

  /** One scrape's answer: the bytes in the format the scraper asked for, and its media type. */
  public record Exposition(String contentType, byte[] body) {}

  private final String mode;
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final ExpositionFormats formats = ExpositionFormats.init();
  private final Counter calls;
  // Classic buckets only, the ones these histograms always had: native histograms would add work
  // to every observation on the hot path for a format few scrapers ask for yet.
  private final Histogram policyEvaluation;
  private final Histogram upstream;
  private final Histogram auditFsync;
  private final Histogram auditBatch;
  private final Gauge auditQuarantined;
  private final Counter auditRetentionDeleted;
  private final Counter auditRetentionFailures;
  private final Counter authRefusals;

  /**
   * @param catalogTools the tool names of the catalog at start (their series appear with their first call)
   * @param mode the enforcement mode's config name
   * @param evidenceProducedAt when the evidence served now was produced, without renewing it
   */
  public GatewayMetrics(Set<String> catalogTools, String mode, Supplier<Instant> evidenceProducedAt, Clock clock) {
    this(catalogTools, mode, evidenceProducedAt, Map::of, Map::of, clock);
  }

  /**
   * @param upstreamRestarts for each stdio server of the catalog, how often it was started again
   *     (read at each scrape, e.g. {@code Upstreams::restarts})
   * @param upstreamAgentSessions for each Streamable HTTP server, how many agent sessions hold an
   *     upstream session of their own with it now (read at each scrape, {@code Upstreams::agentSessions})
   */
  public GatewayMetrics(
      Set<String> catalogTools, String mode, Supplier<Instant> evidenceProducedAt, Supplier<Map<String, Long>> upstreamRestarts,
      Supplier<Map<String, Integer>> upstreamAgentSessions, Clock clock) {
    this.mode = mode;
    calls = Counter.builder().name("cmcp_calls_total")
        .help("Decided tools/call requests, by tool, decision and enforcement mode.")
        .labelNames("tool", "decision", "mode").register(registry);
    policyEvaluation = seconds("cmcp_policy_evaluation_seconds", "Time to evaluate the Cedar policy for one request.");
    upstream = seconds("cmcp_upstream_seconds", "Time from forwarding a request to its upstream's answer.");
    auditFsync = seconds("cmcp_audit_fsync_seconds", "Time of one group-commit fsync of the audit log.");
    auditBatch = Histogram.builder().name("cmcp_audit_fsync_batch_entries").help("Audit entries made durable by one fsync.")
        .classicOnly().classicUpperBounds(1, 2, 4, 8, 16, 32, 64, 128, 256).register(registry);
    CounterWithCallback.builder().name("cmcp_upstream_restarts_total")
        .help("Times a stdio upstream's command was started again after it exited or failed to start.")
        .labelNames("server")
        .callback(callback -> new TreeMap<>(upstreamRestarts.get()).forEach((server, restarts) -> callback.call(restarts, server)))
        .register(registry);
    GaugeWithCallback.builder().name("cmcp_upstream_agent_sessions")
        .help("Agent sessions holding an upstream session of their own with a Streamable HTTP server (session_mode per_agent).")
        .labelNames("server")
        .callback(callback -> new TreeMap<>(upstreamAgentSessions.get()).forEach((server, open) -> callback.call(open, server)))
        .register(registry);
    GaugeWithCallback.builder().name("cmcp_evidence_age_seconds").help("Age of the attestation evidence served now.")
        .callback(callback -> callback.call(Duration.between(evidenceProducedAt.get(), clock.instant()).toMillis() / 1000.0))
        .register(registry);
    auditQuarantined = Gauge.builder().name("cmcp_audit_quarantined_files")
        .help("Damaged previous audit epoch files this start renamed aside (quarantined) so that it could start; 0 when none.")
        .register(registry);
    auditRetentionDeleted = Counter.builder().name("cmcp_audit_retention_deleted_files_total")
        .help("Audit epoch files deleted within this run under audit.retention_days (each recorded in a retention entry first).")
        .register(registry);
    auditRetentionFailures = Counter.builder().name("cmcp_audit_retention_failures_total")
        .help("Retention passes within this run stopped by an error (the log goes on; the error is logged; the next pass retries).")
        .register(registry);
    // Labels are the refusal's cause and method words, a fixed set: nothing a caller sends becomes a label.
    authRefusals = Counter.builder().name("cmcp_auth_refusals_total")
        .help("Requests refused by authentication, by cause (no_token, token_expired, ...) and the method checked.")
        .labelNames("cause", "method").register(registry);
    JvmMetrics.builder().register(registry);
  }

  private Histogram seconds(String name, String help) {
    return Histogram.builder().name(name).help(help).classicOnly().classicUpperBounds(SECONDS).register(registry);
  }

  /**
   * One decided {@code tools/call}.
   *
   * @param inCatalog whether the catalog that decided the call approves the tool
   * @param decision the decision's word (allow, deny, ...)
   */
  public void toolCallDecided(String tool, boolean inCatalog, String decision) {
    CounterDataPoint counter = calls.labelValues(inCatalog ? tool : UNSANCTIONED, decision, mode);
    counter.inc();
  }

  /** One request refused by authentication, counted whether or not the audit log recorded it one by one. */
  public void authRefused(String cause, String method) {
    authRefusals.labelValues(cause, method).inc();
  }

  /** How many damaged previous epoch files the audit log quarantined at start. */
  public void auditQuarantined(int files) {
    auditQuarantined.set(files);
  }

  /** One audit epoch file deleted by retention within the run; fits {@code AuditLog.RetentionObserver}. */
  public void auditRetentionDeleted() {
    auditRetentionDeleted.inc();
  }

  /** One retention pass within the run stopped by an error. */
  public void auditRetentionFailed() {
    auditRetentionFailures.inc();
  }

  public void policyEvaluated(long nanos) {
    policyEvaluation.observe(nanos / 1e9);
  }

  public void upstreamAnswered(long nanos) {
    upstream.observe(nanos / 1e9);
  }

  /** One group-commit fsync of the audit log; fits {@code AuditLog.SyncObserver}. */
  public void auditSynced(long nanos, long entries) {
    auditFsync.observe(nanos / 1e9);
    auditBatch.observe((double) entries);
  }

  /**
   * The exposition for {@code GET /metrics}, in the format {@code accept} (the scraper's
   * {@code Accept} header, possibly null) prefers: OpenMetrics or protobuf when asked for, else
   * the text format 0.0.4.
   */
  public Exposition exposition(String accept) {
    String asked = accept == null ? "" : accept;
    ExpositionFormatWriter writer = formats.findWriter(asked);
    ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
    try {
      writer.write(out, registry.scrape(), EscapingScheme.fromAcceptHeader(asked));
    } catch (IOException e) {
      throw new UncheckedIOException("writing metrics to memory failed", e);
    }
    return new Exposition(writer.getContentType(), out.toByteArray());
  }
}
