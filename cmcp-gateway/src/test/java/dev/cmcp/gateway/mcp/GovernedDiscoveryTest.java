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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Listing and the governed resources and prompts, against the MCP reference server. */
class GovernedDiscoveryTest {

  private static final String POLICIES = """
      @id("echo-for-a") permit (principal == Agent::"a", action == Action::"call_tool", resource == Tool::"everything.echo");
      @id("small-sums") permit (principal, action == Action::"call_tool", resource == Tool::"everything.get-sum")
        when { context.arguments.a < 10 };
      @id("env") permit (principal, action == Action::"call_tool", resource == Tool::"everything.get-env");
      @id("no-env") forbid (principal, action == Action::"call_tool", resource == Tool::"everything.get-env");

      @id("static-docs") permit (principal, action == Action::"read_resource", resource in Server::"everything")
        when { resource.uri like "demo://resource/static/document/*" || resource.uri like "demo://resource/dynamic/text/*" };
      @id("no-architecture") forbid (principal, action == Action::"read_resource",
        resource == Resource::"everything:demo://resource/static/document/architecture.md");

      @id("simple-prompt") permit (principal, action == Action::"get_prompt", resource == Prompt::"everything.simple-prompt");
      @id("weather-in-paris") permit (principal, action == Action::"get_prompt", resource == Prompt::"everything.args-prompt")
        when { context.arguments.city == "Paris" };
      """;

  @TempDir static Path dir;
  private static GatewayUnderTest gateway;

  @BeforeAll
  static void start() throws Exception {
    gateway = GatewayUnderTest.start(dir, EnforcementMode.ENFORCING, POLICIES,
        List.of(GatewayUnderTest.serverEverything("everything")),
        List.of(
            new CatalogTool("everything.echo", "everything", "echo", Map.of()),
            new CatalogTool("everything.get-sum", "everything", "get-sum", Map.of()),
            new CatalogTool("everything.get-env", "everything", "get-env", Map.of())));
  }

  @AfterAll
  static void stop() {
    if (gateway != null) {
      gateway.close();
    }
  }

  @Test
  void toolsListShowsWhatTheCallerCouldBePermitted() {
    assertThat(names(gateway.result("a", "tools/list", "{}").path("tools"))).containsExactly("everything.echo", "everything.get-sum");
    assertThat(names(gateway.result("b", "tools/list", "{}").path("tools"))).containsExactly("everything.get-sum");
    assertThat(names(gateway.result("b", "tools/list", "{\"_cmcp\":{\"workflow_id\":\"b\"}}").path("tools")))
        .containsExactly("everything.get-sum");
  }

  @Test
  void advisoryModeListsWhatItWouldNotBlock(@TempDir Path advisoryDir) throws Exception {
    try (GatewayUnderTest advisory = GatewayUnderTest.start(advisoryDir, EnforcementMode.ADVISORY, POLICIES,
        List.of(GatewayUnderTest.serverEverything("everything")),
        List.of(new CatalogTool("everything.echo", "everything", "echo", Map.of()),
            new CatalogTool("everything.get-env", "everything", "get-env", Map.of())))) {
      assertThat(names(advisory.result("b", "tools/list", "{}").path("tools"))).containsExactly("everything.echo", "everything.get-env");
    }
  }

