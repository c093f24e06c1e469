package dev.cmcp.gateway.mcp;

import static dev.cmcp.gateway.mcp.GatewayUnderTest.piiServer;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cmcp.gateway.catalog.CatalogTool;
import dev.cmcp.gateway.config.EnforcementMode;
import dev.cmcp.gateway.config.ListenAddress;
import dev.cmcp.gateway.http.GatewayHttpServer;
import dev.cmcp.verify.base.StrictJson;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Resource subscriptions over HTTP: decided as reads, the upstream subscribed once for all
 * sessions and unsubscribed when the last leaves, and each update sent, by URI only, on the
 * standalone {@code GET /mcp} stream of the sessions that subscribed.
 */
class ResourceSubscriptionsHttpTest {

  private static final String POLICIES = """
      @id("readers")
      permit (principal == Agent::"w", action == Action::"read_resource", resource);
      """;
  private static final String URI_ACME = "crm://accounts/acme";

  @TempDir Path dir;
  private GatewayUnderTest gateway;
  private GatewayHttpServer http;
  private Path subscriptionLog;
  private final HttpClient client = HttpClient.newHttpClient();

  @BeforeEach
  void start() throws Exception {
    subscriptionLog = dir.resolve("subscriptions.log");
    gateway = GatewayUnderTest.start(dir, EnforcementMode.ENFORCING, POLICIES,
        List.of(piiServer("crm", Map.of("PII_SERVER_SUBSCRIPTION_LOG", subscriptionLog.toString()))),
        List.<CatalogTool>of());
    http = new GatewayHttpServer(new ListenAddress("127.0.0.1", 0, true), gateway.endpoint, Optional.empty(), List.of(),
        new StrictJson().mapper());
    http.start();
  }

  @AfterEach
  void stop() throws Exception {
    http.close();
    gateway.close();
  }

  @Test
  void subscribersHearUpdatesOnTheirStreamAndTheUpstreamIsSubscribedOnceForAll() throws Exception {
    String first = initialize("w");
    String second = initialize("w");
    BlockingQueue<String> events = openStream(first);

    JsonNode subscribed = post(first, "w", "resources/subscribe", "{\"uri\":\"" + URI_ACME + "\"}");
    assertThat(subscribed.path("result").isObject()).as(subscribed.toString()).isTrue();
    String update = nextData(events);
    JsonNode notification = GatewayUnderTest.parse(update);
    assertThat(notification.path("method").asText()).isEqualTo("notifications/resources/updated");
    assertThat(notification.at("/params/uri").asText()).isEqualTo(URI_ACME);
    // Only the URI is passed on: the server's title held personal data.
    assertThat(update).doesNotContain("alice");

    assertThat(post(second, "w", "resources/subscribe", "{\"uri\":\"" + URI_ACME + "\"}").path("result").isObject()).isTrue();
    assertThat(Files.readAllLines(subscriptionLog)).containsExactly("subscribe " + URI_ACME);

    assertThat(post(first, "w", "resources/unsubscribe", "{\"uri\":\"" + URI_ACME + "\"}").path("result").isObject()).isTrue();
    assertThat(Files.readAllLines(subscriptionLog)).containsExactly("subscribe " + URI_ACME);
    HttpResponse<String> ended = client.send(request(second, "w").DELETE().build(), HttpResponse.BodyHandlers.ofString());
    assertThat(ended.statusCode()).isEqualTo(204);
    assertThat(Files.readAllLines(subscriptionLog)).containsExactly("subscribe " + URI_ACME, "unsubscribe " + URI_ACME);

    List<JsonNode> decisions = gateway.auditEntries().stream()
        .filter(entry -> entry.path("tool").asText().equals("crm:" + URI_ACME) && entry.has("decision")).toList();
    assertThat(decisions).hasSize(2).allSatisfy(entry -> assertThat(entry.path("action").asText()).isEqualTo("read_resource"));
  }

  @Test
  void aSubscriptionThePolicyDeniesIsRefusedAndNeverReachesTheUpstream() throws Exception {
    String session = initialize("intruder");
    HttpResponse<String> denied = client.send(request(session, "intruder")
        .POST(HttpRequest.BodyPublishers.ofString(rpc("resources/subscribe", "{\"uri\":\"" + URI_ACME + "\"}"))).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(denied.statusCode()).isEqualTo(403);
    assertThat(GatewayUnderTest.parse(denied.body()).at("/error/data/error").asText()).isEqualTo("resource_read_denied");
    assertThat(subscriptionLog).doesNotExist();
  }

  @Test
  void aStreamNeedsAnOpenSessionAndAnEventStreamAccept() throws Exception {
    HttpResponse<String> noSession = client.send(HttpRequest.newBuilder(mcp()).header("Accept", "text/event-stream").GET().build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(noSession.statusCode()).isEqualTo(400);
    HttpResponse<String> unknown = client.send(HttpRequest.newBuilder(mcp()).header("Accept", "text/event-stream")
        .header("Mcp-Session-Id", "0".repeat(32)).GET().build(), HttpResponse.BodyHandlers.ofString());
    assertThat(unknown.statusCode()).isEqualTo(404);
    HttpResponse<String> json = client.send(HttpRequest.newBuilder(mcp()).header("Accept", "application/json")
        .header("Mcp-Session-Id", initialize("w")).GET().build(), HttpResponse.BodyHandlers.ofString());
    assertThat(json.statusCode()).isEqualTo(406);
  }

  private URI mcp() {
    return URI.create("http://127.0.0.1:" + http.port() + "/mcp");
  }

  private HttpRequest.Builder request(String session, String workflow) {
    HttpRequest.Builder builder = HttpRequest.newBuilder(mcp()).header("Content-Type", "application/json")
        .header("Accept", "application/json, text/event-stream").header("X-MCP-Workflow-ID", workflow);
    return session == null ? builder : builder.header("Mcp-Session-Id", session);
  }

  private static String rpc(String method, String params) {
    return "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"" + method + "\",\"params\":" + params + "}";
  }

  private String initialize(String workflow) throws Exception {
    HttpResponse<String> opened = client.send(request(null, workflow).POST(HttpRequest.BodyPublishers.ofString(rpc("initialize",
        "{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}"))).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(GatewayUnderTest.parse(opened.body()).at("/result/capabilities/resources/subscribe").asBoolean()).isTrue();
    return opened.headers().firstValue("Mcp-Session-Id").orElseThrow();
  }

  private JsonNode post(String session, String workflow, String method, String params) throws Exception {
    HttpResponse<String> answer = client.send(request(session, workflow).POST(HttpRequest.BodyPublishers.ofString(rpc(method, params))).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
    return GatewayUnderTest.parse(answer.body());
  }

  /** Opens the session's GET stream; its lines arrive in the queue as they come. */
  private BlockingQueue<String> openStream(String session) throws Exception {
    HttpResponse<java.util.stream.Stream<String>> stream = client.send(HttpRequest.newBuilder(mcp())
        .header("Accept", "text/event-stream").header("Mcp-Session-Id", session).GET().build(),
        HttpResponse.BodyHandlers.ofLines());
    assertThat(stream.statusCode()).isEqualTo(200);
    assertThat(stream.headers().firstValue("Content-Type")).contains("text/event-stream");
    return EventLines.of(stream);
  }

  private static String nextData(BlockingQueue<String> lines) throws InterruptedException {
    return EventLines.nextData(lines, Duration.ofSeconds(10));
  }
}
