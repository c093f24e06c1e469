package dev.cmcp.gateway.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.cmcp.gateway.catalog.CatalogTool;
import dev.cmcp.gateway.config.EnforcementMode;
import dev.cmcp.gateway.upstream.StreamWatcher;
import dev.cmcp.verify.audit.AuditLogReplay;
import dev.cmcp.verify.base.CanonicalJson;
import dev.cmcp.verify.base.Digests;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server's log messages and requests during a call, relayed to the agent on the call's stream
 * and the agent's answers routed back, against a fixture server that logs and asks.
 */
class AgentRelayTest {

  private static final String SAMPLING_AND_ELICITATION = "{\"sampling\":{},\"elicitation\":{}}";

  @TempDir static Path dir;
  private static GatewayUnderTest gateway;

  @BeforeAll
  static void start() throws Exception {
    gateway = GatewayUnderTest.start(dir, EnforcementMode.ENFORCING, """
        permit (principal, action == Action::"call_tool", resource in Server::"asking")
          unless { resource == Tool::"asking.ask_redacted" };

        @redact_pattern("email")
        permit (principal, action == Action::"call_tool", resource == Tool::"asking.ask_redacted");
        """,
        List.of(GatewayUnderTest.askingServer("asking")),
        List.of(new CatalogTool("asking.log3", "asking", "log3", Map.of()),
            new CatalogTool("asking.ask", "asking", "ask", Map.of()),
            new CatalogTool("asking.elicit", "asking", "elicit", Map.of()),
            new CatalogTool("asking.ask_redacted", "asking", "ask", Map.of())));
  }

  @AfterAll
  static void stop() {
    if (gateway != null) {
      gateway.close();
    }
  }

  @Test
  void logMessagesReachTheCallsStreamAtOrAboveTheSessionsLevel() {
    String session = gateway.openSession();
    assertThat(post(Optional.of(session), "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"logging/setLevel\",\"params\":{\"level\":\"info\"}}")
        .body().orElseThrow().path("result").isObject()).isTrue();
    List<ObjectNode> toAgent = new CopyOnWriteArrayList<>();

    call(session, "asking.log3", toAgent::add);

    assertThat(toAgent).extracting(message -> message.path("params").path("level").asText()).containsExactly("info", "error");
    // Only the MCP members of a log message are passed on.
    assertThat(toAgent.get(0).path("params").fieldNames()).toIterable().containsExactlyInAnyOrder("level", "logger", "data");
    assertThat(toAgent.get(0).path("method").asText()).isEqualTo("notifications/message");
  }

  @Test
  void aSessionHearsEveryLevelUntilItSetsOne() {
    List<ObjectNode> toAgent = new CopyOnWriteArrayList<>();
    call(gateway.openSession(), "asking.log3", toAgent::add);
    assertThat(toAgent).hasSize(3);
  }

  @Test
  void anUnknownLevelIsRefusedAndChangesNothing() {
    String session = gateway.openSession();
    JsonNode refused = post(Optional.of(session),
        "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"logging/setLevel\",\"params\":{\"level\":\"loud\"}}").body().orElseThrow();
    assertThat(refused.path("error").path("code").asInt()).isEqualTo(JsonRpcError.INVALID_PARAMS);
    List<ObjectNode> toAgent = new CopyOnWriteArrayList<>();
    call(session, "asking.log3", toAgent::add);
    assertThat(toAgent).hasSize(3);
  }

  @Test
  void samplingRequestIsRelayedUnderTheGatewaysIdAndTheAgentsAnswerReturnsToTheServer() throws Exception {
    String session = gateway.openSession(SAMPLING_AND_ELICITATION);
    CompletableFuture<ObjectNode> asked = new CompletableFuture<>();
    CompletableFuture<JsonNode> answer = CompletableFuture.supplyAsync(() -> call(session, "asking.ask", asked::complete));

    ObjectNode request = asked.get(20, TimeUnit.SECONDS);
    assertThat(request.path("method").asText()).isEqualTo("sampling/createMessage");
    assertThat(request.path("id").asText()).startsWith("cmcp-request-");
    assertThat(request.path("params").path("maxTokens").asInt()).isEqualTo(10);
    McpHttpResponse accepted = post(Optional.of(session), agentAnswer(request.get("id"), "\"hi there\""));

    assertThat(accepted.status()).isEqualTo(202);
    assertThat(resultText(answer.get(20, TimeUnit.SECONDS))).contains("client answered").contains("hi there");
    // Both directions are audited by digest only, and the log still replays.
    JsonNode relayed = auditEntry("relayed_request", request.path("id").asText());
    assertThat(relayed.path("method").asText()).isEqualTo("sampling/createMessage");
    assertThat(relayed.path("session_id").asText()).isEqualTo(session);
    assertThat(relayed.path("params_sha256").asText()).isEqualTo(Digests.sha256Hex(CanonicalJson.bytes(request.get("params"))));
    assertThat(relayed.toString()).doesNotContain("say hi");
    JsonNode answered = auditEntry("relayed_answer", request.path("id").asText());
    assertThat(answered.path("answer").asText()).isEqualTo("result");
    assertThat(answered.path("answer_sha256").asText()).hasSize(64);
    assertThat(answered.toString()).doesNotContain("hi there");
    assertThat(AuditLogReplay.replay(gateway.auditFile())).isInstanceOf(AuditLogReplay.Intact.class);
  }

