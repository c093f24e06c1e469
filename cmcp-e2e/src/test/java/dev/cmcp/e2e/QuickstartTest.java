package dev.cmcp.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The quickstart, walked as a new user walks it: ./cmcp start, then the seed's curl call. */
class QuickstartTest {

  static final String SEED_CALL =
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"salesforce.contacts\","
          + "\"arguments\":{\"query\":\"Acme Corp\"},\"_cmcp\":{\"session_id\":\"s1\",\"workflow_id\":\"demo-agent\"}}}";

  @TempDir Path tmp;

  @Test
  void seedCallReturnsContactsWithTheQuickstartAsWritten() throws Exception {
    assumeTrue(portIsFree(8443), "port 8443 is in use; the unchanged quickstart listens there");
    try (GatewayProcess gateway = GatewayProcess.start(asWrittenOutsideTheTree(), Map.of("CMCP_DEV_MODE", "1"))) {
      assertThat(gateway.port()).isEqualTo(8443);
      McpClient.Answer answer = new McpClient("http://localhost:8443").post(SEED_CALL);

      assertThat(answer.status()).isEqualTo(200);
      assertThat(answer.body().path("id").asInt()).isEqualTo(1);
      JsonNode result = answer.body().path("result");
      assertThat(result.path("isError").asBoolean(false)).isFalse();
      JsonNode contacts = result.path("structuredContent").path("contacts");
      assertThat(contacts.isArray()).isTrue();
      assertThat(contacts).isNotEmpty();
      assertThat(contacts).allSatisfy(c -> assertThat(c.path("company").asText()).isEqualTo("Acme Corp"));
      assertThat(result.path("content").get(0).path("text").asText()).contains("@");
    }
  }

  @Test
  void enforcingModeDeniesExportAllAndTheDemoServerNeverSeesIt() throws Exception {
    Path callLog = tmp.resolve("crm-calls.log");
    try (GatewayProcess gateway = GatewayProcess.start(Deployments.quickstart(tmp, "enforcing", callLog), Map.of("CMCP_DEV_MODE", "1"))) {
      McpClient client = new McpClient(gateway.baseUrl());

      McpClient.Answer denied = client.post(McpClient.toolCall(7, "salesforce.export_all", "{}", "s1", "demo-agent"));
      assertThat(denied.status()).isEqualTo(403);
      JsonNode error = denied.body().path("error");
      assertThat(denied.body().path("id").asInt()).isEqualTo(7);
      assertThat(error.path("data").path("error").asText()).isEqualTo("tool_call_denied");
      assertThat(error.path("data").path("tool").asText()).isEqualTo("salesforce.export_all");
      assertThat(error.path("data").path("call_id").asInt()).isEqualTo(7);
      assertThat(error.path("data").path("bundle_version").asText()).isEqualTo("0.1.0");
      assertThat(error.path("data").path("reason").asText()).containsIgnoringCase("export");
      // Policy ids and text stay in the gateway's logs, not in the agent's answer.
      assertThat(denied.raw().body()).doesNotContain("no-bulk-export").doesNotContain("permit (").doesNotContain("policies");

      McpClient.Answer allowed = client.post(McpClient.toolCall(8, "salesforce.contacts", "{\"query\":\"Acme\"}", "s1", "demo-agent"));
      assertThat(allowed.status()).isEqualTo(200);
      assertThat(allowed.body().path("result").path("structuredContent").path("contacts")).isNotEmpty();

      McpClient.Answer otherAgent = client.post(McpClient.toolCall(9, "salesforce.contacts", "{\"query\":\"Acme\"}", "s2", "intruder"));
      assertThat(otherAgent.status()).isEqualTo(403);
    }
    assertThat(Files.readAllLines(callLog)).containsExactly("contacts");
  }

