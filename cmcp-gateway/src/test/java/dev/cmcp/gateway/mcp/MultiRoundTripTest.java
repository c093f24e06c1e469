package dev.cmcp.gateway.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cmcp.gateway.catalog.CatalogTool;
import dev.cmcp.gateway.config.DenyResponse;
import dev.cmcp.gateway.config.EnforcementMode;
import dev.cmcp.gateway.policy.SessionHistories;
import dev.cmcp.gateway.ratelimit.RateLimits;
import dev.cmcp.gateway.upstream.UpstreamSettings;
import dev.cmcp.verify.audit.AuditLogReplay;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * MCP 2026-07-28 multi round-trip requests bridged to a 2025 upstream: the reference server
 * {@code server-everything} (npm) asks for sampling and elicitation during a call, over stdio; a
 * stateless 2026-07-28 client, with no stream to be asked on, gets an {@code input_required}
 * result and completes the call by retrying with its answers and the {@code requestState}.
 */
class MultiRoundTripTest {

  private static final String POLICIES = """
      permit (principal, action == Action::"call_tool", resource in Server::"everything");
      @id("approve-echo")
      @require_approval("echo leaves the building")
      permit (principal, action == Action::"call_tool", resource == Tool::"everything.echo");
      """;
  private static final String CAPABILITIES = "{\"sampling\":{},\"elicitation\":{}}";

  @TempDir Path dir;
  private GatewayUnderTest gateway;

  private void start(Duration answerTimeout) throws Exception {
    gateway = GatewayUnderTest.start(dir, EnforcementMode.ENFORCING, POLICIES, List.of(GatewayUnderTest.serverEverything("everything")),
        List.of(new CatalogTool("everything.sample", "everything", "trigger-sampling-request", Map.of()),
            new CatalogTool("everything.elicit", "everything", "trigger-elicitation-request", Map.of()),
            new CatalogTool("everything.echo", "everything", "echo", Map.of())),
        new UpstreamSettings(Duration.ofSeconds(20), 1024 * 1024), DenyResponse.HTTP_403,
        new CallControls(new RateLimits(RateLimits.NONE), new SessionHistories(Duration.ofMinutes(5)), answerTimeout));
  }

  @AfterEach
  void stop() throws Exception {
    if (gateway != null) {
      assertThat(AuditLogReplay.replay(gateway.auditFile())).isInstanceOf(AuditLogReplay.Intact.class);
      gateway.close();
    }
  }

  /** A 2026-07-28 tools/call by {@code workflow} with these extra params members (each {@code ,"k":v}). */
  private JsonNode call(String workflow, String id, String tool, String arguments, String capabilities, String extra) {
    String meta = "\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\","
        + "\"io.modelcontextprotocol/clientInfo\":{\"name\":\"t\",\"version\":\"1\"},"
        + "\"io.modelcontextprotocol/clientCapabilities\":" + capabilities + "}";
    String body = "{\"jsonrpc\":\"2.0\",\"id\":\"" + id + "\",\"method\":\"tools/call\",\"params\":{\"name\":\"" + tool
        + "\",\"arguments\":" + arguments + "," + meta + extra + "}}";
    McpHttpResponse response = gateway.endpoint.post(new McpHttpRequest(Optional.empty(), Optional.of("2026-07-28"), Optional.of(workflow),
        body.getBytes(StandardCharsets.UTF_8), Optional.of("http-" + id), dev.cmcp.gateway.auth.Identity.UNAUTHENTICATED,
        new McpHttpRequest.MirroredHeaders(Optional.of("tools/call"), Optional.of(tool))));
    return response.body().orElseThrow();
  }

  private static String retry(JsonNode inputRequired, String responses) {
    return ",\"inputResponses\":" + responses + ",\"requestState\":" + GatewayUnderTest.quoted(inputRequired.at("/result/requestState").asText());
  }

  private static String onlyKey(JsonNode inputRequired) {
    return inputRequired.at("/result/inputRequests").fieldNames().next();
  }