  private static JsonNode auditEntry(String type, String relayedId) throws Exception {
    return gateway.auditEntries().stream()
        .filter(entry -> entry.path("type").asText().equals(type) && entry.path("relayed_id").asText().equals(relayedId))
        .findFirst().orElseThrow(() -> new AssertionError("no " + type + " entry for " + relayedId));
  }

  @Test
  void onlyTheSessionThatWasAskedMayAnswer() throws Exception {
    String session = gateway.openSession(SAMPLING_AND_ELICITATION);
    String other = gateway.openSession(SAMPLING_AND_ELICITATION);
    CompletableFuture<ObjectNode> asked = new CompletableFuture<>();
    CompletableFuture<JsonNode> answer = CompletableFuture.supplyAsync(() -> call(session, "asking.elicit", asked::complete));
    JsonNode id = asked.get(20, TimeUnit.SECONDS).get("id");

    McpHttpResponse foreign = post(Optional.of(other), agentAnswer(id, "\"from the wrong agent\""));
    McpHttpResponse stateless = post(Optional.empty(), agentAnswer(id, "\"from nobody\""));
    McpHttpResponse own = post(Optional.of(session), agentAnswer(id, "\"Ada\""));

    assertThat(foreign.status()).isEqualTo(400);
    assertThat(foreign.body().orElseThrow().path("error").path("data").path("error").asText()).isEqualTo("unknown_request");
    assertThat(stateless.status()).isEqualTo(400);
    assertThat(own.status()).isEqualTo(202);
    assertThat(resultText(answer.get(20, TimeUnit.SECONDS))).contains("Ada").doesNotContain("wrong agent", "nobody");
  }

  @Test
  void anAnswerToNoRequestIsRefused() {
    String session = gateway.openSession(SAMPLING_AND_ELICITATION);
    McpHttpResponse refused = post(Optional.of(session), agentAnswer(TextNode.valueOf("cmcp-request-999999"), "\"x\""));
    assertThat(refused.status()).isEqualTo(400);
  }

  @Test
  void anAgentThatDidNotDeclareSamplingIsNotAskedAndTheServerIsRefused() {
    List<ObjectNode> toAgent = new CopyOnWriteArrayList<>();
    JsonNode answer = call(gateway.openSession("{\"elicitation\":{}}"), "asking.ask", toAgent::add);
    assertThat(toAgent).isEmpty();
    assertThat(resultText(answer)).contains("-32601").contains("does not offer sampling/createMessage");
  }

  @Test
  void underARedactingPermitTheServerIsNotRelayedToTheAgent() {
    List<ObjectNode> toAgent = new CopyOnWriteArrayList<>();
    JsonNode answer = call(gateway.openSession(SAMPLING_AND_ELICITATION), "asking.ask_redacted", toAgent::add);
    assertThat(toAgent).isEmpty();
    assertThat(resultText(answer)).contains("-32601");
  }

  @Test
  void initializeDeclaresLogging() {
    McpHttpResponse opened = post(Optional.empty(),
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\"}}");
    assertThat(opened.body().orElseThrow().path("result").path("capabilities").path("logging").isObject()).isTrue();
  }

  private static String agentAnswer(JsonNode id, String text) {
    return "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"result\":{\"role\":\"assistant\",\"content\":{\"type\":\"text\",\"text\":"
        + text + "},\"model\":\"m\"}}";
  }

  private static String resultText(JsonNode answer) {
    return answer.path("result").path("content").path(0).path("text").asText();
  }

  /** A tools/call in {@code session} by an agent that takes an SSE answer, whose stream goes to {@code toAgent}. */
  private static JsonNode call(String session, String tool, java.util.function.Consumer<ObjectNode> toAgent) {
    String body = "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":\"" + tool + "\",\"arguments\":{}}}";
    JsonNode answer = gateway.endpoint.post(request(Optional.of(session), body), toAgent, StreamWatcher.NONE).body().orElseThrow();
    if (!answer.has("result")) {
      throw new AssertionError("the call failed: " + answer);
    }
    return answer;
  }

  private static McpHttpResponse post(Optional<String> session, String body) {
    return gateway.endpoint.post(request(session, body));
  }

  private static McpHttpRequest request(Optional<String> session, String body) {
    return new McpHttpRequest(session, Optional.empty(), Optional.empty(), body.getBytes(StandardCharsets.UTF_8));
  }
}
