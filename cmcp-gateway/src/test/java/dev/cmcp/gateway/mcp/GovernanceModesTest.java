package dev.cmcp.gateway.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cmcp.gateway.catalog.CatalogTool;
import dev.cmcp.gateway.config.EnforcementMode;
import dev.cmcp.verify.audit.AuditLogReplay;
import dev.cmcp.verify.base.Digests;
import java.nio.charset.StandardCharsets;
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
 * What each enforcement mode refuses, checked in the module against {@code hostile-server.mjs}
 * (plain Node.js, no npm package), which lists every call it received: the mutations that only
 * the end-to-end tests used to catch. Each gateway's server is asked directly, not through the
 * gateway, whether anything reached it.
 */
class GovernanceModesTest {

  /** crm.get_contact is permitted; crm.echo is in the catalog but no policy permits it. */
  private static final String ONLY_GET_CONTACT = """
      @id("get-contact") permit (principal, action == Action::"call_tool", resource == Tool::"crm.get_contact");
      """;

  private static final List<CatalogTool> TOOLS = List.of(
      new CatalogTool("crm.get_contact", "crm", "get_contact", Map.of()),
      new CatalogTool("crm.echo", "crm", "echo", Map.of()));

  @TempDir static Path dir;
  static GatewayUnderTest enforcing;
  static GatewayUnderTest advisory;
  static GatewayUnderTest silent;
  static GatewayUnderTest brokenAudit;

  @BeforeAll
  static void start() throws Exception {
    enforcing = start("enforcing", EnforcementMode.ENFORCING);
    advisory = start("advisory", EnforcementMode.ADVISORY);
    silent = start("silent", EnforcementMode.SILENT);
    brokenAudit = start("broken-audit", EnforcementMode.ENFORCING);
  }

  private static GatewayUnderTest start(String name, EnforcementMode mode) throws Exception {
    return GatewayUnderTest.start(Files.createDirectories(dir.resolve(name)), mode, ONLY_GET_CONTACT,
        List.of(GatewayUnderTest.hostileServer("crm")), TOOLS);
  }

  @AfterAll
  static void stop() {
    for (GatewayUnderTest gateway : new GatewayUnderTest[] {enforcing, advisory, silent, brokenAudit}) {
      if (gateway != null) {
        gateway.close();
      }
    }
  }

  private static List<String> received(GatewayUnderTest gateway) throws Exception {
    return gateway.upstreamCalls("crm").stream().filter(name -> !name.equals("calls")).toList();
  }

  private static JsonNode error(McpHttpResponse response) {
    JsonNode body = response.body().orElseThrow();
    assertThat(body.has("error")).as(body.toString()).isTrue();
    return body.get("error");
  }

  @Test
  void anUnsanctionedToolIsRefusedInAdvisoryModeAndNeverForwarded() throws Exception {
    List<String> before = received(advisory);

    McpHttpResponse answer = advisory.callTool(Optional.empty(), "crm.delete_everything", "{}");

    assertThat(error(answer).at("/data/cause").asText()).as(answer.toString()).isEqualTo("unsanctioned_tool");
    assertThat(received(advisory)).isEqualTo(before);
    assertThat(advisory.auditEntries()).filteredOn(e -> e.path("tool").asText().equals("crm.delete_everything"))
        .singleElement().satisfies(e -> assertThat(e.path("enforced").asText()).isEqualTo("blocked"));
  }

  @Test
  void anUnsanctionedToolIsRefusedInSilentModeAndNeverForwarded() throws Exception {
    List<String> before = received(silent);

    McpHttpResponse answer = silent.callTool(Optional.empty(), "crm.delete_everything", "{}");

    assertThat(error(answer).at("/data/cause").asText()).as(answer.toString()).isEqualTo("unsanctioned_tool");
    assertThat(received(silent)).isEqualTo(before);
  }

