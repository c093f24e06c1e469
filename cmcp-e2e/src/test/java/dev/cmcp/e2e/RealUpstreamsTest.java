package dev.cmcp.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * MCP servers this project did not write behind one gateway: server-everything over stdio
 * ({@code everything}) and over Streamable HTTP ({@code web}), and server-memory over stdio
 * ({@code memory}). What the upstream says must reach the agent as the upstream said it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RealUpstreamsTest {

  private static final String STATIC_ID = "\"_cmcp\":{\"session_id\":\"interop\",\"workflow_id\":\"interop\"}";

  @TempDir static Path dir;
  private NodeServer web;
  private GatewayProcess gateway;
  private McpClient agent;
  private StreamableSession direct;

  @BeforeAll
  void start() throws Exception {
    web = NodeServer.everythingOverHttp();
    Catalog catalog = new Catalog()
        .stdioServer("everything", "node", Repo.serverEverything().toString(), "stdio")
        .tool("everything", "echo")
        .httpServer("web", web.mcpUrl())
        .tool("web", "echo")
        .tool("web", "get-annotated-message")
        .tool("web", "get-structured-content")
        .tool("web", "trigger-long-running-operation")
        .alias("web.missing", "web", "no-such-tool")
        .stdioServer("memory", "node", Repo.interop("@modelcontextprotocol/server-memory/dist/index.js").toString())
        .env("memory", "MEMORY_FILE_PATH", dir.resolve("memory.jsonl").toString())
        .tool("memory", "create_entities")
        .tool("memory", "add_observations")
        .tool("memory", "search_nodes");
    gateway = GatewayProcess.start(Deployments.permitAll(dir, catalog.json()), Map.of("CMCP_DEV_MODE", "1"));
    agent = new McpClient(gateway.baseUrl());
    direct = StreamableSession.open(web.mcpUrl());
  }

  @AfterAll
  void stop() throws Exception {
    try (GatewayProcess g = gateway; NodeServer w = web) {
      // closes both, the gateway first
    }
  }

  @Test
  void toolDefinitionsArriveAsBothTransportsListThem() throws Exception {
    JsonNode listed = agent.post("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":{" + STATIC_ID + "}}").body();
    JsonNode upstream = direct.request("tools/list", "{}").path("result").path("tools");
    for (String tool : new String[] {"echo", "get-annotated-message", "get-structured-content"}) {
      ObjectNode expected = definition(upstream, tool).deepCopy();
      expected.put("name", "web." + tool);
      // title, annotations, outputSchema, $schema and execution (a field newer than this gateway) included.
      assertThat(definition(listed.path("result").path("tools"), "web." + tool)).isEqualTo(expected);
    }
    ObjectNode echoOverHttp = definition(listed.path("result").path("tools"), "web.echo").deepCopy();
    echoOverHttp.put("name", "everything.echo");
    assertThat(definition(listed.path("result").path("tools"), "everything.echo")).isEqualTo(echoOverHttp);
  }

  @Test
  void resultsArriveAsTheUpstreamSentThem() throws Exception {
    String arguments = "{\"messageType\":\"error\",\"includeImage\":true}";
    JsonNode upstream = direct.request("tools/call", "{\"name\":\"get-annotated-message\",\"arguments\":" + arguments + "}");
    McpClient.Answer answer = agent.post(McpClient.toolCall(7, "web.get-annotated-message", arguments, "interop", "interop"));
    assertThat(answer.status()).isEqualTo(200);
    // Content annotations and the image bytes, unchanged.
    assertThat(answer.body().path("result")).isEqualTo(upstream.path("result"));
    assertThat(answer.body().path("result").path("content").get(0).path("annotations").path("priority").asInt()).isEqualTo(1);

    JsonNode structured = agent.post(McpClient.toolCall(8, "web.get-structured-content", "{\"location\":\"Chicago\"}", "interop", "interop")).body();
    assertThat(structured.path("result")).isEqualTo(
        direct.request("tools/call", "{\"name\":\"get-structured-content\",\"arguments\":{\"location\":\"Chicago\"}}").path("result"));
  }

  @Test
  void upstreamErrorsArriveAsTheUpstreamSentThem() throws Exception {
    // A tool error (isError) from each transport.
    JsonNode overHttp = agent.post(McpClient.toolCall(9, "web.echo", "{}", "interop", "interop")).body();
    assertThat(overHttp.path("result")).isEqualTo(direct.request("tools/call", "{\"name\":\"echo\",\"arguments\":{}}").path("result"));
    assertThat(overHttp.path("result").path("isError").asBoolean()).isTrue();
    JsonNode overStdio = agent.post(McpClient.toolCall(10, "everything.echo", "{}", "interop", "interop")).body();
    assertThat(overStdio.path("result")).isEqualTo(overHttp.path("result"));

    // The catalog approves a tool the upstream does not have: the upstream's own answer comes back.
    JsonNode missing = agent.post(McpClient.toolCall(11, "web.missing", "{}", "interop", "interop")).body();
    assertThat(missing.path("id").asInt()).isEqualTo(11);
    assertThat(missing.path("result")).isEqualTo(
        direct.request("tools/call", "{\"name\":\"no-such-tool\",\"arguments\":{}}").path("result"));
  }

  @Test
  void progressFromTheHttpUpstreamReachesTheAgentBeforeTheAnswer() throws Exception {
    StreamableSession agentSession = StreamableSession.open(gateway.baseUrl() + "/mcp");
    List<JsonNode> messages = agentSession.messages("tools/call", """
        {"name":"web.trigger-long-running-operation","arguments":{"duration":0.2,"steps":2},"_meta":{"progressToken":"agent-1"}}""");

    assertThat(messages).hasSize(3);
    for (JsonNode progress : messages.subList(0, 2)) {
      assertThat(progress.path("method").asText()).isEqualTo("notifications/progress");
      assertThat(progress.path("params").path("progressToken").asText()).isEqualTo("agent-1");
    }
    assertThat(messages.get(2).path("result").path("content").get(0).path("text").asText())
        .startsWith("Long running operation completed");
  }

  @Test
  void serverMemoryKeepsWhatWasStoredThroughTheGateway() throws Exception {
    JsonNode created = agent.post(McpClient.toolCall(12, "memory.create_entities",
        "{\"entities\":[{\"name\":\"Ada\",\"entityType\":\"person\",\"observations\":[\"wrote the first program ✓\"]}]}",
        "interop", "interop")).body();
    assertThat(created.path("result").path("structuredContent").path("entities").get(0).path("name").asText()).isEqualTo("Ada");

    JsonNode found = agent.post(McpClient.toolCall(13, "memory.search_nodes", "{\"query\":\"Ada\"}", "interop", "interop")).body();
    JsonNode entity = found.path("result").path("structuredContent").path("entities").get(0);
    assertThat(entity.path("observations").get(0).asText()).isEqualTo("wrote the first program ✓");

    JsonNode unknown = agent.post(McpClient.toolCall(14, "memory.add_observations",
        "{\"observations\":[{\"entityName\":\"Nobody\",\"contents\":[\"x\"]}]}", "interop", "interop")).body();
    assertThat(unknown.path("result").path("isError").asBoolean()).isTrue();
    assertThat(unknown.path("result").path("content").get(0).path("text").asText()).contains("Entity with name Nobody not found");
  }

  private static JsonNode definition(JsonNode tools, String name) {
    return tools.valueStream().filter(t -> t.path("name").asText().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no tool " + name + " in " + tools));
  }
}
