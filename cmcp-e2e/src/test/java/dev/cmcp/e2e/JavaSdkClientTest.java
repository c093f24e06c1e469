package dev.cmcp.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.TextContent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The official MCP Java SDK as the agent, over Streamable HTTP, with server-everything behind the gateway. */
class JavaSdkClientTest {

  @TempDir Path tmp;

  @Test
  void javaSdkInitializesListsAndCallsToolsInOneSession() throws Exception {
    try (GatewayProcess gateway = GatewayProcess.start(Deployments.permitAll(tmp, everything().json()), Map.of("CMCP_DEV_MODE", "1"))) {
      List<McpSchema.ProgressNotification> progress = new CopyOnWriteArrayList<>();
      // The sync client hands each notification to its consumer on a Reactor worker
      // (McpClientFeatures.Sync wraps consumers in subscribeOn(boundedElastic)), so callTool can return
      // before the consumer of the last progress has run, and two consumers may run in either order.
      // The gateway's own order (progress before the answer, in the upstream's order) is tested
      // without an SDK in between (ProgressRelayTest).
      CountDownLatch twoProgress = new CountDownLatch(2);
      McpSyncClient client = io.modelcontextprotocol.client.McpClient
          .sync(HttpClientStreamableHttpTransport.builder(gateway.baseUrl()).endpoint("/mcp").build())
          .clientInfo(new McpSchema.Implementation("cmcp-e2e-java-sdk", "1.0.0"))
          .requestTimeout(Duration.ofSeconds(30))
          .progressConsumer(notification -> {
            progress.add(notification);
            twoProgress.countDown();
          })
          .build();
      try {
        McpSchema.InitializeResult init = client.initialize();
        assertThat(init.serverInfo().name()).isEqualTo("cmcp-gateway");
        assertThat(init.protocolVersion()).isIn("2025-06-18", "2025-11-25");

        assertThat(client.listTools().tools()).extracting(McpSchema.Tool::name).containsExactlyInAnyOrder(
            "everything.echo", "everything.get-structured-content", "everything.trigger-long-running-operation");

        CallToolResult echo = client.callTool(new CallToolRequest("everything.echo", Map.of("message", "héllo ✓ \"quoted\"")));
        assertThat(echo.isError()).isNotEqualTo(Boolean.TRUE);
        assertThat(((TextContent) echo.content().get(0)).text()).isEqualTo("Echo: héllo ✓ \"quoted\"");

        CallToolResult weather = client.callTool(new CallToolRequest("everything.get-structured-content", Map.of("location", "Chicago")));
        assertThat(weather.structuredContent()).isEqualTo(Map.of("temperature", 36, "conditions", "Light rain / drizzle", "humidity", 82));

        // The upstream's own tool error is a result with isError, and reaches the agent as one.
        CallToolResult invalid = client.callTool(new CallToolRequest("everything.echo", Map.of()));
        assertThat(invalid.isError()).isTrue();
        assertThat(((TextContent) invalid.content().get(0)).text()).contains("Input validation error");

        CallToolResult longRunning = client.callTool(CallToolRequest.builder("everything.trigger-long-running-operation")
            .arguments(Map.of("duration", 1, "steps", 2)).progressToken("java-sdk-progress").build());
        assertThat(((TextContent) longRunning.content().get(0)).text()).startsWith("Long running operation completed");
        // Relayed in the SSE answer, under the SDK's own token (the upstream saw the gateway's).
        assertThat(twoProgress.await(30, TimeUnit.SECONDS)).as("both progress notifications reach the SDK's consumer").isTrue();
        assertThat(progress).extracting(McpSchema.ProgressNotification::progressToken).containsExactly("java-sdk-progress", "java-sdk-progress");
        assertThat(progress).extracting(McpSchema.ProgressNotification::progress).containsExactlyInAnyOrder(1.0, 2.0);
      } finally {
        client.closeGracefully();
      }
    }
    // The SDK kept the gateway's Mcp-Session-Id on every request: all four calls are audited under it.
    assertThat(auditedSessions(tmp.resolve("audit"))).singleElement().asString().matches("[0-9a-f]{32}");
  }

  @Test
  void aCancellationFromTheAgentCallsOffItsCallInFlight() throws Exception {
    try (GatewayProcess gateway = GatewayProcess.start(Deployments.permitAll(tmp, everything().json()), Map.of("CMCP_DEV_MODE", "1"))) {
      McpClient client = new McpClient(gateway.baseUrl());
      McpClient.Answer init = client.post("""
          {"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},
           "clientInfo":{"name":"e2e","version":"1"}}}""");
      Map<String, String> session = Map.of("Mcp-Session-Id", init.header("Mcp-Session-Id"), "MCP-Protocol-Version", "2025-06-18");
      CompletableFuture<McpClient.Answer> call = CompletableFuture.supplyAsync(() -> {
        try {
          return client.post("""
              {"jsonrpc":"2.0","id":"long-1","method":"tools/call","params":{"name":"everything.trigger-long-running-operation",
               "arguments":{"duration":30,"steps":2}}}""", session);
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });

      // The call may not be in flight when a cancellation arrives; one that finds nothing changes nothing, so repeat.
      for (int tries = 0; tries < 100 && !call.isDone(); tries++) {
        McpClient.Answer cancel = client.post("""
            {"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"long-1","reason":"user gave up"}}""", session);
        assertThat(cancel.status()).isEqualTo(202);
        try {
          call.get(100, java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
          // still running
        }
      }
      assertThat(call.get().body().path("error").path("data").path("error").asText()).isEqualTo("cancelled");
      assertThat(client.post("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}", session).status()).isEqualTo(200);
    }
  }

  private static Catalog everything() {
    return new Catalog()
        .stdioServer("everything", "node", Repo.serverEverything().toString(), "stdio")
        .tool("everything", "echo")
        .tool("everything", "get-structured-content")
        .tool("everything", "trigger-long-running-operation");
  }

  /** The session ids of the audited tool-call decisions. */
  static Set<String> auditedSessions(Path auditDir) throws Exception {
    try (Stream<Path> files = Files.list(auditDir)) {
      return files.filter(f -> f.toString().endsWith(".jsonl"))
          .flatMap(f -> {
            try {
              return Files.readAllLines(f).stream();
            } catch (java.io.IOException e) {
              throw new java.io.UncheckedIOException(e);
            }
          })
          .map(line -> {
            try {
              return McpClient.JSON.readTree(line);
            } catch (java.io.IOException e) {
              throw new java.io.UncheckedIOException(e);
            }
          })
          .filter(entry -> entry.path("type").asText().equals("decision"))
          .map(entry -> entry.path("session_id").asText())
          .collect(Collectors.toSet());
    }
  }
}