  @Test
  void resourcesAreListedAndReadAsThePolicySays() throws Exception {
    List<String> uris = gateway.result("a", "resources/list", "{}").path("resources").valueStream()
        .map(resource -> resource.path("uri").asText()).toList();
    assertThat(uris).contains("demo://resource/static/document/features.md")
        .doesNotContain("demo://resource/static/document/architecture.md");

    JsonNode read = gateway.result("a", "resources/read", "{\"uri\":\"demo://resource/static/document/features.md\"}");
    assertThat(read.at("/contents/0/uri").asText()).isEqualTo("demo://resource/static/document/features.md");
    assertThat(read.at("/contents/0/text").asText()).isNotEmpty();

    McpHttpResponse forbidden = gateway.post("a", "resources/read", "{\"uri\":\"demo://resource/static/document/architecture.md\"}");
    assertThat(forbidden.status()).isEqualTo(403);
    assertThat(forbidden.body().orElseThrow().at("/error/data/error").asText()).isEqualTo("resource_read_denied");
    assertThat(forbidden.body().orElseThrow().at("/error/data/cause").asText()).isEqualTo("forbidden_by_policy");

    List<JsonNode> entries = gateway.auditEntries();
    JsonNode readDecision = entries.stream()
        .filter(e -> e.path("tool").asText().equals("everything:demo://resource/static/document/features.md"))
        .findFirst().orElseThrow();
    assertThat(readDecision.path("action").asText()).isEqualTo("read_resource");
    assertThat(readDecision.path("decision").asText()).isEqualTo("allow");
  }

  @Test
  void aTemplatedResourceIsRoutedAndAnUnknownOneGoesNowhere() {
    assertThat(gateway.result("a", "resources/templates/list", "{}").path("resourceTemplates").valueStream()
        .map(t -> t.path("uriTemplate").asText())).contains("demo://resource/dynamic/text/{resourceId}");

    JsonNode read = gateway.result("a", "resources/read", "{\"uri\":\"demo://resource/dynamic/text/3\"}");
    assertThat(read.at("/contents/0/text").asText()).startsWith("Resource 3:");

    McpHttpResponse unknown = gateway.post("a", "resources/read", "{\"uri\":\"file:///etc/passwd\"}");
    assertThat(unknown.status()).isEqualTo(200);
    assertThat(unknown.body().orElseThrow().at("/error/code").asInt()).isEqualTo(-32602);
    assertThat(unknown.body().orElseThrow().at("/id").asInt()).isEqualTo(7);
    assertThat(unknown.body().orElseThrow().at("/error/data/cause").asText()).isEqualTo("not_offered");
  }

  @Test
  void promptsAreNamedByServerAndGovernedWithTheirArguments() {
    assertThat(names(gateway.result("a", "prompts/list", "{}").path("prompts")))
        .containsExactly("everything.simple-prompt", "everything.args-prompt");

    JsonNode simple = gateway.result("a", "prompts/get", "{\"name\":\"everything.simple-prompt\"}");
    assertThat(simple.path("messages").size()).isPositive();
    JsonNode paris = gateway.result("a", "prompts/get", "{\"name\":\"everything.args-prompt\",\"arguments\":{\"city\":\"Paris\"}}");
    assertThat(paris.at("/messages/0/content/text").asText()).contains("Paris");

    McpHttpResponse rome = gateway.post("a", "prompts/get", "{\"name\":\"everything.args-prompt\",\"arguments\":{\"city\":\"Rome\"}}");
    assertThat(rome.status()).isEqualTo(403);
    assertThat(rome.body().orElseThrow().at("/error/data/error").asText()).isEqualTo("prompt_denied");
    McpHttpResponse elsewhere = gateway.post("a", "prompts/get", "{\"name\":\"nowhere.simple-prompt\"}");
    assertThat(elsewhere.body().orElseThrow().at("/error/data/cause").asText()).isEqualTo("not_offered");
  }

  @Test
  void initializeAnnouncesToolsResourcesAndPrompts() {
    McpHttpResponse response = gateway.endpoint.post(new McpHttpRequest(Optional.empty(), Optional.empty(), Optional.empty(),
        ("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-11-25\","
            + "\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}").getBytes(StandardCharsets.UTF_8)));

    JsonNode capabilities = response.body().orElseThrow().at("/result/capabilities");
    assertThat(capabilities.has("tools")).isTrue();
    assertThat(capabilities.path("resources").path("subscribe").asBoolean(false)).isTrue();
    assertThat(capabilities.has("prompts")).isTrue();
  }

  private static List<String> names(JsonNode items) {
    return items.valueStream().map(item -> item.path("name").asText()).toList();
  }
}
