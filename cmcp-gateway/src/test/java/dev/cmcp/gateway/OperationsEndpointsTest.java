package dev.cmcp.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cmcp.gateway.attest.CurrentEvidence;
import dev.cmcp.gateway.attest.SoftwareProvider;
import dev.cmcp.gateway.attest.TestClock;
import dev.cmcp.gateway.audit.AuditFixtures;
import dev.cmcp.gateway.audit.AuditLog;
import dev.cmcp.gateway.catalog.Catalog;
import dev.cmcp.gateway.catalog.CatalogTool;
import dev.cmcp.gateway.catalog.UpstreamServer;
import dev.cmcp.gateway.config.EnforcementMode;
import dev.cmcp.gateway.config.ListenAddress;
import dev.cmcp.gateway.config.StalenessPolicy;
import dev.cmcp.gateway.http.GatewayHttpServer;
import dev.cmcp.gateway.mcp.JsonRpcDecoder;
import dev.cmcp.gateway.mcp.McpEndpoint;
import dev.cmcp.gateway.mcp.SessionStore;
import dev.cmcp.gateway.mcp.ToolCallPipeline;
import dev.cmcp.gateway.ops.GatewayMetrics;
import dev.cmcp.gateway.ops.MetricsParsers;
import dev.cmcp.gateway.ops.Operations;
import dev.cmcp.gateway.ops.Tracing;
import dev.cmcp.gateway.policy.ActivePolicy;
import dev.cmcp.gateway.policy.PolicyBundle;
import dev.cmcp.gateway.policy.PolicyBundleLoader;
import dev.cmcp.gateway.upstream.UpstreamSettings;
import dev.cmcp.gateway.upstream.Upstreams;
import dev.cmcp.verify.audit.AuditRecord;
import dev.cmcp.verify.base.StrictJson;
import dev.cmcp.verify.claim.Binding;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code /healthz}, {@code /readyz} and {@code /metrics} over real HTTP, wired as {@code Gateway.start} wires them. */
class OperationsEndpointsTest {

  private static final String TOKEN = "s3cret-token";
  private static final Duration VALIDITY = Duration.ofMinutes(5);
  private static final String SEARCH_ONLY = """
      @id("read-only") permit (principal, action == Action::"call_tool", resource == Tool::"crm.search");
      """;

  @TempDir Path dir;

  private final HttpClient client = HttpClient.newHttpClient();
  private final TestClock clock = new TestClock(Instant.parse("2026-11-25T10:00:00Z"));
  private Path bundleDir;
  private AuditLog audit;
  private CurrentEvidence evidence;
  private PolicyReloader reloader;
  private GatewayHttpServer http;
  private McpEndpoint endpoint;
  private GatewayMetrics metrics;
  private Upstreams upstreams;

  @BeforeEach
  void start() throws Exception {
    bundleDir = Files.createDirectories(dir.resolve("bundle"));
    Files.writeString(bundleDir.resolve("manifest.json"),
        "{\"version\": \"1.0.0\", \"authored_at\": \"2026-01-01T00:00:00Z\", \"author_identity\": \"t@example.com\", \"commit_sha\": \"t\"}");
    Files.writeString(bundleDir.resolve("p.cedar"), SEARCH_ONLY);
    PolicyBundle first = PolicyBundleLoader.load(bundleDir);
    // The upstream is never started: an allowed call is decided and counted, then fails to forward.
    UpstreamServer crm = new UpstreamServer.Stdio("crm", "node", List.of("absent.mjs"), Map.of(), null);
    Catalog catalog = new Catalog(Map.of("crm", crm), Map.of(
        "crm.search", new CatalogTool("crm.search", "crm", "search", Map.of()),
        "crm.export", new CatalogTool("crm.export", "crm", "export", Map.of())), AuditFixtures.CATALOG_HASH);
    Binding binding = Binding.of(first.bundleHash(), AuditFixtures.CATALOG_HASH, "enforcing", "key");
    // The provider's own clock stands still, so evidence renewed after the gateway's clock moves on is still old.
    Clock frozen = Clock.fixed(clock.instant(), ZoneOffset.UTC);
    evidence = CurrentEvidence.start(new SoftwareProvider(AuditFixtures.MEASUREMENT, frozen),
        binding, Optional.empty(), VALIDITY, StalenessPolicy.FAIL_CLOSED, clock);
    metrics = new GatewayMetrics(catalog.tools().keySet(), "enforcing", evidence::producedAt, clock);
    audit = AuditLog.open(dir.resolve("audit"), AuditFixtures.genesis("key"), clock, metrics::auditSynced);
    Path catalogFile = Files.writeString(dir.resolve("catalog.json"), "{\"servers\": {}}");
    reloader = new PolicyReloader(bundleDir, PolicyReloader.CatalogFile.read(catalogFile), Map.of(),
        ActivePolicy.compile(first, catalog), active -> binding, evidence, Optional.of(audit));
    upstreams = new Upstreams(catalog, new UpstreamSettings(Duration.ofSeconds(1), 1024 * 1024));
    ToolCallPipeline pipeline = new ToolCallPipeline(reloader::current, EnforcementMode.ENFORCING, upstreams,
        Optional.of(audit), session -> { }, evidence::refusal, clock, Optional.of(metrics));
    StrictJson json = new StrictJson();
    endpoint = new McpEndpoint(new JsonRpcDecoder(json), new SessionStore(clock, 10), pipeline, Optional.empty(), "test");
    http = serve(true);
  }

