package dev.cmcp.gateway.mcp;

import static dev.cmcp.gateway.mcp.GatewayUnderTest.parse;
import static dev.cmcp.gateway.mcp.GatewayUnderTest.piiServer;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.gateway.catalog.CatalogTool;
import dev.cmcp.gateway.catalog.UpstreamServer;
import dev.cmcp.gateway.config.EnforcementMode;
import dev.cmcp.verify.base.CanonicalJson;
import dev.cmcp.verify.base.Digests;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Redaction as an agent and an auditor see it: through the endpoint, over a real upstream process. */
class RedactionThroughGatewayTest {

  private static final String POLICIES = """
      @id("contacts-without-pii")
      @redact("email,phone")
      @redact_pattern("credit_card|ssn")
      permit (principal == Agent::"sales", action == Action::"call_tool", resource == Tool::"crm.contacts");

      @id("notes-without-pii")
      @redact_pattern("email|phone|ssn|credit_card")
      permit (principal == Agent::"sales", action == Action::"call_tool", resource == Tool::"crm.notes");

      @id("support-sees-contacts")
      permit (principal == Agent::"support", action == Action::"call_tool", resource == Tool::"crm.contacts");
      """;
  private static final List<CatalogTool> TOOLS = List.of(
      new CatalogTool("crm.contacts", "crm", "contacts", Map.of()),
      new CatalogTool("crm.notes", "crm", "notes", Map.of()));
  private static final String QUERY = "{\"name\":\"%s\",\"arguments\":{\"query\":\"Acme\"}}";

  @TempDir Path dir;

  @Test
  void nestedJsonAndItsTextCopyAreRedactedAsThePolicySaysAndNothingElseChanges() throws Exception {
    try (GatewayUnderTest gateway = start(EnforcementMode.ENFORCING)) {
      JsonNode unredacted = gateway.result("support", "tools/call", QUERY.formatted("crm.contacts"));
      JsonNode redacted = gateway.result("sales", "tools/call", QUERY.formatted("crm.contacts"));

      ObjectNode expected = (ObjectNode) unredacted.deepCopy();
      ObjectNode account = (ObjectNode) expected.at("/structuredContent/account");
      ((ObjectNode) account.at("/owner")).put("email", "[REDACTED]").put("phone", "[REDACTED]");
      ((ObjectNode) account.at("/contacts/0")).put("Email", "[REDACTED]").put("phone", "[REDACTED]").put("card", "[REDACTED]");
      ((ObjectNode) account.at("/contacts/1")).put("phone", "[REDACTED]");
      ((ObjectNode) expected.at("/content/0")).put("text", expected.get("structuredContent").toString());
      expected.putObject("_meta").putObject("dev.cmcp/redactions").put("count", 12);
      assertThat(redacted.toString()).isEqualTo(expected.toString());
      assertThat(unredacted.has("_meta")).isFalse();

      List<JsonNode> entries = gateway.auditEntries();
      JsonNode decision = entries.get(entries.size() - 2);
      JsonNode outcome = entries.get(entries.size() - 1);
      assertThat(decision.path("decision").asText()).isEqualTo("redact");
      assertThat(decision.path("policies").toString()).isEqualTo("[\"contacts-without-pii\"]");
      assertThat(outcome.path("redactions")).isEqualTo(parse("""
          {"count": 12, "paths": ["content[0].text", "structuredContent.account.owner.email", "structuredContent.account.owner.phone",
            "structuredContent.account.contacts[0].Email", "structuredContent.account.contacts[0].phone",
            "structuredContent.account.contacts[0].card", "structuredContent.account.contacts[1].phone"],
           "paths_truncated": false}
          """));
      assertThat(outcome.path("result_sha256").asText()).isEqualTo(Digests.sha256Hex(CanonicalJson.bytes(redacted)));
      assertThat(entries.get(entries.size() - 3).path("redactions").isNull()).as("the unredacted call's outcome").isTrue();
      assertNoPersonalData(entries);
    }
  }

