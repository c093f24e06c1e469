package dev.cmcp.gateway.mcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.cmcp.gateway.catalog.CatalogTool;
import dev.cmcp.gateway.catalog.UpstreamServer;
import dev.cmcp.gateway.config.EnforcementMode;
import dev.cmcp.gateway.upstream.UpstreamSettings;
import dev.cmcp.verify.audit.AuditLogReplay;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Upstreams that fail in the ways real servers fail rarely and on no one's schedule: each fault
 * reaches its caller as a JSON-RPC error, is audited, and leaves the gateway serving another
 * session's call to a healthy upstream. The faults come from {@code hostile-server.mjs} over
 * stdio and from a fake Streamable HTTP server here.
 */
class UpstreamFaultsTest {

  private static final UpstreamSettings LIMITS = new UpstreamSettings(Duration.ofSeconds(3), 64 * 1024);
  private static final String PERMIT_ALL = """
      @id("permit-all") permit (principal, action == Action::"call_tool", resource);
      """;

  @TempDir static Path dir;
  static HttpServer web;
  static GatewayUnderTest gateway;
  static ExecutorService callers;

  @BeforeAll
  static void start() throws Exception {
    web = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    web.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    web.createContext("/mcp", UpstreamFaultsTest::cutStream);
    web.start();
    URI url = URI.create("http://127.0.0.1:" + web.getAddress().getPort() + "/mcp");
    List<UpstreamServer> servers = List.of(
        GatewayUnderTest.hostileServer("hostile"),
        GatewayUnderTest.hostileServer("healthy"),
        new UpstreamServer.StreamableHttp("web", url, Map.of()));
    List<CatalogTool> tools = List.of(
        tool("hostile", "hang"), tool("hostile", "crash"), tool("hostile", "garbage"),
        tool("hostile", "huge"), tool("hostile", "no-newline"), tool("hostile", "echo"),
        tool("healthy", "echo"), tool("web", "search"));
    gateway = GatewayUnderTest.start(dir, EnforcementMode.ENFORCING, PERMIT_ALL, servers, tools, LIMITS);
    callers = Executors.newVirtualThreadPerTaskExecutor();
  }

  @AfterAll
  static void stop() {
    callers.shutdownNow();
    gateway.close();
    web.stop(0);
  }

  @AfterEach
  void logStillReplays() throws Exception {
    assertThat(AuditLogReplay.replay(gateway.auditFile())).isInstanceOf(AuditLogReplay.Intact.class);
  }

  private static CatalogTool tool(String server, String name) {
    return new CatalogTool(server + "." + name, server, name, Map.of());
  }

  @Test
  void hangingUpstreamTimesOutIsAuditedAndOthersAreServedMeanwhile() throws Exception {
    String session = gateway.openSession();
    Future<McpHttpResponse> hanging = callers.submit(() -> gateway.callTool(Optional.of(session), "hostile.hang", "{}"));
    awaitTrue("the hanging call to be forwarded", () -> forwarded(session, "hostile.hang"));

    assertHealthyCallInAnotherSession();

    JsonNode error = errorOf(hanging.get());
    assertThat(error.path("data").path("error").asText()).isEqualTo("upstream_timeout");
    assertThat(error.path("message").asText()).isEqualTo("upstream hostile did not answer tools/call within 3 s");
    assertThat(outcomeOf(session, "hostile.hang")).isEqualTo("upstream_error");
  }

  @Test
  void crashingUpstreamFailsEveryCallInFlightAndIsRestarted() throws Exception {
    String session = gateway.openSession();
    Future<McpHttpResponse> inFlight = callers.submit(() -> gateway.callTool(Optional.of(session), "hostile.hang", "{}"));
    awaitTrue("the first call to be forwarded", () -> forwarded(session, "hostile.hang"));

    JsonNode crashed = errorOf(gateway.callTool(Optional.of(session), "hostile.crash", "{}"));
    JsonNode wasInFlight = errorOf(inFlight.get());

    assertThat(crashed.path("data").path("error").asText()).isEqualTo("upstream_unavailable");
    assertThat(wasInFlight.path("data").path("error").asText()).isEqualTo("upstream_unavailable");
    assertThat(wasInFlight.path("message").asText()).contains("upstream hostile exited");
    assertThat(outcomeOf(session, "hostile.crash")).isEqualTo("upstream_error");
    assertThat(outcomeOf(session, "hostile.hang")).isEqualTo("upstream_error");
    assertHealthyCallInAnotherSession();
    awaitTrue("the crashed upstream to be restarted", () -> resultOf(gateway.callTool(Optional.of(session), "hostile.echo", "{}")).isPresent());
  }

  @Test
  void garbageAndMalformedAnswersAreSkippedAndTheCallTimesOut() throws Exception {
    String session = gateway.openSession();

    JsonNode error = errorOf(gateway.callTool(Optional.of(session), "hostile.garbage", "{}"));

    // Even the message with the call's id is skipped: only a result or an error answers a request.
    assertThat(error.path("data").path("error").asText()).isEqualTo("upstream_timeout");
    assertThat(outcomeOf(session, "hostile.garbage")).isEqualTo("upstream_error");
    assertThat(text(gateway.callTool(Optional.of(session), "hostile.echo", "{\"n\":1}"))).isEqualTo("echo {\"n\":1}");
    assertHealthyCallInAnotherSession();
  }

