package dev.cmcp.gateway.mcp;

import static dev.cmcp.gateway.mcp.GatewayUnderTest.quoted;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cmcp.gateway.catalog.CatalogTool;
import dev.cmcp.gateway.config.EnforcementMode;
import dev.cmcp.gateway.config.LogFormat;
import dev.cmcp.gateway.ops.GatewayLogging;
import dev.cmcp.verify.base.StrictJson;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Requests crafted to make the gateway act for someone else, on something else, or on something
 * other than what its policy saw. {@code hostile-server.mjs} stands behind the gateway as
 * {@code crm} and lists every call it receives, so each test can check that nothing got through.
 */
class HostileCallsTest {

  private static final String ONLY_GET_CONTACT = """
      @id("get-contact") permit (principal, action == Action::"call_tool", resource == Tool::"crm.get_contact");
      @id("echo") permit (principal, action == Action::"call_tool", resource == Tool::"crm.echo");
      @id("calls") permit (principal, action == Action::"call_tool", resource == Tool::"crm.calls");
      """;

  @TempDir static Path dir;
  static GatewayUnderTest gateway;

  @BeforeAll
  static void start() throws Exception {
    List<CatalogTool> tools = List.of(
        new CatalogTool("crm.get_contact", "crm", "get_contact", Map.of()),
        new CatalogTool("crm.echo", "crm", "echo", Map.of()),
        new CatalogTool("crm.calls", "crm", "calls", Map.of()));
    gateway = GatewayUnderTest.start(dir, EnforcementMode.ENFORCING, ONLY_GET_CONTACT,
        List.of(GatewayUnderTest.hostileServer("crm")), tools);
  }

  @AfterAll
  static void stop() {
    gateway.close();
  }

  @Test
  void callCannotActForAnotherSessionByNamingIt() throws Exception {
    String victim = gateway.openSession();
    String attacker = gateway.openSession();
    List<String> before = forwardedCalls();

    McpHttpResponse fromOwnSession = gateway.send(Optional.of(attacker), callNaming(victim));
    McpHttpResponse stateless = gateway.send(Optional.empty(), callNaming(victim));

    assertThat(errorOf(fromOwnSession).path("code").asInt()).isEqualTo(JsonRpcError.INVALID_PARAMS);
    assertThat(errorOf(fromOwnSession).path("message").asText()).contains("does not match the Mcp-Session-Id");
    assertThat(errorOf(stateless).path("code").asInt()).isEqualTo(JsonRpcError.INVALID_PARAMS);
    assertThat(errorOf(stateless).path("message").asText()).contains("names an MCP session");
    assertThat(forwardedCalls()).isEqualTo(before);
    assertThat(gateway.auditEntries()).noneMatch(entry -> entry.path("session_id").asText().equals(victim));
  }

  @Test
  void toolNamesDifferingByCaseOrUnicodeFormAreUnsanctionedAndNeverReachTheRealTool() throws Exception {
    List<String> lookalikes = List.of(
        "crm.Get_Contact", "CRM.get_contact", "crm.GET_CONTACT",
        "ｃｒｍ.ｇｅｔ＿ｃｏｎｔａｃｔ", // fullwidth, which NFKC folds to crm.get_contact
        "crm.get＿contact", // fullwidth low line
        "crm.get_contac\u0074\u0301", // a combining accent after the last letter
        "crm.get_\u0441ontact", // Cyrillic es
        "crm.get\u200B_contact", // zero-width space
        "crm.get_contact ", " crm.get_contact", "crm.get_contact\u00A0",
        "crm\uFF0Eget_contact"); // fullwidth full stop
    List<String> before = forwardedCalls();

    for (String name : lookalikes) {
      McpHttpResponse answer = gateway.callTool(Optional.empty(), name, "{\"id\":1}");
      assertThat(answer.status()).as(name).isEqualTo(200);
      assertThat(errorOf(answer).path("code").asInt()).as(name).isEqualTo(-32602);
      assertThat(errorOf(answer).path("data").path("cause").asText()).as(name).isEqualTo("unsanctioned_tool");
      assertThat(errorOf(answer).path("data").path("tool").asText()).as(name).isEqualTo(name);
    }

    assertThat(forwardedCalls()).isEqualTo(before);
    List<JsonNode> decisions = gateway.auditEntries().stream()
        .filter(entry -> lookalikes.contains(entry.path("tool").asText())).toList();
    assertThat(decisions).hasSize(lookalikes.size())
        .allMatch(entry -> entry.path("enforced").asText().equals("blocked") && entry.path("cause").asText().equals("unsanctioned_tool"));
  }

