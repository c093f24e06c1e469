package dev.cmcp.gateway.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.gateway.catalog.CatalogTool;
import dev.cmcp.gateway.config.DenyResponse;
import dev.cmcp.gateway.config.EnforcementMode;
import dev.cmcp.gateway.policy.SessionHistories;
import dev.cmcp.gateway.ratelimit.RateLimits;
import dev.cmcp.gateway.upstream.StreamWatcher;
import dev.cmcp.gateway.upstream.UpstreamSettings;
import dev.cmcp.verify.audit.AuditLogReplay;
import dev.cmcp.verify.base.CanonicalJson;
import dev.cmcp.verify.base.Digests;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code @require_approval}: the gateway asks the agent's client (MCP elicitation on the call's
 * SSE stream) before forwarding, and each answer has its own outcome and audit entry.
 */
class ApprovalThroughGatewayTest {

  private static final String POLICIES = """
      @id("echo-with-approval")
      @require_approval("echo sends data to a partner")
      permit (principal, action == Action::"call_tool", resource == Tool::"srv.echo");
      """;
  private static final String ELICITATION = "{\"elicitation\":{}}";

  @TempDir Path dir;
  private GatewayUnderTest gateway;

  private void start(EnforcementMode mode, Duration timeout) throws Exception {
    gateway = GatewayUnderTest.start(dir, mode, POLICIES, List.of(GatewayUnderTest.hostileServer("srv")),
        List.of(new CatalogTool("srv.echo", "srv", "echo", Map.of())), new UpstreamSettings(Duration.ofSeconds(20), 1024 * 1024),
        DenyResponse.HTTP_403, new CallControls(new RateLimits(RateLimits.NONE), new SessionHistories(Duration.ofMinutes(5)), timeout));
  }

  @AfterEach
  void stop() throws Exception {
    if (gateway != null) {
      assertThat(AuditLogReplay.replay(gateway.auditFile())).isInstanceOf(AuditLogReplay.Intact.class);
      gateway.close();
    }
  }

  @Test
  void anApprovedCallIsForwardedAndTheQuestionAndAnswerAreAuditedByDigest() throws Exception {
    start(EnforcementMode.ENFORCING, Duration.ofSeconds(20));
    String session = gateway.openSession(ELICITATION);

    Answered answered = callAnswering(session, "{\"action\":\"accept\",\"content\":{}}");

    assertThat(answered.question().path("method").asText()).isEqualTo("elicitation/create");
    String message = answered.question().at("/params/message").asText();
    assertThat(message).contains("tool srv.echo").contains("echo sends data to a partner").contains("{\"to\":\"bob\"}");
    assertThat(answered.response().status()).isEqualTo(200);
    assertThat(answered.response().body().orElseThrow().at("/result/content/0/text").asText()).isEqualTo("echo {\"to\":\"bob\"}");
    JsonNode approval = entry("approval");
    assertThat(approval.path("answer").asText()).isEqualTo("accepted");
    assertThat(approval.path("session_id").asText()).isEqualTo(session);
    assertThat(approval.path("principal").asText()).isEqualTo("default");
    assertThat(approval.path("tool").asText()).isEqualTo("srv.echo");
    assertThat(approval.path("question_sha256").asText())
        .isEqualTo(Digests.sha256Hex(CanonicalJson.bytes(answered.question().get("params"))));
    assertThat(approval.path("content_sha256").asText()).hasSize(64);
    assertThat(approval.toString()).doesNotContain("partner", "bob");
    JsonNode decision = entry("decision");
    assertThat(decision.path("decision").asText()).isEqualTo("allow");
    assertThat(decision.path("enforced").asText()).isEqualTo("forwarded");
    assertThat(decision.path("approval").asText()).isEqualTo("accepted");
  }

  @Test
  void declineAndCancelEachDenyWithTheirOwnCause() throws Exception {
    start(EnforcementMode.ENFORCING, Duration.ofSeconds(20));
    String session = gateway.openSession(ELICITATION);

    McpHttpResponse declined = callAnswering(session, "{\"action\":\"decline\"}").response();
    assertThat(declined.status()).isEqualTo(403);
    assertThat(declined.body().orElseThrow().at("/error/data/cause").asText()).isEqualTo("approval_declined");
    assertThat(declined.body().orElseThrow().at("/error/message").asText()).contains("declined");
    assertThat(entry("approval").path("answer").asText()).isEqualTo("declined");
    assertThat(entry("decision").path("cause").asText()).isEqualTo("approval_declined");
    assertThat(entry("decision").path("approval").asText()).isEqualTo("declined");

    McpHttpResponse cancelled = callAnswering(session, "{\"action\":\"cancel\"}").response();
    assertThat(cancelled.body().orElseThrow().at("/error/data/cause").asText()).isEqualTo("approval_cancelled");
    assertThat(entry("approval").path("answer").asText()).isEqualTo("cancelled");
  }

