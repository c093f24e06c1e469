package dev.cmcp.gateway.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cmcp.gateway.catalog.CatalogTool;
import dev.cmcp.gateway.config.EnforcementMode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * MCP 2025-11-25 tasks, which the gateway does not offer: it declares no {@code tasks} capability,
 * so a task-augmented {@code tools/call} runs as a normal call (the spec's rule for such a
 * receiver), and {@code tasks/*} are unknown methods. The upstream is {@code server-everything}
 * (npm), which declares tasks and creates one for {@code simulate-research-query} when asked.
 */
class TaskAugmentedCallTest {

  private static final String POLICIES = """
      permit (principal, action == Action::"call_tool", resource in Server::"everything");
      """;
  private static final String TASK = ",\"task\":{\"ttl\":60000}";

  @TempDir Path dir;
  private GatewayUnderTest gateway;

  @BeforeEach
  void start() throws Exception {
    gateway = GatewayUnderTest.start(dir, EnforcementMode.ENFORCING, POLICIES, List.of(GatewayUnderTest.serverEverything("everything")),
        List.of(new CatalogTool("everything.research", "everything", "simulate-research-query", Map.of()),
            new CatalogTool("everything.echo", "everything", "echo", Map.of())));
  }

  @AfterEach
  void stop() {
    gateway.close();
  }

  private JsonNode send(Optional<String> session, String method, String params) {
    return gateway.send(session, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"" + method + "\",\"params\":" + params + "}")
        .body().orElseThrow();
  }

  @Test
  void aTaskAugmentedCallIsNotForwardedAsATaskSoTheUpstreamCreatesNone() {
    String session = gateway.openSession();
    JsonNode answer = send(Optional.of(session), "tools/call",
        "{\"name\":\"everything.research\",\"arguments\":{\"topic\":\"tides\"}" + TASK + "}");
    // Forwarded with its task, server-everything answers a CreateTaskResult (result.task.taskId) for
    // a task that no client could fetch through the gateway; without it, this tool refuses to run.
    assertThat(answer.path("result").has("task")).as(answer.toString()).isFalse();
    assertThat(answer.at("/result/isError").asBoolean()).as(answer.toString()).isTrue();
    assertThat(answer.at("/result/content/0/text").asText()).contains("requires task augmentation");
  }

  @Test
  void aTaskAugmentedCallOfAnOrdinaryToolRunsNormally() {
    JsonNode answer = send(Optional.empty(), "tools/call", "{\"name\":\"everything.echo\",\"arguments\":{\"message\":\"hi\"}" + TASK + "}");
    assertThat(answer.path("result").has("task")).as(answer.toString()).isFalse();
    assertThat(answer.at("/result/content/0/text").asText()).contains("hi");
  }

  @Test
  void tasksMethodsAreUnknownWithAReason() {
    String session = gateway.openSession();
    for (String method : List.of("tasks/get", "tasks/result", "tasks/cancel", "tasks/list")) {
      McpHttpResponse response = gateway.send(Optional.of(session),
          "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"" + method + "\",\"params\":{\"taskId\":\"t-1\"}}");
      assertThat(response.status()).isEqualTo(200);
      JsonNode body = response.body().orElseThrow();
      assertThat(body.at("/error/code").asInt()).as(method).isEqualTo(JsonRpcError.METHOD_NOT_FOUND);
      assertThat(body.at("/error/message").asText()).contains(method).contains("offers no tasks");
    }
    String meta = "\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\","
        + "\"io.modelcontextprotocol/clientInfo\":{\"name\":\"t\",\"version\":\"1\"},\"io.modelcontextprotocol/clientCapabilities\":{}}";
    McpHttpResponse modern = gateway.endpoint.post(new McpHttpRequest(Optional.empty(), Optional.of("2026-07-28"), Optional.empty(),
        ("{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"tasks/get\",\"params\":{\"taskId\":\"t-1\"," + meta + "}}")
            .getBytes(StandardCharsets.UTF_8), Optional.empty(), dev.cmcp.gateway.auth.Identity.UNAUTHENTICATED,
        new McpHttpRequest.MirroredHeaders(Optional.of("tasks/get"), Optional.empty())));
    assertThat(modern.body().orElseThrow().at("/error/code").asInt()).isEqualTo(JsonRpcError.METHOD_NOT_FOUND);
    assertThat(modern.body().orElseThrow().at("/error/message").asText()).contains("offers no tasks");
  }

  @Test
  void theGatewayDeclaresNoTasksCapability() {
    JsonNode initialized = send(Optional.empty(), "initialize", "{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{}}");
    assertThat(initialized.at("/result/capabilities").has("tools")).as(initialized.toString()).isTrue();
    assertThat(initialized.at("/result/capabilities").has("tasks")).isFalse();
  }
}