  @Test
  void samplingDuringACallBecomesAnInputRequiredResultAndTheRetryCompletesTheCall() throws Exception {
    start(Duration.ofSeconds(30));
    JsonNode first = call("wf", "1", "everything.sample", "{\"prompt\":\"capital of France?\",\"maxTokens\":20}", CAPABILITIES, "");
    assertThat(first.at("/result/resultType").asText()).isEqualTo("input_required");
    String key = onlyKey(first);
    JsonNode asked = first.at("/result/inputRequests").get(key);
    assertThat(asked.path("method").asText()).isEqualTo("sampling/createMessage");
    assertThat(asked.at("/params/messages/0/content/text").asText()).contains("capital of France?");
    assertThat(asked.has("id")).isFalse();

    String answer = "{\"" + key + "\":{\"role\":\"assistant\",\"content\":{\"type\":\"text\",\"text\":\"Paris, said the model\"},"
        + "\"model\":\"test-model\",\"stopReason\":\"endTurn\"}}";
    JsonNode last = call("wf", "2", "everything.sample", "{\"prompt\":\"capital of France?\",\"maxTokens\":20}", CAPABILITIES,
        retry(first, answer));
    assertThat(last.path("id").asText()).isEqualTo("2");
    assertThat(last.at("/result/resultType").asText()).isEqualTo("complete");
    assertThat(last.at("/result/content").toString()).contains("Paris, said the model");

    // One decision for the call, and the round trip audited by digest: question and answer.
    List<JsonNode> entries = gateway.auditEntries();
    assertThat(entries).filteredOn(entry -> "everything.sample".equals(entry.path("tool").asText()))
        .extracting(entry -> entry.path("type").asText()).containsExactly("decision", "outcome");
    assertThat(entries).anySatisfy(entry -> {
      assertThat(entry.path("type").asText()).isEqualTo("relayed_request");
      assertThat(entry.path("method").asText()).isEqualTo("sampling/createMessage");
      assertThat(entry.path("request_id").asText()).isEqualTo("http-1");
      assertThat(entry.path("params_sha256").asText()).hasSize(64);
    });
    assertThat(entries).anySatisfy(entry -> {
      assertThat(entry.path("type").asText()).isEqualTo("relayed_answer");
      assertThat(entry.path("answer").asText()).isEqualTo("result");
    });
    assertThat(entries.toString()).doesNotContain("Paris, said the model").doesNotContain("capital of France?");

    // The state was good for one retry only.
    JsonNode replayed = call("wf", "3", "everything.sample", "{\"prompt\":\"capital of France?\",\"maxTokens\":20}", CAPABILITIES,
        retry(first, answer));
    assertThat(replayed.at("/error/code").asInt()).isEqualTo(JsonRpcError.INVALID_PARAMS);
    assertThat(replayed.at("/error/data/error").asText()).isEqualTo("request_state_expired");
  }

  @Test
  void elicitationIsAnsweredTheSameWay() throws Exception {
    start(Duration.ofSeconds(30));
    JsonNode first = call("wf", "1", "everything.elicit", "{}", CAPABILITIES, "");
    String key = onlyKey(first);
    assertThat(first.at("/result/inputRequests").get(key).path("method").asText()).isEqualTo("elicitation/create");
    JsonNode last = call("wf", "2", "everything.elicit", "{}", CAPABILITIES,
        retry(first, "{\"" + key + "\":{\"action\":\"accept\",\"content\":{\"name\":\"Ada Lovelace\"}}}"));
    assertThat(last.at("/result/resultType").asText()).isEqualTo("complete");
    assertThat(last.at("/result/content").toString()).contains("Ada Lovelace");
  }

