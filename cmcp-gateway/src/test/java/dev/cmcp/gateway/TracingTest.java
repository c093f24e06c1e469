package dev.cmcp.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.cmcp.gateway.audit.AuditFixtures;
import dev.cmcp.gateway.audit.AuditLog;
import dev.cmcp.gateway.catalog.Catalog;
import dev.cmcp.gateway.catalog.CatalogTool;
import dev.cmcp.gateway.catalog.UpstreamServer;
import dev.cmcp.gateway.config.EnforcementMode;
import dev.cmcp.gateway.config.ListenAddress;
import dev.cmcp.gateway.config.LogFormat;
import dev.cmcp.gateway.config.Telemetry;
import dev.cmcp.gateway.http.GatewayHttpServer;
import dev.cmcp.gateway.mcp.JsonRpcDecoder;
import dev.cmcp.gateway.mcp.McpEndpoint;
import dev.cmcp.gateway.mcp.SessionStore;
import dev.cmcp.gateway.mcp.ToolCallPipeline;
import dev.cmcp.gateway.ops.GatewayLogging;
import dev.cmcp.gateway.ops.GatewayMetrics;
import dev.cmcp.gateway.ops.Operations;
import dev.cmcp.gateway.ops.Tracing;
import dev.cmcp.gateway.policy.ActivePolicy;
import dev.cmcp.gateway.policy.PolicyBundle;
import dev.cmcp.gateway.policy.PolicyBundleLoader;
import dev.cmcp.gateway.upstream.UpstreamSettings;
import dev.cmcp.gateway.upstream.Upstreams;
import dev.cmcp.verify.audit.AuditLogReplay;
import dev.cmcp.verify.base.StrictJson;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A call traced from the agent through the gateway to an HTTP upstream: the spans reach an OTLP/HTTP
 * receiver (decoded with OpenTelemetry's own protobuf classes), the upstream joins the agent's trace,
 * and no argument or result value is in any span.
 */
class TracingTest {

  private static final String AGENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
  private static final String AGENT_SPAN = "00f067aa0ba902b7";
  private static final String SECRET_ARGUMENT = "argument-value-7f3a9";
  private static final String SECRET_RESULT = "result-value-c41d2";
  private static final String POLICIES = """
      @id("search-ok") permit (principal, action == Action::"call_tool", resource == Tool::"crm.search");
      @id("no-export") forbid (principal, action == Action::"call_tool", resource == Tool::"crm.export");
      """;

  @TempDir Path dir;

  private final HttpClient client = HttpClient.newHttpClient();
  private final StrictJson json = new StrictJson();
  private final List<ExportTraceServiceRequest> exported = new CopyOnWriteArrayList<>();
  private final List<String> upstreamTraceparents = new CopyOnWriteArrayList<>();
  private final List<JsonNode> upstreamCalls = new CopyOnWriteArrayList<>();
  private HttpServer collector;
  private HttpServer upstream;
  private Tracing tracing;
  private AuditLog audit;
  private Upstreams upstreams;
  private GatewayHttpServer http;

  @BeforeEach
  void start() throws Exception {
    collector = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    collector.createContext("/v1/traces", this::receiveSpans);
    collector.start();
    upstream = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    upstream.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    upstream.createContext("/mcp", this::serveMcp);
    upstream.start();

    Path bundleDir = Files.createDirectories(dir.resolve("bundle"));
    Files.writeString(bundleDir.resolve("manifest.json"),
        "{\"version\": \"1.0.0\", \"authored_at\": \"2026-01-01T00:00:00Z\", \"author_identity\": \"t@example.com\", \"commit_sha\": \"t\"}");
    Files.writeString(bundleDir.resolve("p.cedar"), POLICIES);
    PolicyBundle bundle = PolicyBundleLoader.load(bundleDir);
    UpstreamServer crm = new UpstreamServer.StreamableHttp(
        "crm", URI.create("http://127.0.0.1:" + upstream.getAddress().getPort() + "/mcp"), Map.of());
    Catalog catalog = new Catalog(Map.of("crm", crm), Map.of(
        "crm.search", new CatalogTool("crm.search", "crm", "search", Map.of()),
        "crm.export", new CatalogTool("crm.export", "crm", "export", Map.of())), AuditFixtures.CATALOG_HASH);
    Clock clock = Clock.systemUTC();
    tracing = Tracing.of(new Telemetry(
        Optional.of(URI.create("http://127.0.0.1:" + collector.getAddress().getPort() + "/v1/traces")), 1.0,
        Map.of("deployment.environment.name", "test")), "test-version");
    GatewayMetrics metrics = new GatewayMetrics(catalog.tools().keySet(), "enforcing", clock::instant, clock);
    audit = AuditLog.open(dir.resolve("audit"), AuditFixtures.genesis("key"), clock);
    ActivePolicy active = ActivePolicy.compile(bundle, catalog);
    upstreams = new Upstreams(catalog, new UpstreamSettings(Duration.ofSeconds(10), 1024 * 1024));
    upstreams.start();
    ToolCallPipeline pipeline = new ToolCallPipeline(() -> active, EnforcementMode.ENFORCING, upstreams,
        Optional.of(audit), session -> { }, Optional::empty, clock, Optional.of(metrics));
    McpEndpoint endpoint = new McpEndpoint(new JsonRpcDecoder(json), new SessionStore(clock, 10), pipeline, Optional.empty(), "test");
    http = new GatewayHttpServer(new ListenAddress("127.0.0.1", 0, true), endpoint, Optional.empty(), List.of(), json.mapper(),
        Optional.of(new Operations(metrics, List.of(), false, tracing)));
    http.start();
  }

  @AfterEach
  void stop() throws Exception {
    http.close();
    upstreams.close();
    audit.close();
    tracing.close();
    upstream.stop(0);
    collector.stop(0);
  }

  @Test
  void aCallIsTracedFromTheAgentThroughTheGatewayToTheUpstreamWithoutItsValues() throws Exception {
    List<String> logLines = new CopyOnWriteArrayList<>();
    Logger policyLog = Logger.getLogger("cmcp.policy");
    Handler capture = new Handler() {
      private final java.util.logging.Formatter format = GatewayLogging.lineFormatter(LogFormat.JSON);

      @Override
      public void publish(LogRecord record) {
        logLines.add(format.format(record));
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    policyLog.addHandler(capture);
    try {
      assertThat(callTool("crm.search").statusCode()).isEqualTo(200);
      assertThat(callTool("crm.export").statusCode()).isEqualTo(403);
    } finally {
      policyLog.removeHandler(capture);
    }
    // A request's span ends just after its answer is written, so the client may see the answer first.
    List<Span> spans = List.of();
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (spans.stream().filter(span -> span.getName().equals("POST /mcp")).count() < 2 && System.nanoTime() < deadline) {
      tracing.flush();
      spans = received();
    }
    // Both calls continue the agent's trace; each request span's parent is the agent's span.
    assertThat(spans).isNotEmpty().allSatisfy(span -> assertThat(hex(span.getTraceId().toByteArray())).isEqualTo(AGENT_TRACE));
    List<Span> requests = spans.stream().filter(span -> span.getName().equals("POST /mcp")).toList();
    assertThat(requests).hasSize(2).allSatisfy(span -> {
      assertThat(hex(span.getParentSpanId().toByteArray())).isEqualTo(AGENT_SPAN);
      assertThat(span.getKind()).isEqualTo(Span.SpanKind.SPAN_KIND_SERVER);
    });
    assertThat(spans).extracting(Span::getName)
        .contains("authenticate", "decode", "decide", "audit", "forward");
    Span forward = spans.stream().filter(span -> span.getName().equals("forward")).findFirst().orElseThrow();
    assertThat(forward.getKind()).isEqualTo(Span.SpanKind.SPAN_KIND_CLIENT);
    assertThat(attributes(requests)).containsEntry("cmcp.decision", "deny").containsEntry("gen_ai.tool.name", "crm.export");

    // The upstream joined the same trace, as a child of the gateway's forward span, by header and by _meta.
    String expected = "00-" + AGENT_TRACE + "-" + hex(forward.getSpanId().toByteArray()) + "-01";
    assertThat(upstreamTraceparents).containsExactly(expected);
    assertThat(upstreamCalls).singleElement()
        .satisfies(call -> assertThat(call.path("params").path("_meta").path("traceparent").asText()).isEqualTo(expected));

    // No span says anything of the call's argument or result.
    for (Span span : spans) {
      assertThat(span.toString()).doesNotContain(SECRET_ARGUMENT).doesNotContain(SECRET_RESULT);
    }
    // The audit log's decisions and the log lines name the trace.
    List<JsonNode> decisions = new ArrayList<>();
    for (String line : Files.readAllLines(audit.file())) {
      JsonNode entry = json.parse(line.getBytes(StandardCharsets.UTF_8));
      if (entry.path("type").asText().equals("decision")) {
        decisions.add(entry);
      }
    }
    assertThat(decisions).hasSize(2).allSatisfy(entry -> assertThat(entry.path("trace_id").asText()).isEqualTo(AGENT_TRACE));
    // The verifier's replay takes the log with the added field as an intact chain.
    assertThat(AuditLogReplay.replay(audit.file())).isInstanceOf(AuditLogReplay.Intact.class);
    assertThat(logLines).filteredOn(line -> line.contains("request denied"))
        .singleElement().satisfies(line -> assertThat(line).contains("\"trace_id\":\"" + AGENT_TRACE + "\""));
  }

  private List<Span> received() {
    List<Span> spans = new ArrayList<>();
    for (ExportTraceServiceRequest request : exported) {
      for (ResourceSpans resource : request.getResourceSpansList()) {
        assertThat(resource.getResource().getAttributesList()).extracting(KeyValue::getKey)
            .contains("service.name", "deployment.environment.name");
        for (ScopeSpans scope : resource.getScopeSpansList()) {
          spans.addAll(scope.getSpansList());
        }
      }
    }
    return spans;
  }

  private static Map<String, String> attributes(List<Span> spans) {
    Map<String, String> all = new java.util.HashMap<>();
    spans.forEach(span -> span.getAttributesList().forEach(kv -> all.put(kv.getKey(), kv.getValue().getStringValue())));
    return all;
  }

  private HttpResponse<String> callTool(String tool) throws Exception {
    String body = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"" + tool
        + "\",\"arguments\":{\"query\":\"" + SECRET_ARGUMENT + "\"}}}";
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + "/mcp"))
        .header("Content-Type", "application/json")
        .header("Accept", "application/json, text/event-stream")
        .header("X-MCP-Workflow-ID", "wf")
        .header("traceparent", "00-" + AGENT_TRACE + "-" + AGENT_SPAN + "-01")
        .POST(HttpRequest.BodyPublishers.ofString(body))
        .build();
    return client.send(request, HttpResponse.BodyHandlers.ofString());
  }

  private void receiveSpans(HttpExchange exchange) throws IOException {
    try (exchange) {
      exported.add(ExportTraceServiceRequest.parseFrom(exchange.getRequestBody().readAllBytes()));
      byte[] answer = ExportTraceServiceResponse.getDefaultInstance().toByteArray();
      exchange.getResponseHeaders().set("Content-Type", "application/x-protobuf");
      exchange.sendResponseHeaders(200, answer.length == 0 ? -1 : answer.length);
      if (answer.length > 0) {
        exchange.getResponseBody().write(answer);
      }
    }
  }

  /** Just enough of a Streamable HTTP MCP server: a session, and a tools/call answered in JSON. */
  private void serveMcp(HttpExchange exchange) throws IOException {
    try (exchange) {
      JsonNode message = json.parse(exchange.getRequestBody().readAllBytes());
      String method = message.path("method").asText();
      if (!message.has("id")) {
        exchange.sendResponseHeaders(202, -1);
        return;
      }
      String result;
      if (method.equals("initialize")) {
        exchange.getResponseHeaders().set("Mcp-Session-Id", "upstream-session");
        result = "{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{\"tools\":{}},\"serverInfo\":{\"name\":\"crm\",\"version\":\"1\"}}";
      } else if (method.equals("tools/call")) {
        upstreamTraceparents.add(exchange.getRequestHeaders().getFirst("traceparent"));
        upstreamCalls.add(message);
        result = "{\"content\":[{\"type\":\"text\",\"text\":\"" + SECRET_RESULT + "\"}]}";
      } else if (method.equals("tools/list")) {
        result = "{\"tools\":[{\"name\":\"search\",\"inputSchema\":{\"type\":\"object\"}},"
            + "{\"name\":\"export\",\"inputSchema\":{\"type\":\"object\"}}]}";
      } else {
        result = "{}";
      }
      byte[] body = ("{\"jsonrpc\":\"2.0\",\"id\":" + message.get("id") + ",\"result\":" + result + "}").getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    } catch (StrictJson.MalformedJsonException e) {
      exchange.sendResponseHeaders(400, -1);
    }
  }

  private static String hex(byte[] bytes) {
    return HexFormat.of().formatHex(bytes);
  }
}
