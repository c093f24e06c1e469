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
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * MCP 2026-07-28 {@code subscriptions/listen} over HTTP: the resources a listener may read are
 * subscribed upstream and acknowledged, their updates arrive on the listen's stream with its
 * subscription id, what the policy denies is left out, and the upstream is unsubscribed when
 * the stream closes.
 */
class SubscriptionsListenHttpTest {

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

  private HttpResponse<Stream<String>> listen(String workflow, String filter) throws Exception {
    String body = "{\"jsonrpc\":\"2.0\",\"id\":\"sub-1\",\"method\":\"subscriptions/listen\",\"params\":{\"_meta\":{"
        + "\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\",\"io.modelcontextprotocol/clientInfo\":{\"name\":\"t\","
        + "\"version\":\"1\"},\"io.modelcontextprotocol/clientCapabilities\":{}},\"notifications\":" + filter + "}}";
    return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + "/mcp"))
        .header("Content-Type", "application/json").header("Accept", "application/json, text/event-stream")
        .header("MCP-Protocol-Version", "2026-07-28").header("Mcp-Method", "subscriptions/listen").header("X-MCP-Workflow-ID", workflow)
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofLines());
  }

  @Test
  void allowedResourcesAreAcknowledgedAndTheirUpdatesCarryTheSubscriptionId() throws Exception {
    HttpResponse<Stream<String>> stream = listen("w",
        "{\"toolsListChanged\":true,\"resourceSubscriptions\":[\"" + URI_ACME + "\",\"nowhere://x\"]}");
    assertThat(stream.statusCode()).isEqualTo(200);
    assertThat(stream.headers().firstValue("Content-Type")).contains("text/event-stream");
    BlockingQueue<String> lines = lines(stream);

    JsonNode acknowledged = GatewayUnderTest.parse(nextData(lines));
    assertThat(acknowledged.path("method").asText()).isEqualTo("notifications/subscriptions/acknowledged");
    assertThat(acknowledged.at("/params/_meta/io.modelcontextprotocol~1subscriptionId").asText()).isEqualTo("sub-1");
    // Only what the gateway honours: the list changes asked for (relayed from the servers) and the resource it may read.
    assertThat(acknowledged.at("/params/notifications").toString())
        .isEqualTo("{\"toolsListChanged\":true,\"resourceSubscriptions\":[\"" + URI_ACME + "\"]}");

    String update = nextData(lines);
    JsonNode notification = GatewayUnderTest.parse(update);
    assertThat(notification.path("method").asText()).isEqualTo("notifications/resources/updated");
    assertThat(notification.at("/params/uri").asText()).isEqualTo(URI_ACME);
    assertThat(notification.at("/params/_meta/io.modelcontextprotocol~1subscriptionId").asText()).isEqualTo("sub-1");
    assertThat(update).doesNotContain("alice");
    assertThat(Files.readAllLines(subscriptionLog)).containsExactly("subscribe " + URI_ACME);
    assertThat(gateway.auditEntries()).anySatisfy(entry -> {
      assertThat(entry.path("tool").asText()).isEqualTo("crm:" + URI_ACME);
      assertThat(entry.path("action").asText()).isEqualTo("read_resource");
      assertThat(entry.path("decision").asText()).isEqualTo("allow");
    });

    stream.body().close();
  }

  @Test
  void closingTheStreamEndsTheSubscriptionsUpstream() throws Exception {
    // What the HTTP side does when the client leaves (found by the keepalive, as for GET /mcp): close the stream.
    McpEndpoint.Listening listening = listenDirectly("w");
    assertThat(listening).isInstanceOf(McpEndpoint.Listening.Opened.class);
    SessionStreams.Stream stream = ((McpEndpoint.Listening.Opened) listening).stream();
    assertThat(gateway.endpoint.isOpen(stream.sessionId())).isTrue();
    assertThat(Files.readAllLines(subscriptionLog)).containsExactly("subscribe " + URI_ACME);

    stream.close();
    assertThat(gateway.endpoint.isOpen(stream.sessionId())).isFalse();
    assertThat(Files.readAllLines(subscriptionLog)).containsExactly("subscribe " + URI_ACME, "unsubscribe " + URI_ACME);
  }

  @Test
  void aListenerThePolicyDeniesIsAcknowledgedWithNothingAndTheUpstreamIsNotAsked() throws Exception {
    HttpResponse<Stream<String>> stream = listen("intruder", "{\"resourceSubscriptions\":[\"" + URI_ACME + "\"]}");
    JsonNode acknowledged = GatewayUnderTest.parse(nextData(lines(stream)));
    assertThat(acknowledged.at("/params/notifications/resourceSubscriptions").size()).isZero();
    assertThat(subscriptionLog).doesNotExist();
    stream.body().close();
  }

  @Test
  void aMalformedFilterIsRefused() throws Exception {
    HttpResponse<Stream<String>> refused = listen("w", "{\"resourceSubscriptions\":\"" + URI_ACME + "\"}");
    String body = String.join("\n", refused.body().toList());
    assertThat(body).contains("-32602").contains("resourceSubscriptions");
  }

  @Test
  void listensAreBoundedPerCaller() throws Exception {
    for (int i = 0; i < Listens.MAX_LISTENS_PER_PRINCIPAL; i++) {
      assertThat(listenDirectly("w")).isInstanceOf(McpEndpoint.Listening.Opened.class);
    }
    McpEndpoint.Listening refused = listenDirectly("w");
    assertThat(refused).isInstanceOf(McpEndpoint.Listening.Answered.class);
    assertThat(((McpEndpoint.Listening.Answered) refused).response().body().orElseThrow().at("/error/data/error").asText())
        .isEqualTo("too_many_listens");
    assertThat(listenDirectly("other")).isInstanceOf(McpEndpoint.Listening.Opened.class);
  }

  /** A listen for {@link #URI_ACME} by {@code workflow}, straight to the endpoint, as the HTTP side hands it on. */
  private McpEndpoint.Listening listenDirectly(String workflow) {
    String body = "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"subscriptions/listen\",\"params\":{\"_meta\":{"
        + "\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\",\"io.modelcontextprotocol/clientInfo\":{\"name\":\"t\","
        + "\"version\":\"1\"},\"io.modelcontextprotocol/clientCapabilities\":{}},\"notifications\":{\"resourceSubscriptions\":[\""
        + URI_ACME + "\"]}}}";
    return gateway.endpoint.listen(new McpHttpRequest(Optional.empty(), Optional.of("2026-07-28"), Optional.of(workflow),
        body.getBytes(java.nio.charset.StandardCharsets.UTF_8), Optional.empty(), dev.cmcp.gateway.auth.Identity.UNAUTHENTICATED,
        new McpHttpRequest.MirroredHeaders(Optional.of("subscriptions/listen"), Optional.empty())));
  }

  private static BlockingQueue<String> lines(HttpResponse<Stream<String>> stream) {
    return EventLines.of(stream);
  }

  private static String nextData(BlockingQueue<String> lines) throws InterruptedException {
    return EventLines.nextData(lines, Duration.ofSeconds(10));
  }
}
