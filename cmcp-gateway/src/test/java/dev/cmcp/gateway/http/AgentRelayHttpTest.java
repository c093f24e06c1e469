package dev.cmcp.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cmcp.gateway.catalog.Catalog;
import dev.cmcp.gateway.catalog.CatalogTool;
import dev.cmcp.gateway.catalog.UpstreamServer;
import dev.cmcp.gateway.config.EnforcementMode;
import dev.cmcp.gateway.config.ListenAddress;
import dev.cmcp.gateway.mcp.JsonRpcDecoder;
import dev.cmcp.gateway.mcp.McpEndpoint;
import dev.cmcp.gateway.mcp.SessionStore;
import dev.cmcp.gateway.mcp.ToolCallPipeline;
import dev.cmcp.gateway.policy.PolicyBundle;
import dev.cmcp.gateway.policy.PolicyBundleLoader;
import dev.cmcp.gateway.policy.PolicyEngine;
import dev.cmcp.gateway.upstream.UpstreamSettings;
import dev.cmcp.gateway.upstream.Upstreams;
import dev.cmcp.verify.base.StrictJson;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server's request and log messages during a call, as an agent sees them over HTTP: events of
 * the call's SSE answer, the agent's answer a second POST in the same session.
 */
class AgentRelayHttpTest {

  @TempDir Path dir;

  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final ObjectMapper json = new ObjectMapper();
  private Upstreams upstreams;
  private GatewayHttpServer server;

  @BeforeEach
  void start() throws Exception {
    Path bundleDir = Files.createDirectories(dir.resolve("bundle"));
    Files.writeString(bundleDir.resolve("manifest.json"),
        "{\"version\": \"1.0.0\", \"authored_at\": \"2026-01-01T00:00:00Z\", \"author_identity\": \"t@example.com\", \"commit_sha\": \"t\"}");
    Files.writeString(bundleDir.resolve("p.cedar"), "permit (principal, action == Action::\"call_tool\", resource in Server::\"asking\");");
    PolicyBundle bundle = PolicyBundleLoader.load(bundleDir);
    Path fixture = Path.of(AgentRelayHttpTest.class.getResource("/dev/cmcp/gateway/mcp/asking-server.mjs").toURI());
    UpstreamServer asking = new UpstreamServer.Stdio("asking", "node", List.of(fixture.toString()), Map.of(), null);
    Catalog catalog = new Catalog(Map.of("asking", asking),
        Map.of("asking.ask", new CatalogTool("asking.ask", "asking", "ask", Map.of()),
            "asking.log3", new CatalogTool("asking.log3", "asking", "log3", Map.of())),
        "sha256:" + "2".repeat(64));
    upstreams = new Upstreams(catalog, new UpstreamSettings(Duration.ofSeconds(20), 1024 * 1024));
    upstreams.start();
    Clock clock = Clock.systemUTC();
    ToolCallPipeline pipeline = new ToolCallPipeline(catalog, bundle, new PolicyEngine(bundle, catalog),
        EnforcementMode.ENFORCING, upstreams, Optional.empty(), session -> { }, Optional::empty, clock);
    McpEndpoint endpoint = new McpEndpoint(new JsonRpcDecoder(new StrictJson()), new SessionStore(clock, 10), pipeline,
        Optional.empty(), "test");
    server = new GatewayHttpServer(new ListenAddress("127.0.0.1", 0, true), endpoint, Optional.empty(), List.of(),
        json, Optional.empty(), Duration.ofSeconds(30), McpHandler.BODY_TIMEOUT);
    server.start();
  }

  @AfterEach
  void stop() throws Exception {
    if (server != null) {
      server.close();
    }
    if (upstreams != null) {
      upstreams.close();
    }
  }

  @Test
  void theServersRequestIsAnEventOfTheCallsAnswerAndTheAgentsReplyReachesTheServer() throws Exception {
    String session = initialize("{\"sampling\":{}}");
    Iterator<JsonNode> events = events(callTool(session, "asking.ask"));

    JsonNode request = events.next();
    assertThat(request.path("method").asText()).isEqualTo("sampling/createMessage");
    HttpResponse<String> reply = post(session, "{\"jsonrpc\":\"2.0\",\"id\":" + request.get("id") + ",\"result\":{\"role\":\"assistant\","
        + "\"content\":{\"type\":\"text\",\"text\":\"hello from the agent\"},\"model\":\"m\"}}", "application/json");
    JsonNode answer = events.next();

    assertThat(reply.statusCode()).isEqualTo(202);
    assertThat(answer.path("id").asInt()).isEqualTo(7);
    assertThat(answer.path("result").path("content").path(0).path("text").asText()).contains("hello from the agent");
  }

  @Test
  void logMessagesAreEventsBeforeTheAnswer() throws Exception {
    String session = initialize("{}");
    List<JsonNode> all = new ArrayList<>();
    events(callTool(session, "asking.log3")).forEachRemaining(all::add);

    assertThat(all).extracting(event -> event.path("method").asText("answer"))
        .containsExactly("notifications/message", "notifications/message", "notifications/message", "answer");
  }

  private String initialize(String capabilities) throws Exception {
    HttpResponse<String> opened = post(null, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
        + "\"2025-06-18\",\"capabilities\":" + capabilities + "}}", "application/json");
    return opened.headers().firstValue("Mcp-Session-Id").orElseThrow();
  }

  private HttpResponse<Stream<String>> callTool(String session, String tool) throws Exception {
    HttpRequest request = request(session, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":\"" + tool
        + "\",\"arguments\":{}}}", "application/json, text/event-stream");
    HttpResponse<Stream<String>> response = client.send(request, HttpResponse.BodyHandlers.ofLines());
    assertThat(response.headers().firstValue("Content-Type")).hasValue("text/event-stream");
    return response;
  }

  /** The JSON messages of an SSE answer, each read as it arrives. */
  private Iterator<JsonNode> events(HttpResponse<Stream<String>> response) {
    return response.body().filter(line -> line.startsWith("data: ")).map(line -> {
      try {
        return json.readTree(line.substring("data: ".length()));
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }).iterator();
  }

  private HttpResponse<String> post(String session, String body, String accept) throws Exception {
    return client.send(request(session, body, accept), HttpResponse.BodyHandlers.ofString());
  }

  private HttpRequest request(String session, String body, String accept) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/mcp"))
        .timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/json")
        .header("Accept", accept)
        .POST(HttpRequest.BodyPublishers.ofString(body));
    if (session != null) {
      request.header("Mcp-Session-Id", session);
    }
    return request.build();
  }
}