  @Test
  void batchIsRefusedWholeAndNothingInItIsForwarded() throws Exception {
    List<String> before = forwardedCalls();
    String call = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"crm.get_contact\"}}";

    McpHttpResponse answer = gateway.send(Optional.empty(), "[" + call + "," + call.replace("\"id\":1", "\"id\":2") + "]");

    assertThat(answer.status()).isEqualTo(400);
    assertThat(errorOf(answer).path("code").asInt()).isEqualTo(JsonRpcError.INVALID_REQUEST);
    assertThat(forwardedCalls()).isEqualTo(before);
  }

  @Test
  void duplicateKeysAnywhereAreRefusedBeforeAnythingIsForwarded() throws Exception {
    String session = gateway.openSession();
    String other = gateway.openSession();
    List<String> before = forwardedCalls();
    List<String> bodies = List.of(
        // Which _cmcp.session_id counts would decide whose claim lists the call.
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"crm.get_contact\","
            + "\"_cmcp\":{\"session_id\":\"" + session + "\",\"session_id\":\"" + other + "\"}}}",
        // Which arguments count would decide what the policy sees and what the tool does.
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"crm.get_contact\","
            + "\"arguments\":{\"id\":1},\"arguments\":{\"id\":2}}}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"crm.get_contact\","
            + "\"arguments\":{\"filter\":{\"owner\":\"me\",\"owner\":\"*\"}}}}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"method\":\"ping\",\"params\":{\"name\":\"crm.get_contact\"}}");

    for (String body : bodies) {
      McpHttpResponse answer = gateway.send(Optional.of(session), body);
      assertThat(answer.status()).as(body).isEqualTo(400);
      assertThat(errorOf(answer).path("code").asInt()).as(body).isEqualTo(JsonRpcError.PARSE_ERROR);
    }
    assertThat(forwardedCalls()).isEqualTo(before);
  }

  @Test
  void nestingBeyondTheLimitIsAParseErrorAndUpToItTheCallIsServed() throws Exception {
    List<String> before = forwardedCalls();
    String tooDeep = "{\"a\":".repeat(100_000) + "1" + "}".repeat(100_000);
    // The message, params and arguments objects take three levels of the parser's limit.
    int deepest = StrictJson.DEFAULT_MAX_DEPTH - 3;
    String deepestAllowed = "{\"a\":".repeat(deepest - 1) + "{}" + "}".repeat(deepest - 1);

    McpHttpResponse refused = gateway.callTool(Optional.empty(), "crm.get_contact", tooDeep);
    assertThat(refused.status()).isEqualTo(400);
    assertThat(errorOf(refused).path("code").asInt()).isEqualTo(JsonRpcError.PARSE_ERROR);
    assertThat(forwardedCalls()).isEqualTo(before);

    McpHttpResponse served = gateway.callTool(Optional.empty(), "crm.echo", deepestAllowed);
    assertThat(served.body().orElseThrow().path("result").path("content").path(0).path("text").asText())
        .isEqualTo("echo " + deepestAllowed);
  }

