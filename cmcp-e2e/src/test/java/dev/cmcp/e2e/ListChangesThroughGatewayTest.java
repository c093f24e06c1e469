package dev.cmcp.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real clients hear of list changes through the gateway: the official TypeScript SDK and the MCP
 * Java SDK, each on the {@code GET /mcp} stream it opens itself, in front of an upstream built on
 * the official TypeScript SDK's McpServer whose tool list changes when asked
 * (interop/servers/list-changing-server.mjs), and after a catalog reload.
 */
class ListChangesThroughGatewayTest {

  @TempDir Path tmp;

  private static Catalog catalog() {
    return new Catalog()
        .stdioServer("lc", "node", Repo.root().resolve("interop/servers/list-changing-server.mjs").toString())
        .tool("lc", "echo")
        .tool("lc", "add-tool")
        .tool("lc", "extra");
  }

  @Test
  void theTypeScriptSdkHearsAServersToolListChangeAndListsTheNewTool() throws Exception {
    Repo.interop("@modelcontextprotocol/sdk/package.json");
    try (GatewayProcess gateway = GatewayProcess.start(Deployments.permitAll(tmp, catalog().json()), Map.of("CMCP_DEV_MODE", "1"))) {
      JsonNode seen = TypeScriptSdkClientsTest.run("@modelcontextprotocol/sdk", gateway.baseUrl() + "/mcp", """
          [{"do":"listTools"},
           {"do":"callTool","name":"lc.add-tool"},
           {"do":"awaitListChanged","list":"tools"},
           {"do":"listTools"}]
          """);
      JsonNode steps = seen.path("steps");
      assertThat(names(steps.at("/0/result/tools"))).as(seen.toString()).containsExactly("lc.add-tool", "lc.echo");
      assertThat(steps.at("/2/result/heard").asInt()).as(seen.toString()).isEqualTo(1);
      assertThat(names(steps.at("/3/result/tools"))).as(seen.toString()).containsExactly("lc.add-tool", "lc.echo", "lc.extra");
      assertThat(seen.path("listChanges").valueStream().map(JsonNode::asText).toList()).containsExactly("tools");
    }
  }

  @Test
  void theJavaSdkHearsAServersToolListChangeAndACatalogReload() throws Exception {
    Repo.interop("@modelcontextprotocol/sdk/package.json");
    ObjectNode catalog = catalog().json();
    Path config = Deployments.permitAll(tmp, catalog, Map.of("policy_reload_interval_seconds", "1"));
    try (GatewayProcess gateway = GatewayProcess.start(config, Map.of("CMCP_DEV_MODE", "1"))) {
      // The SDK answers each tools/list_changed with a tools/list of its own and hands the list here.
      BlockingQueue<List<String>> lists = new LinkedBlockingQueue<>();
      McpSyncClient client = io.modelcontextprotocol.client.McpClient
          .sync(HttpClientStreamableHttpTransport.builder(gateway.baseUrl()).endpoint("/mcp").build())
          .clientInfo(new McpSchema.Implementation("cmcp-e2e-java-sdk", "1.0.0"))
          .requestTimeout(Duration.ofSeconds(30))
          .toolsChangeConsumer(tools -> lists.add(tools.stream().map(McpSchema.Tool::name).sorted().toList()))
          .build();
      try {
        McpSchema.InitializeResult init = client.initialize();
        assertThat(init.capabilities().tools().listChanged()).isTrue();
        assertThat(client.listTools().tools()).extracting(McpSchema.Tool::name).containsExactlyInAnyOrder("lc.echo", "lc.add-tool");

        client.callTool(new McpSchema.CallToolRequest("lc.add-tool", Map.of()));
        assertThat(next(lists)).containsExactly("lc.add-tool", "lc.echo", "lc.extra");

        // The operator takes echo out of the catalog: the reload is told as a tool list change.
        ArrayNode tools = catalog.putArray("tools");
        tools.addObject().put("tool_name", "lc.add-tool").put("server", "lc");
        tools.addObject().put("tool_name", "lc.extra").put("server", "lc");
        McpClient.JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.resolve("catalog.json").toFile(), catalog);
        assertThat(next(lists)).containsExactly("lc.add-tool", "lc.extra");
      } finally {
        client.closeGracefully();
      }
      assertThat(gateway.output()).contains("agents are told that these lists may have changed: [notifications/tools/list_changed]");
    }
  }

  /** The next list the SDK handed over; waits for it, failing after 60 s, which no correct run comes near. */
  private static List<String> next(BlockingQueue<List<String>> lists) throws InterruptedException {
    List<String> list = lists.poll(60, TimeUnit.SECONDS);
    assertThat(list).as("a tool list change reached the SDK").isNotNull();
    return list;
  }

  private static List<String> names(JsonNode tools) {
    return tools.valueStream().map(tool -> tool.path("name").asText()).sorted().toList();
  }
}
