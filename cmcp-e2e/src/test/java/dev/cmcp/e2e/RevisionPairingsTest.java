package dev.cmcp.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The four pairings of MCP revisions through the gateway, with software this project did not
 * write on the upstream side: a 2025-era upstream ({@code old}: server-everything, which speaks
 * 2025 only) and a 2026-07-28 upstream ({@code new}: interop/servers/sdk2-server.mjs, the
 * official TypeScript SDK 2.x serving 2026-07-28 only, which refuses the gateway's initialize;
 * the gateway then finds 2026-07-28 with {@code server/discover} and speaks it), each in front of
 * a 2025-06-18 agent (initialize, session) and a 2026-07-28 agent (stateless, {@code _meta}
 * envelope). Each pairing lists, calls and reads.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RevisionPairingsTest {

  private static final String OLD_RESOURCE = "demo://resource/static/document/architecture.md";
  private static final String NEW_RESOURCE = "sdk2://greeting";
  private static final String ENVELOPE = "\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\","
      + "\"io.modelcontextprotocol/clientInfo\":{\"name\":\"cmcp-e2e-2026\",\"version\":\"1\"},"
      + "\"io.modelcontextprotocol/clientCapabilities\":{}}";

  @TempDir static Path dir;
  private NodeServer oldServer;
  private NodeServer newServer;
  private GatewayProcess gateway;
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  void start() throws Exception {
    oldServer = NodeServer.everythingOverHttp();
    newServer = NodeServer.sdk2OverHttp();
    Catalog catalog = new Catalog()
        .httpServer("old", oldServer.mcpUrl())
        .tool("old", "echo")
        .httpServer("new", newServer.mcpUrl())
        .tool("new", "echo");
    gateway = GatewayProcess.start(Deployments.permitAll(dir, catalog.json()), Map.of("CMCP_DEV_MODE", "1"));
  }

  @AfterAll
  void stop() throws Exception {
    try (GatewayProcess g = gateway; NodeServer o = oldServer; NodeServer n = newServer) {
      // closes all three, the gateway first
    }
  }

  /** A 2026-07-28 request to the gateway: no session, the envelope in _meta, the method (and name) in headers too. */
  private JsonNode modern(String method, String name, String params) throws Exception {
    String body = "{\"jsonrpc\":\"2.0\",\"id\":\"m-1\",\"method\":\"" + method + "\",\"params\":{" + ENVELOPE
        + (params.isEmpty() ? "" : "," + params) + "}}";
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(gateway.baseUrl() + "/mcp")).timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/json").header("Accept", "application/json, text/event-stream")
        .header("MCP-Protocol-Version", "2026-07-28").header("Mcp-Method", method)
        .POST(HttpRequest.BodyPublishers.ofString(body));
    if (name != null) {
      request.header("Mcp-Name", name);
    }
    HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    String text = response.body();
    if (response.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream")) {
      text = text.lines().filter(line -> line.startsWith("data:")).reduce((first, last) -> last).orElseThrow().substring(5);
    }
    return McpClient.JSON.readTree(text);
  }

  private static String echoText(JsonNode answer) {
    return answer.path("result").path("content").path(0).path("text").asText();
  }

  private static String resourceText(JsonNode answer) {
    return answer.path("result").path("contents").path(0).path("text").asText();
  }

  @Test
  void aSessionAgentOf2025ListsCallsAndReadsOnBothUpstreams() throws Exception {
    StreamableSession agent = StreamableSession.open(gateway.baseUrl() + "/mcp");

    JsonNode tools = agent.request("tools/list", "{}").path("result").path("tools");
    assertThat(tools.valueStream().map(tool -> tool.path("name").asText())).contains("old.echo", "new.echo");

    assertThat(echoText(agent.request("tools/call", "{\"name\":\"old.echo\",\"arguments\":{\"message\":\"to 2025\"}}")))
        .isEqualTo("Echo: to 2025");
    JsonNode toNew = agent.request("tools/call", "{\"name\":\"new.echo\",\"arguments\":{\"message\":\"to 2026\"}}");
    assertThat(echoText(toNew)).isEqualTo("echo: to 2026");
    assertThat(toNew.path("result").has("resultType")).as("a 2025 agent gets a 2025 result").isFalse();

    assertThat(resourceText(agent.request("resources/read", "{\"uri\":\"" + OLD_RESOURCE + "\"}"))).isNotBlank();
    assertThat(resourceText(agent.request("resources/read", "{\"uri\":\"" + NEW_RESOURCE + "\"}")))
        .isEqualTo("hello from the 2026-07-28 server");
    agent.end();
  }

  @Test
  void aStatelessAgentOf2026ListsCallsAndReadsOnBothUpstreams() throws Exception {
    JsonNode tools = modern("tools/list", null, "").path("result").path("tools");
    assertThat(tools.valueStream().map(tool -> tool.path("name").asText())).contains("old.echo", "new.echo");

    JsonNode toOld = modern("tools/call", "old.echo", "\"name\":\"old.echo\",\"arguments\":{\"message\":\"to 2025\"}");
    assertThat(echoText(toOld)).isEqualTo("Echo: to 2025");
    assertThat(toOld.path("result").path("resultType").asText()).isEqualTo("complete");
    JsonNode toNew = modern("tools/call", "new.echo", "\"name\":\"new.echo\",\"arguments\":{\"message\":\"to 2026\"}");
    assertThat(echoText(toNew)).isEqualTo("echo: to 2026");
    assertThat(toNew.path("result").path("resultType").asText()).isEqualTo("complete");

    assertThat(resourceText(modern("resources/read", OLD_RESOURCE, "\"uri\":\"" + OLD_RESOURCE + "\""))).isNotBlank();
    assertThat(resourceText(modern("resources/read", NEW_RESOURCE, "\"uri\":\"" + NEW_RESOURCE + "\"")))
        .isEqualTo("hello from the 2026-07-28 server");
  }

  @Test
  void theGatewaySpeaks2026ToTheUpstreamThatOffersItAnd2025ToTheOther() throws Exception {
    StreamableSession agent = StreamableSession.open(gateway.baseUrl() + "/mcp");
    agent.request("tools/call", "{\"name\":\"new.echo\",\"arguments\":{\"message\":\"x\"}}");
    agent.request("tools/call", "{\"name\":\"old.echo\",\"arguments\":{\"message\":\"x\"}}");
    agent.end();

    // sdk2-server.mjs prints each request's MCP-Protocol-Version and Mcp-Method headers.
    assertThat(newServer.output()).contains("request POST 2026-07-28 server/discover", "request POST 2026-07-28 tools/call");
    assertThat(newServer.output().stream().filter(line -> line.equals("request POST - -")))
        .as("the 2025 handshake was tried once, refused, and not again for later agent sessions").hasSize(1);
    assertThat(oldServer.output()).as("the 2025-only server keeps its sessions").anyMatch(line -> line.contains("Session initialized with ID"));
  }
}
