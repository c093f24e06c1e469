package dev.cmcp.gateway.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cmcp.gateway.catalog.CatalogPrompt;
import dev.cmcp.gateway.catalog.CatalogTool;
import dev.cmcp.gateway.config.DenyResponse;
import dev.cmcp.gateway.config.EnforcementMode;
import dev.cmcp.gateway.config.ListenAddress;
import dev.cmcp.gateway.http.GatewayHttpServer;
import dev.cmcp.gateway.upstream.UpstreamSettings;
import dev.cmcp.verify.base.StrictJson;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
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
 * List changes reach agents over HTTP: a server's (the official TypeScript SDK's McpServer, whose
 * lists change when asked) reach every 2025 session's {@code GET /mcp} stream and the 2026-07-28
 * listens that asked for that kind; a policy reload is told as the list changes it may cause.
 */
class ListChangesHttpTest {

  private static final String POLICIES = """
      permit (principal == Agent::"w", action, resource);
      """;
  private static final String TOOLS_CHANGED = "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/tools/list_changed\"}";
  private static final String PROMPTS_CHANGED = "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/prompts/list_changed\"}";
  private static final String RESOURCES_CHANGED = "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/resources/list_changed\"}";

  @TempDir Path dir;
  private GatewayUnderTest gateway;
  private GatewayHttpServer http;
  private final HttpClient client = HttpClient.newHttpClient();
  private final List<HttpResponse<Stream<String>>> opened = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    gateway = GatewayUnderTest.start(dir, EnforcementMode.ENFORCING, POLICIES,
        List.of(GatewayUnderTest.listChangingServer("lc")),
        List.of(tool("lc.echo", "echo"), tool("lc.add-tool", "add-tool"), tool("lc.add-prompt", "add-prompt"),
            tool("lc.add-resource", "add-resource"), tool("lc.extra", "extra")),
        List.of(new CatalogPrompt("extra-prompt", "lc", "extra-prompt")), List.of(),
        new UpstreamSettings(Duration.ofSeconds(20), 1024 * 1024), DenyResponse.HTTP_403, CallControls.defaults());
    http = new GatewayHttpServer(new ListenAddress("127.0.0.1", 0, true), gateway.endpoint, Optional.empty(), List.of(),
        new StrictJson().mapper());
    http.start();
  }

  @AfterEach
  void stop() throws Exception {
    for (HttpResponse<Stream<String>> stream : opened) {
      stream.body().close();
    }
    http.close();
    gateway.close();
  }

  @Test
  void aServersToolListChangeReachesEverySessionsStreamAndTheNextListShowsIt() throws Exception {
    JsonNode initialized = initialize();
    assertThat(initialized.at("/result/capabilities/tools/listChanged").asBoolean()).isTrue();
    assertThat(initialized.at("/result/capabilities/prompts/listChanged").asBoolean()).isTrue();
    assertThat(initialized.at("/result/capabilities/resources/listChanged").asBoolean()).isTrue();
    String caller = initialized.path("session").asText();
    String other = initialize().path("session").asText();
    BlockingQueue<String> callerEvents = stream(caller);
    BlockingQueue<String> otherEvents = stream(other);
    assertThat(toolNames(other)).doesNotContain("lc.extra");

    JsonNode added = post(caller, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"lc.add-tool\",\"arguments\":{}}}");
    assertThat(added.at("/result/content/0/text").asText()).isEqualTo("added");

    // Exactly the method: not which server changed, nothing of the server's own notification.
    assertThat(nextData(callerEvents)).isEqualTo(TOOLS_CHANGED);
    assertThat(nextData(otherEvents)).isEqualTo(TOOLS_CHANGED);
    assertThat(toolNames(other)).contains("lc.extra");
  }

  @Test
  void aChangeForASessionWithoutAStreamReachesItsNextStream() throws Exception {
    String session = initialize().path("session").asText();
    post(session, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"lc.add-resource\",\"arguments\":{}}}");
    post(session, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"lc.add-prompt\",\"arguments\":{}}}");

    // The SDKs open their GET stream after initialize without waiting for it, so a change may come first.
    BlockingQueue<String> events = stream(session);
    assertThat(List.of(nextData(events), nextData(events))).containsExactlyInAnyOrder(RESOURCES_CHANGED, PROMPTS_CHANGED);
    assertThat(post(session, "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"prompts/list\"}").at("/result/prompts").toString())
        .contains("\"name\":\"extra-prompt\"");
  }

  @Test
  void aPolicyReloadTellsSessionsAndListensOfTheListsItMayChange() throws Exception {
    String session = initialize().path("session").asText();
    BlockingQueue<String> sessionEvents = stream(session);
    HttpResponse<Stream<String>> listen = listen("{\"toolsListChanged\":true,\"resourcesListChanged\":true}");
    BlockingQueue<String> listenEvents = lines(listen);
    JsonNode acknowledged = GatewayUnderTest.parse(nextData(listenEvents));
    assertThat(acknowledged.at("/params/notifications").toString())
        .isEqualTo("{\"toolsListChanged\":true,\"resourcesListChanged\":true,\"resourceSubscriptions\":[]}");

    gateway.reloadPolicies("""
        permit (principal == Agent::"w", action == Action::"call_tool", resource == Tool::"lc.echo");
        """);

    // A new bundle can change any list the policy filters; the session hears of each, once.
    assertThat(List.of(nextData(sessionEvents), nextData(sessionEvents), nextData(sessionEvents)))
        .containsExactlyInAnyOrder(TOOLS_CHANGED, PROMPTS_CHANGED, RESOURCES_CHANGED);
    // The listen asked for tools and resources only, and hears them with its subscription id.
    List<JsonNode> heard = List.of(GatewayUnderTest.parse(nextData(listenEvents)), GatewayUnderTest.parse(nextData(listenEvents)));
    assertThat(heard).extracting(n -> n.path("method").asText())
        .containsExactlyInAnyOrder("notifications/tools/list_changed", "notifications/resources/list_changed");
    assertThat(heard).allSatisfy(n -> assertThat(n.at("/params/_meta/io.modelcontextprotocol~1subscriptionId").asText()).isEqualTo("sub-1"));
    assertThat(toolNames(session)).containsExactly("lc.echo");
  }

  private static CatalogTool tool(String name, String upstreamName) {
    return new CatalogTool(name, "lc", upstreamName, Map.of());
  }

  /** An initialize over HTTP, its answer with the session id added as {@code session}. */
  private JsonNode initialize() throws Exception {
    HttpResponse<String> answer = client.send(request(Optional.empty()).POST(HttpRequest.BodyPublishers.ofString(
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},"
            + "\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}")).build(), HttpResponse.BodyHandlers.ofString());
    com.fasterxml.jackson.databind.node.ObjectNode body = GatewayUnderTest.parse(answer.body());
    body.put("session", answer.headers().firstValue("Mcp-Session-Id").orElseThrow());
    return body;
  }

  private JsonNode post(String session, String body) throws Exception {
    HttpResponse<String> answer = client.send(request(Optional.of(session)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
    return GatewayUnderTest.parse(answer.body());
  }

  private List<String> toolNames(String session) throws Exception {
    return post(session, "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/list\"}").at("/result/tools").valueStream()
        .map(tool -> tool.path("name").asText()).toList();
  }

  private HttpRequest.Builder request(Optional<String> session) {
    HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + "/mcp"))
        .header("Content-Type", "application/json").header("Accept", "application/json").header("X-MCP-Workflow-ID", "w");
    session.ifPresent(id -> builder.header("Mcp-Session-Id", id).header("MCP-Protocol-Version", "2025-11-25"));
    return builder;
  }

  /** The session's standalone stream ({@code GET /mcp}), its lines as they come. */
  private BlockingQueue<String> stream(String session) throws Exception {
    HttpResponse<Stream<String>> stream = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + "/mcp"))
        .header("Accept", "text/event-stream").header("Mcp-Session-Id", session).header("MCP-Protocol-Version", "2025-11-25")
        .header("X-MCP-Workflow-ID", "w").GET().build(), HttpResponse.BodyHandlers.ofLines());
    assertThat(stream.statusCode()).isEqualTo(200);
    return lines(stream);
  }

  private HttpResponse<Stream<String>> listen(String filter) throws Exception {
    String body = "{\"jsonrpc\":\"2.0\",\"id\":\"sub-1\",\"method\":\"subscriptions/listen\",\"params\":{\"_meta\":{"
        + "\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\",\"io.modelcontextprotocol/clientInfo\":{\"name\":\"t\","
        + "\"version\":\"1\"},\"io.modelcontextprotocol/clientCapabilities\":{}},\"notifications\":" + filter + "}}";
    return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + "/mcp"))
        .header("Content-Type", "application/json").header("Accept", "application/json, text/event-stream")
        .header("MCP-Protocol-Version", "2026-07-28").header("Mcp-Method", "subscriptions/listen").header("X-MCP-Workflow-ID", "w")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofLines());
  }

  private BlockingQueue<String> lines(HttpResponse<Stream<String>> stream) {
    opened.add(stream);
    return EventLines.of(stream);
  }

  private static String nextData(BlockingQueue<String> lines) throws InterruptedException {
    return EventLines.nextData(lines, Duration.ofSeconds(20));
  }
}