  @Test
  void advisoryModeForwardsADeniedCall() throws Exception {
    Path callLog = tmp.resolve("crm-calls.log");
    try (GatewayProcess gateway = GatewayProcess.start(Deployments.quickstart(tmp, "advisory", callLog), Map.of("CMCP_DEV_MODE", "1"))) {
      McpClient.Answer answer =
          new McpClient(gateway.baseUrl()).post(McpClient.toolCall(3, "salesforce.export_all", "{}", "s1", "demo-agent"));
      assertThat(answer.status()).isEqualTo(200);
      assertThat(answer.body().path("result").path("structuredContent").path("contacts").size()).isGreaterThan(5);
    }
    assertThat(Files.readAllLines(callLog)).isEqualTo(List.of("export_all"));
  }

  @Test
  void anMcpSessionInitializesListsCallsAndEnds() throws Exception {
    Path callLog = tmp.resolve("crm-calls.log");
    try (GatewayProcess gateway = GatewayProcess.start(Deployments.quickstart(tmp, "enforcing", callLog), Map.of("CMCP_DEV_MODE", "1"))) {
      McpClient client = new McpClient(gateway.baseUrl());
      McpClient.Answer init = client.post("""
          {"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},
           "clientInfo":{"name":"e2e","version":"1"}}}""");
      assertThat(init.status()).isEqualTo(200);
      assertThat(init.body().path("result").path("protocolVersion").asText()).isEqualTo("2025-06-18");
      String session = init.header("Mcp-Session-Id");
      assertThat(session).matches("[0-9a-f]{32}");
      Map<String, String> headers = Map.of("Mcp-Session-Id", session, "MCP-Protocol-Version", "2025-06-18", "X-MCP-Workflow-ID", "demo-agent");

      assertThat(client.post("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}", headers).status()).isEqualTo(202);

      McpClient.Answer list = client.post("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}", headers);
      // Only what the policy could permit this workflow is listed: the bulk export is forbidden outright.
      assertThat(list.body().path("result").path("tools").valueStream().map(t -> t.path("name").asText()).toList())
          .containsExactly("salesforce.contacts");
      assertThat(list.body().path("result").path("tools").get(0).path("inputSchema").path("properties").has("query")).isTrue();

      McpClient.Answer call = client.post(
          "{\"jsonrpc\":\"2.0\",\"id\":\"c-3\",\"method\":\"tools/call\",\"params\":{\"name\":\"salesforce.contacts\",\"arguments\":{\"query\":\"acme\"}}}",
          headers);
      assertThat(call.status()).isEqualTo(200);
      assertThat(call.body().path("id").asText()).isEqualTo("c-3");
      assertThat(call.body().path("result").path("structuredContent").path("total_count").asInt()).isPositive();

      // A client without the header cannot file its calls under this session.
      McpClient.Answer borrowed = client.post(McpClient.toolCall(5, "salesforce.contacts", "{\"query\":\"acme\"}", session, "demo-agent"));
      assertThat(borrowed.body().path("error").path("code").asInt()).isEqualTo(-32602);
      assertThat(borrowed.body().path("error").path("message").asText()).contains("Mcp-Session-Id");

      assertThat(client.delete(session).status()).isEqualTo(204);
      McpClient.Answer reused = client.post("{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"ping\"}", headers);
      assertThat(reused.status()).isEqualTo(404);
    }
  }

  /**
   * The quickstart's config as written, but in the test's folder, its two paths made absolute: its
   * audit log then goes to the test's folder, not into the tracked examples/ (tests never write
   * into the checkout).
   */
  private Path asWrittenOutsideTheTree() throws IOException {
    String written = Files.readString(Repo.quickstart().resolve("cmcp-config.yaml"));
    String moved = written
        .replace("policy_bundle_path: ./policies/", "policy_bundle_path: " + Repo.quickstart().resolve("policies"))
        .replace("catalog_path: ./catalog.json", "catalog_path: " + Repo.quickstart().resolve("catalog.json"));
    assertThat(moved).as("the quickstart config names its bundle and catalog as this test expects")
        .doesNotContain("./policies/").doesNotContain("./catalog.json").doesNotContain("audit_dir");
    return Files.writeString(tmp.resolve("cmcp-config.yaml"), moved);
  }

  private static boolean portIsFree(int port) {
    try (ServerSocket socket = new ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
