package dev.cmcp.gateway.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.gateway.catalog.CatalogTool;
import dev.cmcp.gateway.config.EnforcementMode;
import dev.cmcp.gateway.upstream.StreamWatcher;
import dev.cmcp.verify.audit.AuditLogReplay;
import dev.cmcp.verify.base.StrictJson;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An agent's notifications/cancelled for its call in flight, forwarded to the upstream and audited. */
class CancellationTest {

  @TempDir Path dir;

  @Test
  void aCancelledCallIsCalledOffUpstreamUnderTheServersIdAndAuditedAsCancelled() throws Exception {
    try (GatewayUnderTest gateway = GatewayUnderTest.start(dir, EnforcementMode.ENFORCING,
        "permit (principal, action == Action::\"call_tool\", resource in Server::\"asking\");",
        List.of(GatewayUnderTest.askingServer("asking")),
        List.of(new CatalogTool("asking.hang", "asking", "hang", Map.of()),
            new CatalogTool("asking.cancelled", "asking", "cancelled", Map.of())))) {
      String session = gateway.openSession();
      CompletableFuture<McpHttpResponse> call = CompletableFuture.supplyAsync(() ->
          gateway.send(Optional.of(session), "{\"jsonrpc\":\"2.0\",\"id\":\"call-1\",\"method\":\"tools/call\","
              + "\"params\":{\"name\":\"asking.hang\",\"arguments\":{}}}"));

      McpHttpResponse answer = cancelUntilAnswered(gateway, session, call);

      JsonNode error = answer.body().orElseThrow().path("error");
      assertThat(error.path("code").asInt()).isEqualTo(JsonRpcError.REQUEST_CANCELLED);
      assertThat(error.path("data").path("error").asText()).isEqualTo("cancelled");
      // The server saw one cancellation, under its own (numeric) id for the call, not the agent's "call-1".
      JsonNode seen = new StrictJson().parse(gateway.callTool(Optional.of(session), "asking.cancelled", "{}")
          .body().orElseThrow().path("result").path("content").path(0).path("text").asText());
      assertThat(seen).hasSize(1);
      assertThat(seen.get(0).isIntegralNumber()).isTrue();
      assertThat(gateway.auditEntries()).filteredOn(entry -> entry.path("type").asText().equals("outcome"))
          .extracting(entry -> entry.path("tool").asText() + " " + entry.path("outcome").asText())
          .contains("asking.hang cancelled");
      // The verifier's replay takes the new outcome word like any other.
      assertThat(AuditLogReplay.replay(gateway.auditFile())).isInstanceOf(AuditLogReplay.Intact.class);
    }
  }

  @Test
  void aCancellationFromAnotherSessionOrOfAnotherIdCallsOffNothing() throws Exception {
    try (GatewayUnderTest gateway = GatewayUnderTest.start(dir, EnforcementMode.ENFORCING,
        "permit (principal, action == Action::\"call_tool\", resource in Server::\"asking\");",
        List.of(GatewayUnderTest.askingServer("asking")),
        List.of(new CatalogTool("asking.ask", "asking", "ask", Map.of())))) {
      String session = gateway.openSession("{\"sampling\":{}}");
      String other = gateway.openSession("{\"sampling\":{}}");
      CompletableFuture<ObjectNode> asked = new CompletableFuture<>();
      CompletableFuture<McpHttpResponse> call = CompletableFuture.supplyAsync(() -> gateway.endpoint.post(
          new McpHttpRequest(Optional.of(session), Optional.empty(), Optional.empty(),
              ("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{\"name\":\"asking.ask\",\"arguments\":{}}}")
                  .getBytes(StandardCharsets.UTF_8)), asked::complete, StreamWatcher.NONE));
      // The server asks the agent while the call is in flight: now is when a wrong cancellation could land.
      JsonNode id = asked.get(20, TimeUnit.SECONDS).get("id");

      assertThat(gateway.send(Optional.of(other), cancelled("5")).status()).isEqualTo(202);
      assertThat(gateway.send(Optional.of(session), cancelled("\"5\"")).status()).isEqualTo(202);
      assertThat(gateway.send(Optional.empty(), cancelled("5")).status()).isEqualTo(202);
      gateway.send(Optional.of(session), "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"result\":{\"role\":\"assistant\","
          + "\"content\":{\"type\":\"text\",\"text\":\"still here\"},\"model\":\"m\"}}");

      JsonNode answer = call.get(20, TimeUnit.SECONDS).body().orElseThrow();
      assertThat(answer.path("result").path("content").path(0).path("text").asText()).contains("still here");
    }
  }

  @Test
  void aRequestTheAgentLeftUnansweredIsAbandonedWhenItsCallIsCancelled() throws Exception {
    try (GatewayUnderTest gateway = GatewayUnderTest.start(dir, EnforcementMode.ENFORCING,
        "permit (principal, action == Action::\"call_tool\", resource in Server::\"asking\");",
        List.of(GatewayUnderTest.askingServer("asking")),
        List.of(new CatalogTool("asking.ask", "asking", "ask", Map.of())))) {
      String session = gateway.openSession("{\"sampling\":{}}");
      CompletableFuture<ObjectNode> asked = new CompletableFuture<>();
      CompletableFuture<McpHttpResponse> call = CompletableFuture.supplyAsync(() -> gateway.endpoint.post(
          new McpHttpRequest(Optional.of(session), Optional.empty(), Optional.empty(),
              ("{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/call\",\"params\":{\"name\":\"asking.ask\",\"arguments\":{}}}")
                  .getBytes(StandardCharsets.UTF_8)), asked::complete, StreamWatcher.NONE));
      String relayedId = asked.get(20, TimeUnit.SECONDS).path("id").asText();

      gateway.send(Optional.of(session), cancelled("9"));

      assertThat(call.get(20, TimeUnit.SECONDS).body().orElseThrow().path("error").path("code").asInt())
          .isEqualTo(JsonRpcError.REQUEST_CANCELLED);
      assertThat(gateway.auditEntries()).filteredOn(entry -> entry.path("relayed_id").asText().equals(relayedId))
          .extracting(entry -> entry.path("type").asText() + " " + entry.path("answer").asText(""))
          .containsExactly("relayed_request ", "relayed_answer abandoned");
      // A late answer from the agent finds nothing to answer.
      assertThat(gateway.send(Optional.of(session), "{\"jsonrpc\":\"2.0\",\"id\":\"" + relayedId + "\",\"result\":{}}").status())
          .isEqualTo(400);
    }
  }

  /** The call may not be in flight yet when the first cancellation arrives, so it is repeated until the answer comes. */
  private static McpHttpResponse cancelUntilAnswered(GatewayUnderTest gateway, String session, CompletableFuture<McpHttpResponse> call)
      throws Exception {
    for (int tries = 0; tries < 200 && !call.isDone(); tries++) {
      assertThat(gateway.send(Optional.of(session), cancelled("\"call-1\"")).status()).isEqualTo(202);
      waitBriefly(call);
    }
    return call.get(20, TimeUnit.SECONDS);
  }

  private static void waitBriefly(CompletableFuture<McpHttpResponse> call) throws Exception {
    try {
      call.get(50, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      // not yet
    }
  }

  private static String cancelled(String requestIdJson) {
    return "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":" + requestIdJson
        + ",\"reason\":\"user pressed stop\"}}";
  }
}
