package dev.cmcp.gateway.mcp;

import static dev.cmcp.gateway.mcp.GatewayUnderTest.piiServer;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.cmcp.gateway.catalog.CatalogTool;
import dev.cmcp.gateway.config.EnforcementMode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The stateless 2026-07-28 revision in front of a 2025-06-18 upstream: no initialize, version in
 * each request's _meta and header, Mcp-Method and Mcp-Name mirrored and checked against the body,
 * server/discover, and results in the revision's shape.
 */
class Mcp20260728Test {

  private static final String POLICIES = """
      @id("sales")
      permit (principal == Agent::"sales", action == Action::"call_tool", resource == Tool::"crm.contacts");
      permit (principal == Agent::"sales", action == Action::"read_resource", resource);
      """;
  private static final String META = "\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\","
      + "\"io.modelcontextprotocol/clientInfo\":{\"name\":\"t\",\"version\":\"1\"},\"io.modelcontextprotocol/clientCapabilities\":{}}";

  @TempDir Path dir;
  private GatewayUnderTest gateway;

  @BeforeEach
  void start() throws Exception {
    gateway = GatewayUnderTest.start(dir, EnforcementMode.ENFORCING, POLICIES, List.of(piiServer("crm", Map.of())),
        List.of(new CatalogTool("crm.contacts", "crm", "contacts", Map.of()), new CatalogTool("crm.notes", "crm", "notes", Map.of())));
  }

  @AfterEach
  void stop() {
    gateway.close();
  }

  private McpHttpResponse send(String method, Optional<String> mcpMethod, Optional<String> mcpName, String params) {
    String body = "{\"jsonrpc\":\"2.0\",\"id\":\"r-1\",\"method\":\"" + method + "\",\"params\":" + params + "}";
    return gateway.endpoint.post(new McpHttpRequest(Optional.empty(), Optional.of("2026-07-28"), Optional.of("sales"),
        body.getBytes(StandardCharsets.UTF_8), Optional.empty(), dev.cmcp.gateway.auth.Identity.UNAUTHENTICATED,
        new McpHttpRequest.MirroredHeaders(mcpMethod, mcpName)));
  }

  private static JsonNode body(McpHttpResponse response) {
    return response.body().orElseThrow();
  }

  @Test
  void serverDiscoverListsTheRevisionsAndWhoAnswers() {
    McpHttpResponse discovered = send("server/discover", Optional.of("server/discover"), Optional.empty(), "{" + META + "}");
    assertThat(discovered.status()).isEqualTo(200);
    JsonNode result = body(discovered).path("result");
    assertThat(result.path("resultType").asText()).isEqualTo("complete");
    assertThat(result.path("supportedVersions").valueStream().map(JsonNode::asText)).startsWith("2026-07-28").contains("2025-03-26");
    assertThat(result.at("/_meta/io.modelcontextprotocol~1serverInfo/name").asText()).isEqualTo("cmcp-gateway");
    assertThat(result.path("capabilities").has("tools")).isTrue();
    // Servers' list changes reach the subscriptions/listen streams that ask for them.
    assertThat(result.at("/capabilities/tools/listChanged").asBoolean()).isTrue();
    assertThat(result.at("/capabilities/prompts/listChanged").asBoolean()).isTrue();
  }

  @Test
  void anUpstreamsMissingCapabilityErrorIsAnswered400AsTheRevisionSays() throws Exception {
    // What the pipeline passes on from a 2026-07-28 server that refused with HTTP 400: its error, under the agent's id.
    JsonNode error = GatewayUnderTest.parse("{\"jsonrpc\":\"2.0\",\"id\":\"agent-7\",\"error\":{\"code\":-32021,"
        + "\"message\":\"MissingRequiredClientCapabilityError\",\"data\":{\"requiredCapabilities\":{\"sampling\":{}}}}}");
    McpHttpResponse answered = Modern.decorated("tools/call", JsonNodeFactory.instance.objectNode().put("name", "t"),
        McpHttpResponse.message(200, error), "1");

    assertThat(answered.status()).isEqualTo(400);
    assertThat(body(answered)).isEqualTo(error);
    McpHttpResponse other = Modern.decorated("tools/call", JsonNodeFactory.instance.objectNode().put("name", "t"),
        McpHttpResponse.error(200, JsonNodeFactory.instance.textNode("agent-7"), JsonRpcError.of(JsonRpcError.INVALID_PARAMS, "no")),
        "1");
    assertThat(other.status()).as("other errors keep their status").isEqualTo(200);
  }