  @Test
  void sessionIdThatInitializeNeverIssuedIsRefusedForEveryMethod() throws Exception {
    List<String> before = forwardedCalls();
    Optional<String> invented = Optional.of("0123456789abcdef0123456789abcdef");

    for (String method : List.of("tools/call", "tools/list", "ping", "resources/list")) {
      McpHttpResponse answer = gateway.send(invented,
          "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"" + method + "\",\"params\":{\"name\":\"crm.get_contact\"}}");
      assertThat(answer.status()).as(method).isEqualTo(404);
      assertThat(errorOf(answer).path("data").path("error").asText()).as(method).isEqualTo("session_not_found");
    }
    assertThat(gateway.send(invented, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}").status()).isEqualTo(404);
    assertThat(forwardedCalls()).isEqualTo(before);
  }

  @Test
  void endedSessionIdCannotBeUsedAgainInAnyWay() throws Exception {
    String session = gateway.openSession();
    assertThat(gateway.callTool(Optional.of(session), "crm.echo", "{}").body().orElseThrow().has("result")).isTrue();
    int entriesOfSession = entriesOf(session).size();
    assertThat(gateway.endpoint.delete(Optional.of(session)).status()).isEqualTo(204);

    McpHttpResponse withHeader = gateway.callTool(Optional.of(session), "crm.echo", "{}");
    McpHttpResponse inBody = gateway.send(Optional.empty(), callNaming(session));
    McpHttpResponse reopened = gateway.send(Optional.of(session),
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\"}}");

    assertThat(withHeader.status()).isEqualTo(404);
    assertThat(errorOf(withHeader).path("message").asText()).contains("has ended");
    assertThat(errorOf(inBody).path("code").asInt()).isEqualTo(JsonRpcError.INVALID_PARAMS);
    assertThat(reopened.status()).isEqualTo(400);
    assertThat(reopened.headers()).doesNotContainKey("Mcp-Session-Id");
    assertThat(gateway.endpoint.delete(Optional.of(session)).status()).isEqualTo(404);
    assertThat(entriesOf(session)).hasSize(entriesOfSession);
  }

  @Test
  void namesChosenByTheAgentCannotForgeLinesInTheGatewaysLog() throws Exception {
    List<String> logged = new CopyOnWriteArrayList<>();
    Handler capture = new Handler() {
      @Override
      public void publish(LogRecord record) {
        String line = getFormatter().format(record);
        logged.add(line.substring(0, line.length() - 1)); // the one line end of every line
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    capture.setFormatter(GatewayLogging.lineFormatter(LogFormat.TEXT));
    List<java.util.logging.Logger> loggers =
        List.of(java.util.logging.Logger.getLogger("cmcp.policy"), java.util.logging.Logger.getLogger("cmcp.mcp"));
    loggers.forEach(logger -> logger.addHandler(capture));
    try {
      String forged = "\n2026-11-26T03:00:00.000Z INFO cmcp.policy: allow crm.export workflow=admin";
      gateway.callTool(Optional.empty(), "crm.nothing" + forged, "{}");
      gateway.callTool(Optional.empty(), "crm.nothing\r" + forged + "\u2028\u0085", "{}");
      gateway.send(Optional.empty(), "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"
          + "{\"protocolVersion\":\"2025-06-18\",\"clientInfo\":{\"name\":" + quoted("agent" + forged) + "}}}");
    } finally {
      loggers.forEach(logger -> logger.removeHandler(capture));
    }

    assertThat(logged).anyMatch(line -> line.contains("crm.nothing")).anyMatch(line -> line.contains("opened by agent"));
    assertThat(logged).allSatisfy(line -> assertThat(line).doesNotContain("\n", "\r", "\u2028", "\u0085"));
  }

  /** A stateless-style tools/call that names {@code session} in {@code _cmcp}. */
  private static String callNaming(String session) {
    return "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"crm.get_contact\","
        + "\"arguments\":{\"id\":1},\"_cmcp\":{\"session_id\":" + quoted(session) + "}}}";
  }

  /** The names of the tools/calls the upstream has received so far. */
  private static List<String> forwardedCalls() throws Exception {
    McpHttpResponse answer = gateway.callTool(Optional.empty(), "crm.calls", "{}");
    String text = answer.body().orElseThrow().path("result").path("content").path(0).path("text").asText();
    List<String> names = new ArrayList<>();
    GatewayUnderTest.JSON.parse(text).forEach(name -> names.add(name.asText()));
    names.removeIf("calls"::equals);
    return names;
  }

  private static List<JsonNode> entriesOf(String session) throws Exception {
    return gateway.auditEntries().stream().filter(entry -> entry.path("session_id").asText().equals(session)).toList();
  }

  private static JsonNode errorOf(McpHttpResponse response) {
    JsonNode body = response.body().orElseThrow();
    if (!body.has("error")) {
      throw new AssertionError("expected an error, got " + body);
    }
    return body.get("error");
  }
}