  @Test
  void aForgedAlteredOrBorrowedStateIsRefusedAndTheRealOneStillWorks() throws Exception {
    start(Duration.ofSeconds(30));
    String arguments = "{\"prompt\":\"hi\",\"maxTokens\":5}";
    JsonNode first = call("wf", "1", "everything.sample", arguments, CAPABILITIES, "");
    String key = onlyKey(first);
    String state = first.at("/result/requestState").asText();
    String answer = "{\"" + key + "\":{\"role\":\"assistant\",\"content\":{\"type\":\"text\",\"text\":\"hello\"},\"model\":\"m\"}}";

    int dot = state.indexOf('.');
    String altered = state.substring(0, dot + 1) + (state.charAt(dot + 1) == 'A' ? 'B' : 'A') + state.substring(dot + 2);
    for (String bad : List.of(altered, RoundTrips.PREFIX + "not-a-state", state.substring(0, dot))) {
      JsonNode refused = call("wf", "2", "everything.sample", arguments, CAPABILITIES,
          ",\"inputResponses\":" + answer + ",\"requestState\":" + GatewayUnderTest.quoted(bad));
      assertThat(refused.at("/error/data/error").asText()).as(bad).isEqualTo("request_state_invalid");
    }
    // Another caller, or the same state on other arguments: refused too.
    assertThat(call("other", "3", "everything.sample", arguments, CAPABILITIES, retry(first, answer)).at("/error/data/error").asText())
        .isEqualTo("request_state_mismatch");
    assertThat(call("wf", "4", "everything.sample", "{\"prompt\":\"other\",\"maxTokens\":5}", CAPABILITIES, retry(first, answer))
        .at("/error/data/error").asText()).isEqualTo("request_state_mismatch");

    JsonNode last = call("wf", "5", "everything.sample", arguments, CAPABILITIES, retry(first, answer));
    assertThat(last.at("/result/content").toString()).contains("hello");

    // A bare state is none the gateway issued (an upstream's own reach clients sealed): refused, not forwarded.
    JsonNode bare = call("wf", "6", "everything.sample", arguments, CAPABILITIES, ",\"requestState\":\"an upstream's state\"");
    assertThat(bare.at("/error/data/error").asText()).isEqualTo("request_state_invalid");
  }

  @Test
  void noAnswerInTimeEndsTheCallAndTheUpstreamIsNotLeftWaiting() throws Exception {
    start(Duration.ofMillis(500));
    String arguments = "{\"prompt\":\"hi\",\"maxTokens\":5}";
    JsonNode first = call("wf", "1", "everything.sample", arguments, CAPABILITIES, "");
    assertThat(first.at("/result/resultType").asText()).isEqualTo("input_required");
    Thread.sleep(1500);
    JsonNode late = call("wf", "2", "everything.sample", arguments, CAPABILITIES,
        retry(first, "{\"" + onlyKey(first) + "\":{\"role\":\"assistant\",\"content\":{\"type\":\"text\",\"text\":\"x\"},\"model\":\"m\"}}"));
    assertThat(late.at("/error/data/error").asText()).isEqualTo("request_state_expired");
    assertThat(late.at("/error/message").asText()).contains("expired");

    // The abandoned call has ended: a server request is relayed only while one call is in flight to
    // the server, so a new call being asked again shows the old one no longer waits.
    JsonNode again = call("wf", "3", "everything.sample", arguments, CAPABILITIES, "");
    assertThat(again.at("/result/resultType").asText()).isEqualTo("input_required");
    assertThat(gateway.auditEntries()).anySatisfy(entry -> {
      assertThat(entry.path("type").asText()).isEqualTo("relayed_answer");
      assertThat(entry.path("answer").asText()).isEqualTo("error");
    });
  }

  @Test
  void aClientThatDeclaredNoSamplingIsNotAskedAndTheUpstreamHearsWhy() throws Exception {
    start(Duration.ofSeconds(30));
    JsonNode answer = call("wf", "1", "everything.sample", "{\"prompt\":\"hi\",\"maxTokens\":5}", "{\"elicitation\":{}}", "");
    assertThat(answer.at("/result/resultType").asText()).isEqualTo("complete");
    assertThat(answer.at("/result/isError").asBoolean() || answer.has("error")).isTrue();
  }

  @Test
  void theGatewaysOwnApprovalQuestionIsARoundTripToo() throws Exception {
    start(Duration.ofSeconds(30));
    JsonNode first = call("wf", "1", "everything.echo", "{\"message\":\"to the partner\"}", CAPABILITIES, "");
    assertThat(first.at("/result/resultType").asText()).isEqualTo("input_required");
    String key = onlyKey(first);
    assertThat(first.at("/result/inputRequests").get(key).at("/params/message").asText()).contains("echo leaves the building");
    JsonNode last = call("wf", "2", "everything.echo", "{\"message\":\"to the partner\"}", CAPABILITIES,
        retry(first, "{\"" + key + "\":{\"action\":\"accept\",\"content\":{}}}"));
    assertThat(last.at("/result/content/0/text").asText()).contains("to the partner");
    assertThat(gateway.auditEntries()).anySatisfy(entry -> {
      assertThat(entry.path("type").asText()).isEqualTo("approval");
      assertThat(entry.path("answer").asText()).isEqualTo("accepted");
    });
  }
}