  @Test
  void aCallWithoutInitializeIsServedAndItsResultHasTheRevisionsShape() throws Exception {
    McpHttpResponse listed = send("tools/list", Optional.of("tools/list"), Optional.empty(), "{" + META + "}");
    assertThat(body(listed).at("/result/tools/0/name").asText()).isEqualTo("crm.contacts");
    assertThat(body(listed).at("/result/ttlMs").isNumber()).isTrue();
    assertThat(body(listed).at("/result/cacheScope").asText()).isEqualTo("private");

    // The name in its Base64 form, as a client may send any name.
    String encoded = "=?base64?" + Base64.getEncoder().encodeToString("crm.contacts".getBytes(StandardCharsets.UTF_8)) + "?=";
    McpHttpResponse called = send("tools/call", Optional.of("tools/call"), Optional.of(encoded),
        "{\"name\":\"crm.contacts\",\"arguments\":{}," + META + "}");
    assertThat(called.status()).isEqualTo(200);
    JsonNode result = body(called).path("result");
    assertThat(body(called).path("id").asText()).isEqualTo("r-1");
    assertThat(result.path("resultType").asText()).isEqualTo("complete");
    assertThat(result.at("/structuredContent/account/name").asText()).isEqualTo("Acme Corp");
    assertThat(gateway.auditEntries()).anySatisfy(entry -> {
      assertThat(entry.path("tool").asText()).isEqualTo("crm.contacts");
      assertThat(entry.path("decision").asText()).isEqualTo("allow");
    });
  }

  @Test
  void aHeaderThatDisagreesWithTheBodyIsRefusedWith400AndAudited() throws Exception {
    McpHttpResponse mismatched = send("tools/call", Optional.of("tools/call"), Optional.of("crm.contacts"),
        "{\"name\":\"crm.notes\",\"arguments\":{}," + META + "}");
    assertThat(mismatched.status()).isEqualTo(400);
    assertThat(body(mismatched).path("id").asText()).isEqualTo("r-1");
    assertThat(body(mismatched).at("/error/code").asInt()).isEqualTo(-32020);
    assertThat(gateway.auditEntries()).anySatisfy(entry -> {
      assertThat(entry.path("tool").asText()).isEqualTo("crm.notes");
      assertThat(entry.path("cause").asText()).isEqualTo("header_mismatch");
      assertThat(entry.path("enforced").asText()).isEqualTo("blocked");
    });
    assertThat(gateway.auditEntries()).noneMatch(entry -> entry.path("decision").asText().equals("allow"));

    assertThat(send("tools/call", Optional.empty(), Optional.of("crm.contacts"), "{\"name\":\"crm.contacts\"," + META + "}").status())
        .isEqualTo(400);
    assertThat(send("tools/call", Optional.of("tools/call"), Optional.empty(), "{\"name\":\"crm.contacts\"," + META + "}").status())
        .isEqualTo(400);
    assertThat(send("tools/call", Optional.of("tools/call"), Optional.of("crm.contacts"),
        "{\"name\":\"crm.contacts\",\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2025-11-25\"}}").status()).isEqualTo(400);
  }

  @Test
  void aRequestWithoutTheVersionOrCapabilitiesInItsMetaIsMalformed() {
    McpHttpResponse noMeta = send("tools/list", Optional.of("tools/list"), Optional.empty(), "{}");
    assertThat(noMeta.status()).isEqualTo(400);
    assertThat(body(noMeta).at("/error/code").asInt()).isEqualTo(-32602);
    assertThat(body(noMeta).path("id").asText()).isEqualTo("r-1");
    McpHttpResponse noVersion = send("tools/list", Optional.of("tools/list"), Optional.empty(),
        "{\"_meta\":{\"io.modelcontextprotocol/clientCapabilities\":{}}}");
    assertThat(noVersion.status()).isEqualTo(400);
    assertThat(body(noVersion).at("/error/code").asInt()).isEqualTo(-32602);
    McpHttpResponse noCapabilities = send("server/discover", Optional.of("server/discover"), Optional.empty(),
        "{\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\"}}");
    assertThat(noCapabilities.status()).isEqualTo(400);
    assertThat(body(noCapabilities).at("/error/code").asInt()).isEqualTo(-32602);
    assertThat(body(noCapabilities).path("result").isMissingNode()).isTrue();
  }

  @Test
  void anUnknownResourceIsInvalidParamsNamingItsUri() {
    // The upstream answers in its 2025 revision's form: -32002, no data.
    McpHttpResponse upstreamMissing = send("resources/read", Optional.of("resources/read"), Optional.of("crm://accounts/missing"),
        "{\"uri\":\"crm://accounts/missing\"," + META + "}");
    assertThat(body(upstreamMissing).at("/error/code").asInt()).isEqualTo(-32602);
    assertThat(body(upstreamMissing).at("/error/data/uri").asText()).isEqualTo("crm://accounts/missing");
    assertThat(body(upstreamMissing).path("result").isMissingNode()).isTrue();
    // No catalog server offers it: the gateway's own refusal names it too.
    McpHttpResponse nobodys = send("resources/read", Optional.of("resources/read"), Optional.of("other://nothing"),
        "{\"uri\":\"other://nothing\"," + META + "}");
    assertThat(body(nobodys).at("/error/code").asInt()).isEqualTo(-32602);
    assertThat(body(nobodys).at("/error/data/uri").asText()).isEqualTo("other://nothing");
  }

  @Test
  void methodsTheRevisionDroppedAreNotFound() {
    McpHttpResponse initialize = send("initialize", Optional.of("initialize"), Optional.empty(),
        "{\"protocolVersion\":\"2025-11-25\"," + META + "}");
    assertThat(initialize.status()).isEqualTo(404);
    assertThat(body(initialize).at("/error/code").asInt()).isEqualTo(-32601);
    assertThat(send("ping", Optional.of("ping"), Optional.empty(), "{" + META + "}").status()).isEqualTo(404);
  }
}