  @Test
  void freeTextLosesEveryMatchAndKeepsTheRest() throws Exception {
    try (GatewayUnderTest gateway = start(EnforcementMode.ENFORCING)) {
      JsonNode result = gateway.result("sales", "tools/call", QUERY.formatted("crm.notes"));

      assertThat(result.at("/content/0/text").asText()).isEqualTo(
          "Call Alice at [REDACTED] or [REDACTED]. Card on file [REDACTED], SSN [REDACTED]. Renewal on 2026-11-25, order #12345.");
      assertThat(result.at("/_meta/dev.cmcp~1redactions/count").asInt()).isEqualTo(4);
      assertNoPersonalData(gateway.auditEntries());
    }
  }

  @Test
  void aDenialThatAdvisoryModeForwardsIsStillRedacted() throws Exception {
    String policies = POLICIES + """
        @id("no-contacts-at-all") forbid (principal, action, resource == Tool::"crm.contacts");
        """;
    try (GatewayUnderTest gateway = GatewayUnderTest.start(
        dir, EnforcementMode.ADVISORY, policies, List.of(piiServer("crm", Map.of())), TOOLS)) {
      JsonNode result = gateway.result("sales", "tools/call", QUERY.formatted("crm.contacts"));

      assertThat(result.at("/structuredContent/account/owner/email").asText()).isEqualTo("[REDACTED]");
      List<JsonNode> entries = gateway.auditEntries();
      assertThat(entries.get(entries.size() - 2).path("decision").asText()).isEqualTo("deny");
      assertThat(entries.get(entries.size() - 2).path("enforced").asText()).isEqualTo("forwarded");
      assertThat(entries.get(entries.size() - 1).path("redactions").path("count").asInt()).isEqualTo(12);
    }
  }

  @Test
  void silentModeRedactsToo() throws Exception {
    try (GatewayUnderTest gateway = start(EnforcementMode.SILENT)) {
      JsonNode result = gateway.result("sales", "tools/call", QUERY.formatted("crm.notes"));

      assertThat(result.at("/content/0/text").asText()).doesNotContain("alice.moreno@example.com").contains("[REDACTED]");
    }
  }

  @Test
  void anAnswerStreamedOverSseIsRedactedLikeAnyOther() throws Exception {
    int port = freePort();
    Process everything = startEverythingOverHttp(port);
    try (GatewayUnderTest gateway = GatewayUnderTest.start(dir, EnforcementMode.ENFORCING, """
        @id("echo") @redact_pattern("email|credit_card")
        permit (principal, action, resource == Tool::"web.echo");
        """,
        List.of(new UpstreamServer.StreamableHttp("web", URI.create("http://127.0.0.1:" + port + "/mcp"), Map.of())),
        List.of(new CatalogTool("web.echo", "web", "echo", Map.of())))) {
      JsonNode result = gateway.result("any", "tools/call",
          "{\"name\":\"web.echo\",\"arguments\":{\"message\":\"mail bob@example.com, card 4111 1111 1111 1111\"}}");

      assertThat(result.at("/content/0/text").asText()).isEqualTo("Echo: mail [REDACTED], card [REDACTED]");
    } finally {
      everything.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  private GatewayUnderTest start(EnforcementMode mode) throws Exception {
    return GatewayUnderTest.start(dir, mode, POLICIES, List.of(piiServer("crm", Map.of())), TOOLS);
  }

  private static void assertNoPersonalData(List<JsonNode> entries) {
    String log = entries.toString();
    assertThat(log).doesNotContain("alice.moreno", "example.com", "555-01", "4111 1111", "4111-1111", "123-45-6789");
  }

  /** server-everything over Streamable HTTP on {@code port}, listening; destroy it when done. */
  static Process startEverythingOverHttp(int port) throws Exception {
    UpstreamServer.Stdio stdio = GatewayUnderTest.serverEverything("unused");
    ProcessBuilder builder = new ProcessBuilder("node", stdio.args().get(0), "streamableHttp")
        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .redirectError(ProcessBuilder.Redirect.DISCARD);
    builder.environment().put("PORT", Integer.toString(port));
    Process process = builder.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!listens(port)) {
      if (!process.isAlive() || System.nanoTime() > deadline) {
        process.destroyForcibly();
        throw new AssertionError("server-everything did not listen on port " + port);
      }
      Thread.sleep(20);
    }
    return process;
  }

  private static boolean listens(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  static int freePort() throws IOException {
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