  @Test
  void aForbiddenCallIsBlockedInEnforcingModeAndForwardedOnlyInAdvisory() throws Exception {
    List<String> before = received(enforcing);

    McpHttpResponse blocked = enforcing.callTool(Optional.empty(), "crm.echo", "{\"x\":1}");
    McpHttpResponse allowed = enforcing.callTool(Optional.empty(), "crm.get_contact", "{}");

    assertThat(blocked.status()).isEqualTo(403);
    assertThat(error(blocked).at("/data/error").asText()).isEqualTo("tool_call_denied");
    assertThat(allowed.status()).isEqualTo(200);
    assertThat(received(enforcing)).containsExactlyElementsOf(concat(before, "get_contact"));

    List<String> advisoryBefore = received(advisory);
    assertThat(advisory.callTool(Optional.empty(), "crm.echo", "{}").status()).isEqualTo(200);
    assertThat(received(advisory)).containsExactlyElementsOf(concat(advisoryBefore, "echo"));
  }

  @Test
  void anAuditAppendThatThrowsRefusesTheCallWith503AndForwardsNothing() throws Exception {
    brokenAudit.breakAuditLog();
    List<String> before = received(brokenAudit);

    McpHttpResponse answer = brokenAudit.callTool(Optional.empty(), "crm.get_contact", "{}");

    assertThat(answer.status()).isEqualTo(503);
    assertThat(error(answer).at("/data/error").asText()).as(answer.toString()).isEqualTo("audit_unavailable");
    assertThat(received(brokenAudit)).isEqualTo(before);
  }

  @Test
  void aToolNameOverTheLimitIsRefusedWith400AndAuditedByItsDigestOnly() throws Exception {
    String name = "crm." + "n".repeat(1024 * 1024);
    List<String> before = received(enforcing);
    long linesBefore = enforcing.auditEntries().size();

    McpHttpResponse answer = enforcing.callTool(Optional.empty(), name, "{}");

    assertThat(answer.status()).isEqualTo(400);
    assertThat(error(answer).at("/data/error").asText()).isEqualTo("oversized_name");
    assertThat(received(enforcing)).isEqualTo(before);
    List<JsonNode> added = enforcing.auditEntries().subList((int) linesBefore, enforcing.auditEntries().size());
    assertThat(added).singleElement().satisfies(entry -> {
      assertThat(entry.path("type").asText()).isEqualTo("oversized_input");
      assertThat(entry.path("sha256").asText()).isEqualTo(Digests.sha256Hex(name.getBytes(StandardCharsets.UTF_8)));
      assertThat(entry.path("bytes").asLong()).isEqualTo(name.length());
      assertThat(entry.toString()).hasSizeLessThan(1024);
    });
    // The log stays readable by a verifier: no line is longer than it reads.
    assertThat(AuditLogReplay.replay(enforcing.auditFile())).isInstanceOf(AuditLogReplay.Intact.class);
  }

  @Test
  void aNameAtTheLimitIsDecidedAsUsual() throws Exception {
    String name = "crm." + "n".repeat(ToolCallPipeline.MAX_NAME_BYTES - 4);

    McpHttpResponse answer = enforcing.callTool(Optional.empty(), name, "{}");

    assertThat(error(answer).at("/data/cause").asText()).as(answer.toString()).isEqualTo("unsanctioned_tool");
  }

  @Test
  void aResourceUriOverTheLimitIsRefusedWith400() throws Exception {
    McpHttpResponse answer = enforcing.send(Optional.empty(), "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"resources/read\","
        + "\"params\":{\"uri\":\"file:///" + "u".repeat(ToolCallPipeline.MAX_URI_BYTES) + "\"}}");

    assertThat(answer.status()).isEqualTo(400);
    assertThat(error(answer).at("/data/error").asText()).isEqualTo("oversized_uri");
  }

  private static List<String> concat(List<String> list, String last) {
    List<String> all = new java.util.ArrayList<>(list);
    all.add(last);
    return all;
  }
}
