package dev.cmcp.gateway.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cmcp.gateway.catalog.CatalogTool;
import dev.cmcp.gateway.config.EnforcementMode;
import dev.cmcp.gateway.policy.SessionHistory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cookbook's "nothing external after personal data" rule through the endpoint, over a real
 * upstream process: in one session, across two sessions of one agent, and for stateless calls
 * that declare their session.
 */
class SessionHistoryThroughGatewayTest {

  @TempDir static Path dir;
  static GatewayUnderTest gateway;

  @BeforeAll
  static void start() throws Exception {
    String rule = Files.readString(Path.of(SessionHistoryThroughGatewayTest.class
        .getResource("/policy/cookbook/12-no-external-after-pii.cedar").toURI()));
    String policies = "@id(\"everything\") permit (principal, action, resource);\n" + rule;
    gateway = GatewayUnderTest.start(dir, EnforcementMode.ENFORCING, policies, List.of(GatewayUnderTest.hostileServer("crm")),
        List.of(
            new CatalogTool("crm.get_contact", "crm", "get_contact", Map.of("sensitivity_level", GatewayUnderTest.JSON.parse("\"pii\""))),
            new CatalogTool("crm.echo", "crm", "echo", Map.of("tags", GatewayUnderTest.JSON.parse("[\"external\"]")))));
  }

  @AfterAll
  static void stop() {
    gateway.close();
  }

  @Test
  void anExternalToolIsAllowedUntilThePiiToolWasCalledInTheSameSessionAndThenForbidden() throws Exception {
    Optional<String> session = Optional.of(gateway.openSession());

    assertThat(gateway.callTool(session, "crm.echo", "{}").status()).as("before any pii tool").isEqualTo(200);
    assertThat(gateway.callTool(session, "crm.get_contact", "{}").status()).isEqualTo(200);
    McpHttpResponse after = gateway.callTool(session, "crm.echo", "{}");

    assertThat(after.status()).isEqualTo(403);
    JsonNode error = after.body().orElseThrow().get("error");
    assertThat(error.at("/data/cause").asText()).isEqualTo("forbidden_by_policy");
    assertThat(error.at("/data/reason").asText()).startsWith("This session has used personal data");
    List<JsonNode> entries = gateway.auditEntries();
    assertThat(entries.get(entries.size() - 1).path("policies").toString()).isEqualTo("[\"no-external-after-pii\"]");
    assertThat(gateway.callTool(session, "crm.get_contact", "{}").status()).as("pii tools themselves go on").isEqualTo(200);
  }

  @Test
  void anotherSessionOfTheSameAgentStartsClean() {
    Optional<String> first = Optional.of(gateway.openSession());
    gateway.callTool(first, "crm.get_contact", "{}");
    assertThat(gateway.callTool(first, "crm.echo", "{}").status()).isEqualTo(403);

    Optional<String> second = Optional.of(gateway.openSession());

    assertThat(gateway.callTool(second, "crm.echo", "{}").status()).isEqualTo(200);
    assertThat(gateway.callTool(first, "crm.echo", "{}").status()).as("the first stays forbidden").isEqualTo(403);
  }

  @Test
  void statelessCallsKeepTheHistoryOfTheSessionTheyDeclarePerPrincipal() {
    assertThat(stateless("agent-a", "s-1", "crm.get_contact").status()).isEqualTo(200);

    assertThat(stateless("agent-a", "s-1", "crm.echo").status()).isEqualTo(403);
    assertThat(stateless("agent-a", "s-2", "crm.echo").status()).as("another declared session").isEqualTo(200);
    assertThat(stateless("agent-b", "s-1", "crm.echo").status()).as("another principal naming the same id").isEqualTo(200);
    assertThat(stateless("agent-a", "stateless-s-1", "crm.echo").body().orElseThrow().at("/error/message").asText())
        .contains("may not start with \"stateless-\"");
    // A call naming no session is a session of its own, with an empty history.
    assertThat(gateway.post("agent-a", "tools/call", "{\"name\":\"crm.echo\",\"arguments\":{}}").status()).isEqualTo(200);
    assertThat(SessionHistory.EMPTY.callCount()).isZero();
  }

  private static McpHttpResponse stateless(String workflow, String session, String tool) {
    return gateway.post(workflow, "tools/call",
        "{\"name\":\"" + tool + "\",\"arguments\":{},\"_cmcp\":{\"session_id\":\"" + session + "\"}}");
  }
}
