package dev.cmcp.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Redaction through ./cmcp start: an upstream answering with nested JSON and free text full of
 * e-mails, phone numbers and card numbers is redacted as the policy says and nothing else
 * changes; the audit log holds paths and counts, never a value; the claim still verifies.
 */
class RedactionTest {

  private static final String POLICIES = """
      // Sales may look up contacts, but not their e-mail addresses, phone numbers or card numbers.
      @id("contacts-without-pii")
      @redact("email,phone")
      @redact_pattern("credit_card")
      permit (principal == Agent::"sales", action == Action::"call_tool", resource == Tool::"crm.contacts");

      @id("notes-without-pii")
      @redact_pattern("email|phone|ssn|credit_card")
      permit (principal == Agent::"sales", action == Action::"call_tool", resource == Tool::"crm.notes");

      // The compliance team sees everything.
      @id("compliance-sees-all")
      permit (principal == Agent::"compliance", action == Action::"call_tool", resource in Server::"crm");
      """;

  @TempDir Path tmp;

  @Test
  void personalDataIsRedactedAsThePolicySaysAndTheAuditLogHoldsNoValue() throws Exception {
    Path config = Deployments.piiServer(tmp, "enforcing", POLICIES, Map.of());
    Path claimFile = tmp.resolve("claim.json");
    JsonNode full;
    JsonNode contacts;
    JsonNode notes;
    try (GatewayProcess gateway = GatewayProcess.start(config, Map.of("CMCP_DEV_MODE", "1"))) {
      McpClient client = new McpClient(gateway.baseUrl());
      full = result(client.post(McpClient.toolCall(1, "crm.contacts", "{\"query\":\"Acme\"}", "s-full", "compliance")));
      contacts = result(client.post(McpClient.toolCall(2, "crm.contacts", "{\"query\":\"Acme\"}", "s-sales", "sales")));
      notes = result(client.post(McpClient.toolCall(3, "crm.notes", "{\"query\":\"Acme\"}", "s-sales", "sales")));

      CliTest.Run fetched = CliTest.cmcp("claim", "--gateway", gateway.baseUrl(), "--session", "s-sales", "--out", claimFile.toString());
      assertThat(fetched.exit()).as(fetched.output()).isZero();
    }

    ObjectNode expected = (ObjectNode) full.deepCopy();
    ((ObjectNode) expected.at("/structuredContent/account/owner")).put("email", "[REDACTED]").put("phone", "[REDACTED]");
    ((ObjectNode) expected.at("/structuredContent/account/contacts/0"))
        .put("Email", "[REDACTED]").put("phone", "[REDACTED]").put("card", "[REDACTED]");
    ((ObjectNode) expected.at("/structuredContent/account/contacts/1")).put("phone", "[REDACTED]");
    ((ObjectNode) expected.at("/content/0")).put("text", McpClient.JSON.writeValueAsString(expected.get("structuredContent")));
    expected.putObject("_meta").putObject("dev.cmcp/redactions").put("count", 12);
    assertThat(contacts).isEqualTo(expected);
    assertThat(full.toString()).contains("alice.moreno@example.com", "4111 1111 1111 1111");

    assertThat(notes.at("/content/0/text").asText()).isEqualTo(
        "Call Alice at [REDACTED] or [REDACTED]. Card on file [REDACTED], SSN [REDACTED]. Renewal on 2026-11-25, order #12345.");

    Path log = ClaimTest.onlyLog(tmp.resolve("audit"));
    String logText = Files.readString(log, StandardCharsets.UTF_8);
    assertThat(logText).doesNotContain("alice", "example.com", "555-01", "4111 1111", "4111-1111", "123-45-6789", "Acme");
    List<JsonNode> outcomes = logText.lines().map(RedactionTest::json).filter(e -> e.path("type").asText().equals("outcome")).toList();
    assertThat(outcomes.get(0).path("redactions").isNull()).as("the compliance call").isTrue();
    assertThat(outcomes.get(1).path("redactions").path("count").asInt()).isEqualTo(12);
    assertThat(outcomes.get(1).path("redactions").path("paths").valueStream().map(JsonNode::asText).toList())
        .contains("content[0].text", "structuredContent.account.owner.email", "structuredContent.account.contacts[0].card");
    assertThat(outcomes.get(2).path("redactions").toString()).isEqualTo("{\"count\":4,\"paths\":[\"content[0].text\"],\"paths_truncated\":false}");

    CliTest.Run verified = ClaimTest.verify(claimFile, "--audit-log", log.toString(), "--allow-software");
    assertThat(verified.exit()).as(verified.output()).isEqualTo(3);
    assertThat(verified.output()).doesNotContain("FAIL").contains("result: partially_verified");
    ObjectNode claim = (ObjectNode) McpClient.JSON.readTree(claimFile.toFile());
    assertThat(claim.at("/gateway/calls/0/decision").asText()).isEqualTo("redact");
  }

  private static JsonNode result(McpClient.Answer answer) {
    assertThat(answer.status()).as(String.valueOf(answer.body())).isEqualTo(200);
    return answer.body().get("result");
  }

  private static JsonNode json(String line) {
    try {
      return McpClient.JSON.readTree(line);
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
