package dev.cmcp.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cmcp.verify.base.CheckStatus;
import dev.cmcp.verify.base.Digests;
import dev.cmcp.verify.claim.ClaimVerifier;
import dev.cmcp.verify.claim.EvidencePolicy;
import dev.cmcp.verify.claim.VerificationOptions;
import dev.cmcp.verify.claim.VerificationReport;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Per-agent tokens through the whole gateway, as {@code cmcp start} runs it: the principal is
 * the authenticated agent, a workflow is only context and must be one the agent may declare,
 * sessions and claims belong to their agent, and every refusal is audited with its cause.
 */
class AgentIdentityGatewayTest {

  private static final String TOKEN_A = "agent-a-token-0123456789abcdef";
  private static final String TOKEN_B = "agent-b-token-0123456789abcdef";
  private static final String TOKEN_AUDITOR = "auditor-token-0123456789abcdef";
  /** Each agent is permitted one tool, whatever workflow it declares. */
  private static final String POLICIES = """
      permit (principal == Agent::"agent-a", action == Action::"call_tool", resource == Tool::"crm.contacts");
      permit (principal == Agent::"agent-b", action == Action::"call_tool", resource == Tool::"crm.notes")
        when { context.workflow_id == "agent-b" };
      """;

  @TempDir static Path dir;
  private static Gateway gateway;
  private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static final ObjectMapper JSON = new ObjectMapper();