  @Test
  void oversizedAnswerIsDroppedAuditedAndTheUpstreamStaysUsable() throws Exception {
    String session = gateway.openSession();

    McpHttpResponse answer = gateway.callTool(Optional.of(session), "hostile.huge", "{}");

    assertThat(errorOf(answer).path("data").path("error").asText()).isEqualTo("response_too_large");
    assertThat(answer.body().orElseThrow().toString()).doesNotContain("xxxxxxxxxx");
    assertThat(outcomeOf(session, "hostile.huge")).isEqualTo("response_too_large");
    assertThat(text(gateway.callTool(Optional.of(session), "hostile.echo", "{}"))).isEqualTo("echo {}");
    assertHealthyCallInAnotherSession();
  }

  @Test
  void floodWithoutALineEndIsSkippedAndTheAnswerAfterItDelivered() throws Exception {
    String session = gateway.openSession();

    assertThat(text(gateway.callTool(Optional.of(session), "hostile.no-newline", "{}"))).isEqualTo("after the flood");
    assertThat(outcomeOf(session, "hostile.no-newline")).isEqualTo("ok");
    assertHealthyCallInAnotherSession();
  }

  @Test
  void httpUpstreamClosingItsEventStreamHalfWayFailsTheCall() throws Exception {
    String session = gateway.openSession();

    JsonNode error = errorOf(gateway.callTool(Optional.of(session), "web.search", "{}"));

    assertThat(error.path("data").path("error").asText()).isEqualTo("upstream_unavailable");
    assertThat(error.path("message").asText()).startsWith("upstream web");
    assertThat(outcomeOf(session, "web.search")).isEqualTo("upstream_error");
    assertHealthyCallInAnotherSession();
  }

  /** Another agent's session, calling another upstream, is served as if nothing had happened. */
  private static void assertHealthyCallInAnotherSession() {
    String other = gateway.openSession();
    assertThat(text(gateway.callTool(Optional.of(other), "healthy.echo", "{\"ok\":true}"))).isEqualTo("echo {\"ok\":true}");
    assertThat(outcomeOf(other, "healthy.echo")).isEqualTo("ok");
  }

  private static JsonNode errorOf(McpHttpResponse response) {
    JsonNode body = response.body().orElseThrow();
    if (!body.has("error")) {
      throw new AssertionError("expected an error, got " + body);
    }
    return body.get("error");
  }

  private static Optional<JsonNode> resultOf(McpHttpResponse response) {
    return response.body().map(body -> body.get("result"));
  }

  private static String text(McpHttpResponse response) {
    JsonNode body = response.body().orElseThrow();
    if (!body.has("result")) {
      throw new AssertionError("expected a result, got " + body);
    }
    return body.path("result").path("content").path(0).path("text").asText();
  }

  private static boolean forwarded(String session, String tool) {
    try {
      return entriesOf(session, tool).stream().anyMatch(e -> e.path("type").asText().equals("decision")
          && e.path("enforced").asText().equals("forwarded"));
    } catch (AssertionError lastLineHalfWritten) {
      return false; // polled while the log is being written; look again
    }
  }

  /** The audited outcome of the session's one call of {@code tool}. */
  private static String outcomeOf(String session, String tool) {
    List<JsonNode> outcomes = entriesOf(session, tool).stream().filter(e -> e.path("type").asText().equals("outcome")).toList();
    assertThat(outcomes).as("outcomes of %s in %s", tool, session).hasSize(1);
    return outcomes.get(0).path("outcome").asText();
  }

  private static List<JsonNode> entriesOf(String session, String tool) {
    try {
      return gateway.auditEntries().stream()
          .filter(e -> e.path("session_id").asText().equals(session) && e.path("tool").asText().equals(tool))
          .toList();
    } catch (Exception e) {
      throw new AssertionError("audit log unreadable", e);
    }
  }

  private static void awaitTrue(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        fail("gave up waiting: " + what);
      }
      Thread.sleep(20);
    }
  }

  /** A Streamable HTTP server that starts the answer to every tools/call as SSE and hangs up half-way. */
  private static void cutStream(HttpExchange exchange) throws IOException {
    try (exchange) {
      String request = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      if (request.contains("\"initialize\"")) {
        respond(exchange, "application/json", "{\"jsonrpc\":\"2.0\",\"id\":" + idOf(request) + ",\"result\":{\"protocolVersion\":"
            + "\"2025-06-18\",\"capabilities\":{\"tools\":{}},\"serverInfo\":{\"name\":\"web\",\"version\":\"1\"}}}");
      } else if (!request.contains("\"id\"")) {
        exchange.sendResponseHeaders(202, -1);
      } else if (request.contains("\"tools/list\"")) {
        respond(exchange, "application/json", "{\"jsonrpc\":\"2.0\",\"id\":" + idOf(request)
            + ",\"result\":{\"tools\":[{\"name\":\"search\",\"inputSchema\":{\"type\":\"object\"}}]}}");
      } else {
        exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
        // Promises more than it sends: closing the exchange then drops the connection mid-event.
        exchange.sendResponseHeaders(200, 10_000);
        OutputStream out = exchange.getResponseBody();
        out.write(("event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":" + idOf(request) + ",\"result\":{\"content\":[{\"ty")
            .getBytes(StandardCharsets.UTF_8));
        out.flush();
      }
    }
  }

  private static String idOf(String request) {
    int at = request.indexOf("\"id\":") + 5;
    int end = at;
    while (end < request.length() && ",}".indexOf(request.charAt(end)) < 0) {
      end++;
    }
    return request.substring(at, end);
  }

  private static void respond(HttpExchange exchange, String type, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", type);
    exchange.sendResponseHeaders(200, bytes.length);
    exchange.getResponseBody().write(bytes);
  }
}