  private GatewayHttpServer serve(boolean requireToken) throws Exception {
    Operations operations = new Operations(metrics, Gateway.readinessChecks(reloader, evidence, Optional.of(audit)), requireToken);
    GatewayHttpServer server = new GatewayHttpServer(new ListenAddress("127.0.0.1", 0, true), endpoint, Optional.of(TOKEN),
        List.of(), new StrictJson().mapper(), Optional.of(operations));
    server.start();
    return server;
  }

  @AfterEach
  void stop() throws Exception {
    http.close();
    upstreams.close();
    reloader.close();
    audit.close();
    evidence.close();
  }

  @Test
  void healthzAnswersWithoutToken() throws Exception {
    HttpResponse<String> response = get("/healthz", false);
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).isEqualTo("ok\n");
  }

  @Test
  void aQuarantinedAuditFileIsANoticeOfReadyzAndAMetricButTheGatewayIsReady() throws Exception {
    http.close();
    metrics.auditQuarantined(1);
    AuditRecord.Quarantine damaged = new AuditRecord.Quarantine("audit-20261125T090000Z-00000000.jsonl",
        "audit-20261125T090000Z-00000000.jsonl.quarantined", "ab".repeat(32), "line 3: not JSON");
    Operations operations = new Operations(metrics, Gateway.readinessChecks(reloader, evidence, Optional.of(audit)), false,
        Tracing.off(), Gateway.quarantineNotices(List.of(damaged)));
    http = new GatewayHttpServer(new ListenAddress("127.0.0.1", 0, true), endpoint, Optional.of(TOKEN),
        List.of(), new StrictJson().mapper(), Optional.of(operations));
    http.start();

    HttpResponse<String> ready = get("/readyz", false);

    assertThat(ready.statusCode()).isEqualTo(200);
    assertThat(ready.body()).startsWith("ready\nnotice: audit log: the previous epoch audit-20261125T090000Z-00000000.jsonl"
        + " was damaged and is quarantined as audit-20261125T090000Z-00000000.jsonl.quarantined (sha256 " + "ab".repeat(32));
    assertThat(get("/metrics", false).body()).contains("cmcp_audit_quarantined_files 1.0");
  }

  @Test
  void metricsAndReadyzNeedTheTokenByDefault() throws Exception {
    assertThat(get("/metrics", false).statusCode()).isEqualTo(401);
    assertThat(get("/readyz", false).statusCode()).isEqualTo(401);
  }

  @Test
  void metricsAndReadyzOpenWithoutTokenWhenConfigured() throws Exception {
    http.close();
    http = serve(false);

    assertThat(get("/metrics", false).statusCode()).isEqualTo(200);
    assertThat(get("/readyz", false).statusCode()).isEqualTo(200);
    assertThat(get("/mcp", false).statusCode()).isEqualTo(401);
  }

  @Test
  void callsTotalMovesWithCallsAndUnknownToolsShareOneLabel() throws Exception {
    Map<String, Double> before = parse(get("/metrics", true).body());
    assertThat(before).doesNotContainKey(calls("crm.export", "deny"));

    callTool("crm.export");
    callTool("crm.export");
    callTool("crm.search");
    callTool("no.such.tool-1");
    callTool("no.such.tool-2");

    HttpResponse<String> response = get("/metrics", true);
    assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).contains("version=0.0.4"));
    Map<String, Double> after = parse(response.body());
    assertThat(after).containsEntry(calls("crm.export", "deny"), 2.0);
    assertThat(after).containsEntry(calls("crm.search", "allow"), 1.0);
    assertThat(after).containsEntry(calls("unsanctioned", "deny"), 2.0);
    assertThat(after.keySet()).noneMatch(series -> series.contains("no.such.tool"));
    // Unsanctioned tools are put to the policy too, so all five calls were evaluated.
    assertThat(after).containsEntry("cmcp_policy_evaluation_seconds_count", 5.0);
    assertThat(after).containsEntry("cmcp_upstream_seconds_count", 1.0);
    assertThat(after).containsEntry("cmcp_policy_evaluation_seconds_bucket{le=\"+Inf\"}", 5.0);
    assertThat(after).containsKey("cmcp_evidence_age_seconds");
    // Each decision is made durable before it is answered, and an allowed call's outcome too.
    assertThat(after.get("cmcp_audit_fsync_seconds_count")).isGreaterThanOrEqualTo(1.0);
    assertThat(after.get("cmcp_audit_fsync_batch_entries_sum")).isGreaterThanOrEqualTo(6.0);
  }

  @Test
  void readinessNamesACatalogServerThatIsNotRunning() {
    // This test's upstream is never started, as a stdio server is before its first start succeeds.
    Operations operations = new Operations(metrics, Gateway.upstreamReadiness(upstreams), true);

    assertThat(operations.problems()).containsExactly("upstream crm is starting");
  }

  @Test
  void readyzTurnsUnreadyWhenAReloadIsRejected() throws Exception {
    assertThat(get("/readyz", true).statusCode()).isEqualTo(200);

    Files.writeString(bundleDir.resolve("p.cedar"), SEARCH_ONLY + "permit (principal, action, resource) when { ;\n");
    assertThat(reloader.checkNow()).isEqualTo(PolicyReloader.Outcome.REJECTED);

    HttpResponse<String> response = get("/readyz", true);
    assertThat(response.statusCode()).isEqualTo(503);
    assertThat(response.body()).startsWith("policy reload: the last reload was rejected").contains("p.cedar");
  }

  @Test
  void readyzTurnsUnreadyWhenEvidenceGoesStale() throws Exception {
    assertThat(get("/readyz", true).statusCode()).isEqualTo(200);

    clock.advance(VALIDITY.multipliedBy(2));

    HttpResponse<String> response = get("/readyz", true);
    assertThat(response.statusCode()).isEqualTo(503);
    assertThat(response.body()).startsWith("evidence: ");
    assertThat(parse(get("/metrics", true).body()).get("cmcp_evidence_age_seconds"))
        .isGreaterThanOrEqualTo((double) VALIDITY.multipliedBy(2).toSeconds());
  }

  @Test
  void readyzTurnsUnreadyWhenTheAuditLogCannotRecord() throws Exception {
    audit.close();

    HttpResponse<String> response = get("/readyz", true);
    assertThat(response.statusCode()).isEqualTo(503);
    assertThat(response.body()).startsWith("audit log: ").contains("cannot record");
  }

  private static String calls(String tool, String decision) {
    return MetricsParsers.key("cmcp_calls_total", Map.of("tool", tool, "decision", decision, "mode", "enforcing"));
  }

  private void callTool(String name) throws Exception {
    String body = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"" + name + "\",\"arguments\":{}}}";
    HttpRequest request = HttpRequest.newBuilder(uri("/mcp"))
        .header("Authorization", "Bearer " + TOKEN)
        .header("Content-Type", "application/json")
        .header("X-MCP-Workflow-ID", "wf")
        .POST(HttpRequest.BodyPublishers.ofString(body))
        .build();
    client.send(request, HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void metricsAreReadByPrometheusParsersInEveryFormatTheScraperAsksFor() throws Exception {
    callTool("crm.export");
    callTool("crm.search");
    callTool("no.such.tool");

    HttpResponse<byte[]> text = scrape(null);
    HttpResponse<byte[]> openMetrics = scrape(MetricsParsers.OPENMETRICS);
    HttpResponse<byte[]> protobuf = scrape(MetricsParsers.PROTOBUF);

    assertThat(text.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).contains("version=0.0.4"));
    assertThat(openMetrics.headers().firstValue("Content-Type"))
        .hasValueSatisfying(type -> assertThat(type).startsWith("application/openmetrics-text"));
    assertThat(protobuf.headers().firstValue("Content-Type"))
        .hasValueSatisfying(type -> assertThat(type).startsWith("application/vnd.google.protobuf"));
    Map<String, Double> fromText = MetricsParsers.text(new String(text.body(), java.nio.charset.StandardCharsets.UTF_8));
    Map<String, Double> fromOpenMetrics =
        MetricsParsers.openMetrics(new String(openMetrics.body(), java.nio.charset.StandardCharsets.UTF_8));
    Map<String, Double> fromProtobuf = MetricsParsers.protobuf(protobuf.body());
    Map<String, Double> expectedCalls = Map.of(
        calls("crm.export", "deny"), 1.0, calls("crm.search", "allow"), 1.0, calls("unsanctioned", "deny"), 1.0);
    for (Map<String, Double> series : List.of(fromText, fromOpenMetrics, fromProtobuf)) {
      assertThat(MetricsParsers.only(series, "cmcp_calls_total")).isEqualTo(expectedCalls);
      assertThat(series).containsEntry("cmcp_policy_evaluation_seconds_count", 3.0);
      assertThat(series).containsKey("cmcp_evidence_age_seconds");
      // The client's JVM and process metrics come along.
      assertThat(series.keySet()).anyMatch(name -> name.startsWith("jvm_memory_used_bytes{"));
      assertThat(series).containsKey("process_cpu_seconds_total");
    }
  }

  private HttpResponse<byte[]> scrape(String accept) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(uri("/metrics")).GET().header("Authorization", "Bearer " + TOKEN);
    if (accept != null) {
      request.header("Accept", accept);
    }
    HttpResponse<byte[]> response = client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    assertThat(response.statusCode()).isEqualTo(200);
    return response;
  }

  private HttpResponse<String> get(String path, boolean withToken) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(uri(path)).GET();
    if (withToken) {
      request.header("Authorization", "Bearer " + TOKEN);
    }
    return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + http.port() + path);
  }

  private static Map<String, Double> parse(String exposition) throws Exception {
    return MetricsParsers.text(exposition);
  }
}
