package dev.cmcp.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hot reload of the catalog in a running gateway: a tools change applies without a restart, is
 * bound into fresh evidence (the claim verifies under the new catalog hash), and a servers change
 * is refused while the old catalog keeps serving.
 */
class CatalogReloadTest {

  private static final Duration PATIENCE = Duration.ofSeconds(60);

  @TempDir Path tmp;

  @Test
  void aToolsChangeAppliesLiveAndAServersChangeIsRefused() throws Exception {
    Path config = Deployments.everything(tmp, Map.of("policy_reload_interval_seconds", "1"));
    Path catalogFile = tmp.resolve("catalog.json");
    ObjectNode catalog = (ObjectNode) McpClient.JSON.readTree(catalogFile.toFile());
    Path claimFile = tmp.resolve("claim.json");
    try (GatewayProcess gateway = GatewayProcess.start(config, Map.of("CMCP_DEV_MODE", "1"))) {
      McpClient client = new McpClient(gateway.baseUrl());
      assertThat(toolNames(client)).containsExactly("everything.echo", "everything.get-sum");

      // get-sum leaves the catalog, get-env joins it; the server stays as it is.
      ArrayNode tools = catalog.putArray("tools");
      tools.addObject().put("tool_name", "everything.echo").put("server", "everything");
      tools.addObject().put("tool_name", "everything.get-env").put("server", "everything");
      McpClient.JSON.writeValue(catalogFile.toFile(), catalog);
      awaitUntil(() -> toolNames(client).contains("everything.get-env"));

      assertThat(toolNames(client)).containsExactly("everything.echo", "everything.get-env");
      assertThat(client.post(McpClient.toolCall(1, "everything.echo", "{\"message\":\"hi\"}", "s-reload", "wf")).status())
          .isEqualTo(200);
      McpClient.Answer removed = client.post(McpClient.toolCall(2, "everything.get-sum", "{\"a\":1,\"b\":2}", "s-reload", "wf"));
      assertThat(removed.status()).isEqualTo(200);
      assertThat(removed.body().at("/error/code").asInt()).isEqualTo(-32602);
      assertThat(removed.body().at("/error/data/cause").asText()).isEqualTo("unsanctioned_tool");

      HttpResponse<String> fetched = get(gateway, "/v1/sessions/s-reload/claim");
      assertThat(fetched.statusCode()).as(fetched.body()).isEqualTo(200);
      Files.writeString(claimFile, fetched.body());

      ObjectNode withServer = catalog.deepCopy();
      ((ObjectNode) withServer.path("servers")).putObject("other")
          .put("transport", "streamable-http").put("url", "http://127.0.0.1:9/mcp");
      McpClient.JSON.writeValue(catalogFile.toFile(), withServer);
      awaitUntil(() -> readyz(gateway).statusCode() == 503);

      assertThat(readyz(gateway).body()).contains("catalog servers changed (server other added): restart the gateway to apply");
      assertThat(toolNames(client)).containsExactly("everything.echo", "everything.get-env");
    }

    JsonNode claim = McpClient.JSON.readTree(claimFile.toFile());
    List<JsonNode> reloads = entries(ClaimTest.onlyLog(tmp.resolve("audit")), "catalog_reload");
    assertThat(reloads).hasSize(1);
    assertThat(claim.at("/trace/policy/catalog_hash").asText()).isEqualTo(reloads.get(0).path("catalog_hash").asText())
        .isNotEqualTo(reloads.get(0).path("previous_catalog_hash").asText());
    assertThat(entries(ClaimTest.onlyLog(tmp.resolve("audit")), "catalog_rejected")).hasSize(1);
    // The binding check recomputes the evidence's user data from the claim's (new) catalog hash.
    CliTest.Run verified = ClaimTest.verify(claimFile, "--audit-log", ClaimTest.onlyLog(tmp.resolve("audit")).toString(),
        "--allow-software");
    assertThat(verified.exit()).as(verified.output()).isEqualTo(3);
    assertThat(verified.output()).doesNotContain("FAIL");
    assertThat(verified.output()).containsPattern("PASS +binding");
  }

  /** Polls until the reload check, once a second in the gateway, has acted. */
  private static void awaitUntil(ThrowingCondition condition) throws Exception {
    Instant deadline = Instant.now().plus(PATIENCE);
    while (!condition.holds()) {
      assertThat(Instant.now()).as("the gateway did not reload within " + PATIENCE).isBefore(deadline);
      Thread.sleep(200);
    }
  }

  @FunctionalInterface
  private interface ThrowingCondition {
    boolean holds() throws Exception;
  }

  private static List<String> toolNames(McpClient client) throws Exception {
    McpClient.Answer answer = client.post("{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/list\",\"params\":{}}",
        Map.of("X-MCP-Workflow-ID", "wf"));
    return answer.body().at("/result/tools").valueStream().map(tool -> tool.path("name").asText()).toList();
  }

  private static HttpResponse<String> readyz(GatewayProcess gateway) throws Exception {
    return get(gateway, "/readyz");
  }

  private static HttpResponse<String> get(GatewayProcess gateway, String path) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(URI.create(gateway.baseUrl() + path)).GET().build();
    return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
  }

  private static List<JsonNode> entries(Path log, String type) throws Exception {
    return Files.readAllLines(log).stream().map(line -> {
      try {
        return McpClient.JSON.readTree(line);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }).filter(entry -> entry.path("type").asText().equals(type)).toList();
  }
}
