package dev.cmcp.gateway.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.gateway.catalog.CatalogTool;
import dev.cmcp.gateway.config.EnforcementMode;
import dev.cmcp.gateway.upstream.StreamWatcher;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Upstream progress notifications relayed to the call that asked for them, against the MCP reference server. */
class ProgressRelayTest {

  @TempDir static Path dir;
  private static GatewayUnderTest gateway;

  @BeforeAll
  static void start() throws Exception {
    gateway = GatewayUnderTest.start(dir, EnforcementMode.ENFORCING,
        "permit (principal, action == Action::\"call_tool\", resource in Server::\"everything\");",
        List.of(GatewayUnderTest.serverEverything("everything")),
        List.of(new CatalogTool("everything.slow", "everything", "trigger-long-running-operation", Map.of())));
  }

  @AfterAll
  static void stop() {
    if (gateway != null) {
      gateway.close();
    }
  }

  @Test
  void progressReachesTheCallUnderTheAgentsOwnToken() {
    List<ObjectNode> progress = new CopyOnWriteArrayList<>();
    McpHttpResponse answer = slowCall(2, "{\"progressToken\":\"agent-token\",\"other\":1}", progress);

    assertThat(answer.body().orElseThrow().path("result").path("content").get(0).path("text").asText())
        .startsWith("Long running operation completed");
    assertThat(progress).hasSize(2);
    assertThat(progress).allSatisfy(notification -> {
      assertThat(notification.path("method").asText()).isEqualTo("notifications/progress");
      assertThat(notification.path("params").path("progressToken").asText()).isEqualTo("agent-token");
      assertThat(notification.path("params").path("total").asInt()).isEqualTo(2);
    });
    assertThat(progress.stream().map(n -> n.path("params").path("progress").asInt()).toList()).containsExactly(1, 2);
  }

  @Test
  void numericTokensComeBackAsNumbers() {
    List<ObjectNode> progress = new CopyOnWriteArrayList<>();
    slowCall(1, "{\"progressToken\":42}", progress);
    assertThat(progress).singleElement().satisfies(n -> {
      assertThat(n.path("params").path("progressToken").isIntegralNumber()).isTrue();
      assertThat(n.path("params").path("progressToken").asInt()).isEqualTo(42);
    });
  }

  @Test
  void twoCallsWithTheSameTokenEachSeeOnlyTheirOwnProgress() {
    List<ObjectNode> first = new CopyOnWriteArrayList<>();
    List<ObjectNode> second = new CopyOnWriteArrayList<>();
    CompletableFuture<McpHttpResponse> a = CompletableFuture.supplyAsync(() -> slowCall(2, "{\"progressToken\":\"same\"}", first));
    CompletableFuture<McpHttpResponse> b = CompletableFuture.supplyAsync(() -> slowCall(3, "{\"progressToken\":\"same\"}", second));
    a.join();
    b.join();
    assertThat(first).extracting(n -> n.path("params").path("total").asInt()).containsExactly(2, 2);
    assertThat(second).extracting(n -> n.path("params").path("total").asInt()).containsExactly(3, 3, 3);
  }

  @Test
  void aCallWithoutATokenGetsNoProgress() {
    List<ObjectNode> progress = new CopyOnWriteArrayList<>();
    slowCall(2, null, progress);
    assertThat(progress).isEmpty();
  }

  private static McpHttpResponse slowCall(int steps, String meta, List<ObjectNode> progress) {
    String params = "{\"name\":\"everything.slow\",\"arguments\":{\"duration\":" + (0.1 * steps) + ",\"steps\":" + steps + "}"
        + (meta == null ? "" : ",\"_meta\":" + meta) + "}";
    String body = "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":" + params + "}";
    McpHttpResponse answer = gateway.endpoint.post(
        new McpHttpRequest(Optional.empty(), Optional.empty(), Optional.empty(), body.getBytes(StandardCharsets.UTF_8)), progress::add,
        StreamWatcher.NONE);
    JsonNode message = answer.body().orElseThrow();
    if (!message.has("result")) {
      throw new AssertionError("the slow call failed: " + message);
    }
    return answer;
  }
}