  @Test
  void nobodyAnsweringInTimeIsADenialOfItsOwn() throws Exception {
    start(EnforcementMode.ENFORCING, Duration.ofMillis(300));
    String session = gateway.openSession(ELICITATION);
    CompletableFuture<ObjectNode> asked = new CompletableFuture<>();

    McpHttpResponse response = callOnStream(session, asked::complete);

    assertThat(asked).isDone();
    assertThat(response.body().orElseThrow().at("/error/data/cause").asText()).isEqualTo("approval_timeout");
    assertThat(entry("approval").path("answer").asText()).isEqualTo("timeout");
  }

  @Test
  void aClientThatCannotBeAskedGetsAClearDenial() throws Exception {
    start(EnforcementMode.ENFORCING, Duration.ofSeconds(20));

    McpHttpResponse noCapability = callOnStream(gateway.openSession("{}"), message -> { });
    McpHttpResponse stateless = gateway.post("default", "tools/call", "{\"name\":\"srv.echo\",\"arguments\":{}}");

    for (McpHttpResponse response : List.of(noCapability, stateless)) {
      JsonNode error = response.body().orElseThrow().get("error");
      assertThat(error.at("/data/cause").asText()).isEqualTo("approval_unavailable");
      assertThat(error.path("message").asText()).contains("elicitation capability").contains("text/event-stream");
    }
    assertThat(entry("approval").path("answer").asText()).isEqualTo("unavailable");
  }

  @Test
  void advisoryModeAsksButForwardsWhateverTheAnswer() throws Exception {
    start(EnforcementMode.ADVISORY, Duration.ofSeconds(20));
    String session = gateway.openSession(ELICITATION);

    McpHttpResponse declined = callAnswering(session, "{\"action\":\"decline\"}").response();

    assertThat(declined.status()).isEqualTo(200);
    assertThat(declined.body().orElseThrow().at("/result/content/0/text").asText()).startsWith("echo");
    assertThat(entry("approval").path("answer").asText()).isEqualTo("declined");
    JsonNode decision = entry("decision");
    assertThat(decision.path("cause").asText()).isEqualTo("approval_declined");
    assertThat(decision.path("enforced").asText()).isEqualTo("forwarded");
  }

  private record Answered(ObjectNode question, McpHttpResponse response) {}

  /** A call whose elicitation question is answered with {@code resultJson} as soon as it arrives. */
  private Answered callAnswering(String session, String resultJson) throws Exception {
    CompletableFuture<ObjectNode> asked = new CompletableFuture<>();
    CompletableFuture<McpHttpResponse> response = CompletableFuture.supplyAsync(() -> callOnStream(session, asked::complete));
    ObjectNode question = asked.get(20, TimeUnit.SECONDS);
    McpHttpResponse accepted = gateway.send(Optional.of(session),
        "{\"jsonrpc\":\"2.0\",\"id\":" + question.get("id") + ",\"result\":" + resultJson + "}");
    assertThat(accepted.status()).isEqualTo(202);
    return new Answered(question, response.get(20, TimeUnit.SECONDS));
  }

  private McpHttpResponse callOnStream(String session, Consumer<ObjectNode> toAgent) {
    String body = "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":\"srv.echo\",\"arguments\":{\"to\":\"bob\"}}}";
    return gateway.endpoint.post(
        new McpHttpRequest(Optional.of(session), Optional.empty(), Optional.empty(), body.getBytes(StandardCharsets.UTF_8)), toAgent,
        StreamWatcher.NONE);
  }

  private JsonNode entry(String type) throws Exception {
    List<JsonNode> entries = gateway.auditEntries();
    for (int i = entries.size() - 1; i >= 0; i--) {
      if (entries.get(i).path("type").asText().equals(type)) {
        return entries.get(i);
      }
    }
    throw new AssertionError("no " + type + " entry");
  }
}
