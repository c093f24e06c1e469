package dev.cmcp.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The official TypeScript SDK as the agent, in an old release that speaks only 2025-03-26 and
 * 2024-11-05 (1.12, still common) and in the release pinned as current, side by side in front of
 * server-everything. Each runs interop/clients/sdk-client.mjs, which prints what the SDK saw.
 */
class TypeScriptSdkClientsTest {

  private static final String STEPS = """
      [{"do":"listTools"},
       {"do":"callTool","name":"everything.echo","arguments":{"message":"héllo \\"sdk\\""}},
       {"do":"callTool","name":"everything.get-env"},
       {"do":"getPrompt","name":"simple"},
       {"do":"readResource","uri":"demo://resource/static/document/features.md"},
       {"do":"subscribe","uri":"demo://resource/static/document/features.md"},
       {"do":"unsubscribe","uri":"demo://resource/static/document/features.md"}]
      """;

  @TempDir Path tmp;

  @Test
  void oldAndCurrentSdkClientsListCallGetPromptsReadSubscribeAndSeeMcpErrorsForCatalogRefusals() throws Exception {
    Catalog catalog = new Catalog()
        .stdioServer("everything", "node", Repo.serverEverything().toString(), "stdio")
        .tool("everything", "echo")
        .promptAlias("simple", "everything", "simple-prompt");
    try (GatewayProcess gateway = GatewayProcess.start(Deployments.permitAll(tmp, catalog.json()), Map.of("CMCP_DEV_MODE", "1"))) {
      String url = gateway.baseUrl() + "/mcp";
      for (String sdk : List.of("sdk-1-12", "@modelcontextprotocol/sdk")) {
        JsonNode seen = run(sdk, url, STEPS);
        assertThat(seen.path("server").asText()).as(sdk).isEqualTo("cmcp-gateway");
        JsonNode steps = seen.path("steps");
        assertThat(steps.at("/0/result/tools").valueStream().map(t -> t.path("name").asText()).toList())
            .as(sdk).containsExactly("everything.echo");
        assertThat(steps.at("/1/result/content/0/text").asText()).as(sdk).isEqualTo("Echo: héllo \"sdk\"");
        // A tool outside the catalog: an MCP error the SDK reports as such, not a failed transport.
        assertThat(steps.at("/2/error/transport").asBoolean()).as(sdk).isFalse();
        assertThat(steps.at("/2/error/code").asInt()).as(sdk).isEqualTo(-32602);
        assertThat(steps.at("/2/error/message").asText()).as(sdk).contains("everything.get-env is not in the catalog");
        // The catalog's prompt alias, a governed read, and a subscription made and given up.
        assertThat(steps.at("/3/result/messages").size()).as(sdk + " " + steps.get(3)).isPositive();
        assertThat(steps.at("/4/result/contents/0/uri").asText()).as(sdk + " " + steps.get(4))
            .isEqualTo("demo://resource/static/document/features.md");
        assertThat(steps.get(5).has("result")).as(sdk + " " + steps.get(5)).isTrue();
        assertThat(steps.get(6).has("result")).as(sdk + " " + steps.get(6)).isTrue();
      }
      // The old SDK accepts only 2025-03-26 and 2024-11-05; it connected, so the gateway answered its version.
      assertThat(gateway.output()).contains("opened by cmcp-interop (MCP 2025-03-26)");
    }
  }

  @Test
  void theCurrentSdkRunsAToolAsATaskThroughTheGatewayAndSeesOnlyItsOwnTasks() throws Exception {
    Catalog catalog = new Catalog()
        .stdioServer("everything", "node", Repo.serverEverything().toString(), "stdio")
        .tool("everything", "simulate-research-query");
    try (GatewayProcess gateway = GatewayProcess.start(Deployments.permitAll(tmp, catalog.json()), Map.of("CMCP_DEV_MODE", "1"))) {
      String url = gateway.baseUrl() + "/mcp";
      JsonNode seen = run("@modelcontextprotocol/sdk", url, """
          [{"do":"callToolTask","name":"everything.simulate-research-query","arguments":{"topic":"tides"}},
           {"do":"listTasks"}]
          """);
      assertThat(seen.path("protocolVersion").asText()).isEqualTo("2025-11-25");
      List<JsonNode> messages = seen.at("/steps/0/result/messages").valueStream().toList();
      assertThat(messages).as(seen.toString()).isNotEmpty();
      assertThat(messages.getFirst().path("type").asText()).isEqualTo("taskCreated");
      String taskId = messages.getFirst().at("/task/taskId").asText();
      assertThat(taskId).startsWith("cmcp-task-");
      assertThat(messages.getLast().path("type").asText()).as(seen.toString()).isEqualTo("result");
      assertThat(messages.getLast().at("/result/content/0/text").asText()).contains("Research Report: tides");
      assertThat(seen.at("/steps/1/result/tasks/0/taskId").asText()).as(seen.toString()).isEqualTo(taskId);
      assertThat(seen.at("/steps/1/result/tasks/0/status").asText()).isEqualTo("completed");
      // Another client (another session) neither lists nor reaches it.
      JsonNode other = run("@modelcontextprotocol/sdk", url, "[{\"do\":\"listTasks\"},{\"do\":\"getTask\",\"taskId\":\"" + taskId + "\"}]");
      assertThat(other.at("/steps/0/result/tasks").size()).as(other.toString()).isZero();
      assertThat(other.at("/steps/1/error/code").asInt()).as(other.toString()).isEqualTo(-32602);
      assertThat(other.at("/steps/1/error/transport").asBoolean()).isFalse();
    }
  }

  static JsonNode run(String sdk, String url, String steps) throws Exception {
    return run(sdk, url, steps, List.of());
  }

  /** @param more further arguments of sdk-client.mjs: the elicitation answer */
  static JsonNode run(String sdk, String url, String steps, List<String> more) throws Exception {
    Path script = Repo.root().resolve("interop/clients/sdk-client.mjs");
    List<String> command = new java.util.ArrayList<>(List.of("node", script.toString(), sdk, url, steps.strip()));
    command.addAll(more);
    NodeServer.Finished finished = NodeServer.run(command, 60);
    assertThat(finished.exitCode()).as(finished.output()).isZero();
    String output = finished.output().strip();
    return McpClient.JSON.readTree(output.substring(output.lastIndexOf('\n') + 1));
  }
}