  @BeforeAll
  static void start() throws Exception {
    Path policies = Files.createDirectories(dir.resolve("policies"));
    Files.writeString(policies.resolve("manifest.json"),
        "{\"version\": \"1.0.0\", \"authored_at\": \"2026-01-01T00:00:00Z\", \"author_identity\": \"t@example.com\", \"commit_sha\": \"t\"}");
    Files.writeString(policies.resolve("agents.cedar"), POLICIES);
    Path server = Path.of(AgentIdentityGatewayTest.class.getResource("/dev/cmcp/gateway/mcp/pii-server.mjs").toURI());
    Files.writeString(dir.resolve("catalog.json"), "{\"servers\": {\"crm\": {\"transport\": \"stdio\", \"command\": \"node\", \"args\": ["
        + JSON.writeValueAsString(server.toString()) + "]}}, \"tools\": ["
        + "{\"tool_name\": \"crm.contacts\", \"server\": \"crm\", \"upstream_name\": \"contacts\"},"
        + "{\"tool_name\": \"crm.notes\", \"server\": \"crm\", \"upstream_name\": \"notes\"}]}");
    Path config = Files.writeString(dir.resolve("cmcp-config.yaml"), """
        attestation:
          provider: software-only
        enforcement_mode: enforcing
        listen_addr: 127.0.0.1:0
        audit_dir: ./audit/
        auth:
          agents:
            - id: agent-a
              token_sha256: "%s"
              workflows: [agent-a, nightly-sync]
            - id: agent-b
              token_sha256: "%s"
            - id: auditor
              token_sha256: "%s"
          auditors: [auditor]
        """.formatted(hash(TOKEN_A), hash(TOKEN_B), hash(TOKEN_AUDITOR)));
    gateway = Gateway.start(config, Map.of("CMCP_DEV_MODE", "1"), new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
  }

  @AfterAll
  static void stop() {
    if (gateway != null) {
      gateway.close();
    }
  }

  private static String hash(String token) {
    return Digests.sha256Hex(token.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void twoAgentsWithTwoTokensGetTheirOwnPermits() throws Exception {
    assertThat(call(TOKEN_A, "crm.contacts", "{\"session_id\":\"a-permits\"}").statusCode()).isEqualTo(200);
    assertThat(call(TOKEN_A, "crm.notes", "{\"session_id\":\"a-permits\"}").statusCode()).isEqualTo(403);
    assertThat(call(TOKEN_B, "crm.notes", "{\"session_id\":\"b-permits\"}").statusCode()).isEqualTo(200);
    assertThat(call(TOKEN_B, "crm.contacts", "{\"session_id\":\"b-permits\"}").statusCode()).isEqualTo(403);
  }

  @Test
  void aWorkflowDoesNotMakeThePrincipalAndOnlyAllowedOnesMayBeDeclared() throws Exception {
    // agent-b may not name agent-a's workflow to get agent-a's permits: refused before Cedar, and audited.
    HttpResponse<String> borrowed = call(TOKEN_B, "crm.contacts", "{\"session_id\":\"b-borrows\",\"workflow_id\":\"agent-a\"}");
    assertThat(borrowed.statusCode()).isEqualTo(403);
    assertThat(JSON.readTree(borrowed.body()).path("error").path("data").path("error").asText()).isEqualTo("workflow_not_allowed");

    // agent-a declaring its second workflow keeps its own principal, so its own permit.
    assertThat(call(TOKEN_A, "crm.contacts", "{\"session_id\":\"a-nightly\",\"workflow_id\":\"nightly-sync\"}").statusCode()).isEqualTo(200);

    JsonNode refused = lastEntry(entry -> "b-borrows".equals(entry.path("session_id").asText()) && isDecision(entry));
    assertThat(refused.path("cause").asText()).isEqualTo("workflow_not_allowed");
    assertThat(refused.path("principal").asText()).isEqualTo("agent-b");
    assertThat(refused.path("auth").path("method").asText()).isEqualTo("agent_token");
    JsonNode nightly = lastEntry(entry -> "a-nightly".equals(entry.path("session_id").asText()) && isDecision(entry));
    assertThat(nightly.path("principal").asText()).isEqualTo("agent-a");
    assertThat(nightly.path("workflow_id").asText()).isEqualTo("nightly-sync");
  }

  @Test
  void anotherAgentCannotReadAClaimOrUseASessionItDidNotMake() throws Exception {
    assertThat(call(TOKEN_A, "crm.contacts", "{\"session_id\":\"a-owned\"}").statusCode()).isEqualTo(200);

    assertThat(claim(TOKEN_B, "a-owned").statusCode()).isEqualTo(404);
    assertThat(call(TOKEN_B, "crm.notes", "{\"session_id\":\"a-owned\",\"workflow_id\":\"agent-b\"}").statusCode()).isEqualTo(404);

    HttpResponse<String> own = claim(TOKEN_A, "a-owned");
    HttpResponse<String> audited = claim(TOKEN_AUDITOR, "a-owned");
    assertThat(own.statusCode()).isEqualTo(200);
    assertThat(audited.statusCode()).isEqualTo(200);
    JsonNode principal = JSON.readTree(own.body()).path("gateway").path("principal");
    assertThat(principal.path("id").asText()).isEqualTo("agent-a");
    assertThat(principal.path("method").asText()).isEqualTo("agent_token");

    Path claimFile = Files.writeString(dir.resolve("a-owned-claim.json"), own.body());
    VerificationReport report = ClaimVerifier.verify(Files.readAllBytes(claimFile),
        VerificationOptions.of(EvidencePolicy.ALLOW_SOFTWARE, Instant.now()).withAuditLog(auditFile()));
    assertThat(report.toText()).contains("principal agent-a (agent_token)");
    assertThat(report.check(dev.cmcp.verify.claim.CheckName.AUDIT_LOG).status()).isEqualTo(CheckStatus.PASS);
  }

  @Test
  void anMcpSessionOpenedByOneAgentIsUnknownToAnother() throws Exception {
    HttpResponse<String> opened = post(Optional.of(TOKEN_A), Optional.empty(),
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{}}}");
    String session = opened.headers().firstValue("Mcp-Session-Id").orElseThrow();
    String list = "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\",\"params\":{}}";

    assertThat(post(Optional.of(TOKEN_A), Optional.of(session), list).statusCode()).isEqualTo(200);
    assertThat(post(Optional.of(TOKEN_B), Optional.of(session), list).statusCode()).isEqualTo(404);
    assertThat(JSON.readTree(post(Optional.of(TOKEN_A), Optional.of(session), list).body()).path("result").path("tools")
        .findValuesAsText("name")).containsExactly("crm.contacts");
  }

  @Test
  void requestsWithoutAKnownTokenAreRefusedUnreadAndAudited() throws Exception {
    HttpResponse<String> none = post(Optional.empty(), Optional.empty(), "{}");
    HttpResponse<String> wrong = post(Optional.of("not-a-known-token-0123456789"), Optional.empty(), "{}");

    assertThat(none.statusCode()).isEqualTo(401);
    assertThat(none.headers().firstValue("WWW-Authenticate")).contains("Bearer");
    assertThat(JSON.readTree(none.body()).path("error").path("data").path("error").asText()).isEqualTo("no_token");
    assertThat(wrong.statusCode()).isEqualTo(401);
    List<String> causes = new ArrayList<>();
    for (JsonNode entry : entries()) {
      if (entry.path("type").asText().equals("auth_refused")) {
        causes.add(entry.path("cause").asText());
        assertThat(entry.toString()).doesNotContain("not-a-known-token");
      }
    }
    assertThat(causes).contains("no_token", "unknown_token");
    HttpResponse<String> metrics = CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + "/metrics"))
        .header("Authorization", "Bearer " + TOKEN_AUDITOR).GET().build(), HttpResponse.BodyHandlers.ofString());
    assertThat(metrics.body()).contains("cmcp_auth_refusals_total{cause=\"no_token\",method=\"agent_token\"}");
  }

  private static HttpResponse<String> call(String token, String tool, String cmcp) throws Exception {
    return post(Optional.of(token), Optional.empty(), "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":\""
        + tool + "\",\"arguments\":{\"query\":\"Acme Corp\"},\"_cmcp\":" + cmcp + "}}");
  }

  private static HttpResponse<String> post(Optional<String> token, Optional<String> session, String body) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + "/mcp"))
        .header("Content-Type", "application/json").header("Accept", "application/json, text/event-stream")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    token.ifPresent(t -> request.header("Authorization", "Bearer " + t));
    session.ifPresent(s -> request.header("Mcp-Session-Id", s));
    return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> claim(String token, String session) throws Exception {
    return CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + "/v1/sessions/" + session + "/claim"))
        .header("Authorization", "Bearer " + token).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  private static Path auditFile() throws Exception {
    try (var files = Files.list(dir.resolve("audit"))) {
      return files.filter(f -> f.getFileName().toString().endsWith(".jsonl")).findFirst().orElseThrow();
    }
  }

  private static List<JsonNode> entries() throws Exception {
    List<JsonNode> entries = new ArrayList<>();
    for (String line : Files.readAllLines(auditFile())) {
      entries.add(JSON.readTree(line));
    }
    return entries;
  }

  private static boolean isDecision(JsonNode entry) {
    return entry.path("type").asText().equals("decision");
  }

  private static JsonNode lastEntry(java.util.function.Predicate<JsonNode> which) throws Exception {
    List<JsonNode> matching = entries().stream().filter(which).toList();
    assertThat(matching).isNotEmpty();
    return matching.get(matching.size() - 1);
  }
}
