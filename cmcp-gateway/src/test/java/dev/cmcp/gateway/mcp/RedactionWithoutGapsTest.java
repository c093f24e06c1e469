package dev.cmcp.gateway.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cmcp.gateway.catalog.CatalogTool;
import dev.cmcp.gateway.catalog.UpstreamServer;
import dev.cmcp.gateway.config.EnforcementMode;
import dev.cmcp.verify.audit.AuditLogReplay;
import dev.cmcp.verify.base.CanonicalJson;
import dev.cmcp.verify.base.Digests;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A hostile upstream behind a redacting permit tries every way around redaction: members beside
 * {@code result}, results that are not objects, card numbers in every JSON number form, errors
 * with extra members. It answers over stdio ({@code leaky-server.mjs}) and Streamable HTTP, as a
 * plain JSON body and as SSE ({@link LeakyUpstream}), for tools, resource reads and prompts alike.
 * The assertions are on the bytes the agent would receive.
 */
class RedactionWithoutGapsTest {

  private static final String POLICIES = """
      @id("everything-redacted")
      @redact("email")
      @redact_pattern("email|credit_card")
      permit (principal, action, resource);
      """;
  /** The card number in any of the ways the upstream writes it: digits, with a decimal point, with an exponent. */
  private static final Pattern CARD = Pattern.compile("4\\.?1111111111111|41111111111111110|4111 1111");

  @TempDir static Path dir;
  static LeakyUpstream web;
  static GatewayUnderTest gateway;

  @BeforeAll
  static void start() throws Exception {
    web = new LeakyUpstream();
    List<UpstreamServer> servers = List.of(
        GatewayUnderTest.leakyServer("stdio"),
        new UpstreamServer.StreamableHttp("json", web.url("json"), Map.of()),
        new UpstreamServer.StreamableHttp("sse", web.url("sse"), Map.of()));
    List<CatalogTool> tools = new ArrayList<>();
    for (String server : List.of("stdio", "json", "sse")) {
      for (String name : LeakyUpstream.caseNames()) {
        tools.add(new CatalogTool(server + "." + name, server, name, Map.of()));
      }
    }
    gateway = GatewayUnderTest.start(dir, EnforcementMode.ENFORCING, POLICIES, servers, tools);
  }

  @AfterAll
  static void stop() {
    gateway.close();
    web.close();
  }

  @AfterEach
  void logStillReplays() throws Exception {
    assertThat(AuditLogReplay.replay(gateway.auditFile())).isInstanceOf(AuditLogReplay.Intact.class);
  }

  @ParameterizedTest
  @ValueSource(strings = {"stdio", "json", "sse"})
  void membersBesideTheResultNeverReachTheAgentAndTheHashCoversWhatDoes(String server) throws Exception {
    for (String method : List.of("tools/call", "resources/read", "prompts/get")) {
      JsonNode body = answer(server, method, "envelope_extra");

      assertThat(fieldNames(body)).as(method).containsExactly("jsonrpc", "id", "result");
      assertThat(body.path("id").asInt()).isEqualTo(7);
      assertThat(delivered(body)).doesNotContain("alice", "example.com").doesNotContainPattern(CARD);
      JsonNode outcome = lastEntry();
      assertThat(outcome.path("outcome").asText()).isEqualTo("ok");
      assertThat(outcome.path("result_sha256").asText()).isEqualTo(Digests.sha256Hex(CanonicalJson.bytes(body.get("result"))));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"stdio", "json", "sse"})
  void aResultThatIsNotAnObjectIsAnUpstreamProtocolErrorAuditedAsSuch(String server) throws Exception {
    for (String name : List.of("result_array", "result_string", "result_number", "malformed_error")) {
      JsonNode body = answer(server, "tools/call", name);

      assertThat(body.path("error").path("data").path("error").asText()).as(name).isEqualTo("upstream_protocol_error");
      assertThat(body.path("error").path("message").asText()).startsWith("upstream " + server + " answered tools/call");
      assertThat(delivered(body)).doesNotContain("alice", "example.com", "Exception").doesNotContainPattern(CARD);
      JsonNode outcome = lastEntry();
      assertThat(outcome.path("type").asText()).isEqualTo("outcome");
      assertThat(outcome.path("tool").asText()).isEqualTo(server + "." + name);
      assertThat(outcome.path("outcome").asText()).isEqualTo("upstream_error");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"stdio", "json", "sse"})
  void aCardNumberIsRedactedInEveryNumberFormAndEveryAnswerPath(String server) throws Exception {
    for (String method : List.of("tools/call", "resources/read", "prompts/get")) {
      JsonNode body = answer(server, method, "card_forms");

      String delivered = delivered(body);
      assertThat(delivered).as(method).doesNotContainPattern(CARD);
      JsonNode structured = body.path("result").path("structuredContent");
      for (String member : List.of("a", "b", "d", "g")) {
        assertThat(structured.path(member).asText()).as(member).isEqualTo("[REDACTED]");
      }
      assertThat(structured.at("/c/0").asText()).isEqualTo("[REDACTED]");
      assertThat(structured.at("/e/f").asText()).isEqualTo("[REDACTED]");
      assertThat(body.at("/result/content/0/text").asText()).isEqualTo("{\"card\":\"[REDACTED]\",\"again\":[\"[REDACTED]\"]}");
      assertThat(lastEntry().path("redactions").path("count").asInt()).isEqualTo(8);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"stdio", "json", "sse"})
  void anUpstreamErrorKeepsOnlyCodeMessageAndDataEachRedacted(String server) throws Exception {
    JsonNode body = answer(server, "tools/call", "error_extra");

    assertThat(fieldNames(body)).containsExactly("jsonrpc", "id", "error");
    assertThat(fieldNames(body.get("error"))).containsExactly("code", "message", "data");
    assertThat(body.at("/error/message").asText()).isEqualTo("unknown [REDACTED]");
    assertThat(body.at("/error/data/email").asText()).isEqualTo("[REDACTED]");
    assertThat(delivered(body)).doesNotContain("alice", "example.com").doesNotContainPattern(CARD);
    assertThat(lastEntry().path("outcome").asText()).isEqualTo("upstream_error");
  }

  private static JsonNode answer(String server, String method, String name) {
    String params = switch (method) {
      case "tools/call" -> "{\"name\":\"" + server + "." + name + "\",\"arguments\":{}}";
      case "resources/read" -> "{\"uri\":\"leak://" + server + "/" + name + "\"}";
      default -> "{\"name\":\"" + server + "." + name + "\"}";
    };
    return gateway.post("agent", method, params).body().orElseThrow();
  }

  /** The response as the agent's HTTP body carries it. */
  private static String delivered(JsonNode body) throws Exception {
    return GatewayUnderTest.JSON.mapper().writeValueAsString(body);
  }

  private static List<String> fieldNames(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }

  private static JsonNode lastEntry() throws Exception {
    List<JsonNode> entries = gateway.auditEntries();
    return entries.get(entries.size() - 1);
  }
}
