package dev.cmcp.gateway.mcp;

import static dev.cmcp.gateway.mcp.GatewayUnderTest.piiServer;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cmcp.gateway.catalog.CatalogTool;
import dev.cmcp.gateway.config.DenyResponse;
import dev.cmcp.gateway.config.EnforcementMode;
import dev.cmcp.gateway.upstream.UpstreamSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How refusals reach an agent: with the request's id, as MCP errors in an HTTP 200 answer where
 * they are not policy decisions, and policy denials as {@code deny_response} says.
 */
class McpErrorsTest {

  private static final String POLICIES = """
      @id("sales-contacts")
      permit (principal == Agent::"sales", action == Action::"call_tool", resource == Tool::"crm.contacts");
      @id("no-notes")
      @reason("Notes hold customer conversations; ask the account owner instead.")
      forbid (principal, action == Action::"call_tool", resource == Tool::"crm.notes");
      """;
  private static final List<CatalogTool> TOOLS = List.of(
      new CatalogTool("crm.contacts", "crm", "contacts", Map.of()), new CatalogTool("crm.notes", "crm", "notes", Map.of()));
  private static final UpstreamSettings SETTINGS = new UpstreamSettings(Duration.ofSeconds(20), 1024 * 1024);

  @TempDir Path dir;

  private GatewayUnderTest start(DenyResponse denyResponse) throws Exception {
    return GatewayUnderTest.start(dir.resolve(denyResponse.configName()), EnforcementMode.ENFORCING, POLICIES,
        List.of(piiServer("crm", Map.of())), TOOLS, SETTINGS, denyResponse);
  }

  private static JsonNode body(McpHttpResponse response) {
    return response.body().orElseThrow();
  }

  @Test
  void refusalsEchoTheRequestIdAndOnlyPolicyDenialsAreHttp403ByDefault() throws Exception {
    try (GatewayUnderTest gateway = start(DenyResponse.HTTP_403)) {
      McpHttpResponse version = gateway.send(Optional.empty(), Optional.of("1999-01-01"),
          "{\"jsonrpc\":\"2.0\",\"id\":\"v-1\",\"method\":\"tools/list\"}");
      assertThat(version.status()).isEqualTo(400);
      assertThat(body(version).path("id").asText()).isEqualTo("v-1");
      assertThat(body(version).at("/error/code").asInt()).isEqualTo(-32022);
      assertThat(body(version).at("/error/data/requested").asText()).isEqualTo("1999-01-01");
      assertThat(body(version).at("/error/data/supported").valueStream().map(JsonNode::asText)).contains("2025-11-25", "2025-03-26");

      McpHttpResponse outsideCatalog = gateway.callTool(Optional.empty(), "crm.export", "{}");
      assertThat(outsideCatalog.status()).isEqualTo(200);
      assertThat(body(outsideCatalog).path("id").asInt()).isEqualTo(7);
      assertThat(body(outsideCatalog).at("/error/code").asInt()).isEqualTo(-32602);
      assertThat(body(outsideCatalog).at("/error/data/cause").asText()).isEqualTo("unsanctioned_tool");

      McpHttpResponse noPrompt = gateway.post("sales", "prompts/get", "{\"name\":\"nowhere.summary\"}");
      assertThat(noPrompt.status()).isEqualTo(200);
      assertThat(body(noPrompt).at("/error/code").asInt()).isEqualTo(-32602);

      McpHttpResponse denied = gateway.post("sales", "tools/call", "{\"name\":\"crm.notes\",\"arguments\":{}}");
      assertThat(denied.status()).isEqualTo(403);
      assertThat(body(denied).path("id").asInt()).isEqualTo(7);
      assertThat(body(denied).at("/error/code").asInt()).isEqualTo(-32001);
    }
  }

  @Test
  void jsonRpcErrorAnswersAPolicyDenialInHttp200() throws Exception {
    try (GatewayUnderTest gateway = start(DenyResponse.JSONRPC_ERROR)) {
      McpHttpResponse denied = gateway.post("sales", "tools/call", "{\"name\":\"crm.notes\",\"arguments\":{}}");
      assertThat(denied.status()).isEqualTo(200);
      assertThat(body(denied).at("/error/code").asInt()).isEqualTo(-32001);
      assertThat(body(denied).at("/error/data/reason").asText()).startsWith("Notes hold customer conversations");
    }
  }

  @Test
  void toolErrorAnswersAPolicyDenialAsAToolResultTheModelCanRead() throws Exception {
    try (GatewayUnderTest gateway = start(DenyResponse.TOOL_ERROR)) {
      McpHttpResponse denied = gateway.post("sales", "tools/call", "{\"name\":\"crm.notes\",\"arguments\":{}}");
      assertThat(denied.status()).isEqualTo(200);
      JsonNode result = body(denied).path("result");
      assertThat(result.path("isError").asBoolean()).isTrue();
      assertThat(result.at("/content/0/text").asText())
          .contains("denied by policy").contains("ask the account owner instead");
      assertThat(result.at("/_meta/dev.cmcp~1denial/cause").asText()).isEqualTo("forbidden_by_policy");
      // Nothing was forwarded: the audit log records the call as blocked.
      assertThat(gateway.auditEntries()).anySatisfy(entry -> {
        assertThat(entry.path("tool").asText()).isEqualTo("crm.notes");
        assertThat(entry.path("enforced").asText()).isEqualTo("blocked");
      });
      // A call outside the catalog is still an MCP error, not a tool result.
      assertThat(body(gateway.callTool(Optional.empty(), "crm.export", "{}")).at("/error/code").asInt()).isEqualTo(-32602);
    }
  }

  @Test
  void initializeAnswersTheClientsVersionWhenTheGatewaySpeaksIt() throws Exception {
    try (GatewayUnderTest gateway = start(DenyResponse.HTTP_403)) {
      for (String version : List.of("2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25")) {
        assertThat(initialize(gateway, version)).isEqualTo(version);
      }
      assertThat(initialize(gateway, "2031-01-01")).isEqualTo("2025-11-25");
    }
  }

  private static String initialize(GatewayUnderTest gateway, String version) {
    McpHttpResponse opened = gateway.send(Optional.empty(), Optional.empty(),
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"" + version
            + "\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}");
    return body(opened).at("/result/protocolVersion").asText();
  }
}
