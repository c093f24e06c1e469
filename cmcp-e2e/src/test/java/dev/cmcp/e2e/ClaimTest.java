package dev.cmcp.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proof end to end: a session of allowed, advisory-denied and blocked calls yields a claim that
 * `cmcp verify` accepts with the audit log, and that fails by name when anything is changed.
 */
class ClaimTest {

  @TempDir Path tmp;

  @Test
  void aSessionClaimVerifiesAndEveryTamperingFailsItsNamedCheck() throws Exception {
    Path audit = tmp.resolve("audit");
    Path claimFile = tmp.resolve("claim.json");
    String bundleHash;
    try (GatewayProcess gateway = GatewayProcess.start(
        Deployments.quickstart(tmp, "advisory", tmp.resolve("calls.log")), Map.of("CMCP_DEV_MODE", "1"))) {
      McpClient client = new McpClient(gateway.baseUrl());
      assertThat(client.post(McpClient.toolCall(1, "salesforce.contacts", "{\"query\":\"Acme\"}", "s-proof", "demo-agent")).status()).isEqualTo(200);
      assertThat(client.post(McpClient.toolCall(2, "salesforce.export_all", "{}", "s-proof", "demo-agent")).status()).isEqualTo(200);
      assertThat(client.post(McpClient.toolCall(3, "salesforce.delete_all", "{}", "s-proof", "demo-agent")).status()).isEqualTo(200);
      assertThat(client.post(McpClient.toolCall(4, "salesforce.contacts", "{\"query\":\"Globex\"}", "other-session", "demo-agent"))
          .status()).isEqualTo(200);

      CliTest.Run fetched = CliTest.cmcp("claim", "--gateway", gateway.baseUrl(), "--session", "s-proof", "--out", claimFile.toString());
      assertThat(fetched.exit()).as(fetched.output()).isZero();
      bundleHash = CliTest.cmcp("validate-bundle", "--bundle-path", Repo.quickstart().resolve("policies").toString())
          .output().lines().filter(l -> l.startsWith("bundle_hash: ")).findFirst().orElseThrow().substring(13);
    }
    ObjectNode claim = (ObjectNode) McpClient.JSON.readTree(claimFile.toFile());
    assertThat(claim.path("gateway").path("calls").valueStream().map(c -> c.path("decision").asText() + "/" + c.path("enforced").asText()).toList())
        .containsExactly("allow/forwarded", "deny/forwarded", "deny/blocked");
    Path log = onlyLog(audit);

    // Software evidence: every check passes, but exit 3 (partially_verified), never 0: anyone's key could sign such a claim.
    CliTest.Run verified = verify(claimFile, "--audit-log", log.toString(), "--allow-software", "--expected-bundle-hash", bundleHash);
    assertThat(verified.exit()).as(verified.output()).isEqualTo(3);
    assertThat(verified.output()).contains("result: partially_verified").contains("NOT ESTABLISHED evidence").doesNotContain("FAIL");

    CliTest.Run noSoftware = verify(claimFile, "--audit-log", log.toString());
    assertThat(noSoftware.exit()).isEqualTo(1);
    assertThat(noSoftware.output()).containsPattern("FAIL evidence");

    // Another bundle (one byte of a policy changed) has another hash: the claim does not match it.
    Path otherBundle = Files.createDirectories(tmp.resolve("other-bundle"));
    Files.copy(Repo.quickstart().resolve("policies/manifest.json"), otherBundle.resolve("manifest.json"));
    Files.writeString(otherBundle.resolve("quickstart.cedar"),
        Files.readString(Repo.quickstart().resolve("policies/quickstart.cedar")).replace("Bulk export", "Bulk Export"));
    String otherHash = CliTest.cmcp("validate-bundle", "--bundle-path", otherBundle.toString())
        .output().lines().filter(l -> l.startsWith("bundle_hash: ")).findFirst().orElseThrow().substring(13);
    assertThat(otherHash).isNotEqualTo(bundleHash);
    assertThat(verify(claimFile, "--allow-software", "--expected-bundle-hash", otherHash).output()).containsPattern("FAIL bundle_hash");

    // One changed field of the claim breaks its signature.
    ObjectNode tampered = claim.deepCopy();
    ((ObjectNode) tampered.path("gateway").path("calls").get(1)).put("decision", "allow");
    Path tamperedFile = tmp.resolve("tampered.json");
    McpClient.JSON.writeValue(tamperedFile.toFile(), tampered);
    CliTest.Run broken = verify(tamperedFile, "--audit-log", log.toString(), "--allow-software");
    assertThat(broken.exit()).isEqualTo(1);
    assertThat(broken.output()).containsPattern("FAIL signature").contains("result: unverified");

    // One changed byte of the log breaks the chain.
    List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
    lines.set(1, lines.get(1).replace("\"demo-agent\"", "\"demo-agenT\""));
    Path tamperedLog = tmp.resolve("tampered.jsonl");
    Files.write(tamperedLog, lines, StandardCharsets.UTF_8);
    CliTest.Run badLog = verify(claimFile, "--audit-log", tamperedLog.toString(), "--allow-software");
    assertThat(badLog.exit()).isEqualTo(1);
    assertThat(badLog.output()).containsPattern("FAIL audit_log");
  }

  @Test
  void endingAnMcpSessionWritesItsClaimAndPerCallClaimsAreWrittenWhenConfigured() throws Exception {
    Path audit = tmp.resolve("audit");
    try (GatewayProcess gateway = GatewayProcess.start(
        Deployments.quickstart(tmp, "enforcing", tmp.resolve("calls.log"), Map.of("claim_granularity", "call")),
        Map.of("CMCP_DEV_MODE", "1"))) {
      McpClient client = new McpClient(gateway.baseUrl());
      McpClient.Answer init = client.post("""
          {"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},
           "clientInfo":{"name":"e2e","version":"1"}}}""");
      String session = init.header("Mcp-Session-Id");
      Map<String, String> headers = Map.of("Mcp-Session-Id", session, "MCP-Protocol-Version", "2025-11-25", "X-MCP-Workflow-ID", "demo-agent");
      client.post("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"salesforce.contacts\",\"arguments\":{\"query\":\"acme\"}}}", headers);
      client.post("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"salesforce.export_all\",\"arguments\":{}}}", headers);
      assertThat(claimFiles(audit)).hasSize(2);
      assertThat(client.delete(session).status()).isEqualTo(204);
      assertThat(claimFiles(audit)).hasSize(3);
    }
    for (Path claim : claimFiles(audit)) {
      CliTest.Run run = verify(claim, "--audit-log", onlyLog(audit).toString(), "--allow-software");
      assertThat(run.exit()).as(claim + "\n" + run.output()).isEqualTo(3);
      assertThat(run.output()).as(claim + "\n" + run.output()).doesNotContain("FAIL");
    }
  }

  @Test
  void silentModeWritesNoAuditLogAndIssuesNoClaim() throws Exception {
    Path audit = tmp.resolve("audit");
    try (GatewayProcess gateway = GatewayProcess.start(
        Deployments.quickstart(tmp, "silent", tmp.resolve("calls.log")), Map.of("CMCP_DEV_MODE", "1"))) {
      McpClient client = new McpClient(gateway.baseUrl());
      assertThat(client.post(McpClient.toolCall(1, "salesforce.export_all", "{}", "quiet", "demo-agent")).status()).isEqualTo(200);
      CliTest.Run fetched = CliTest.cmcp("claim", "--gateway", gateway.baseUrl(), "--session", "quiet");
      assertThat(fetched.exit()).isEqualTo(1);
      assertThat(fetched.output()).contains("silent");
    }
    assertThat(Files.exists(audit)).isFalse();
  }

  static CliTest.Run verify(Path claim, String... options) throws Exception {
    String[] args = Stream.concat(Stream.of("verify", "--claim", claim.toString()), Stream.of(options)).toArray(String[]::new);
    return CliTest.cmcp(args);
  }

  static Path onlyLog(Path audit) throws Exception {
    try (Stream<Path> files = Files.list(audit)) {
      List<Path> logs = files.filter(p -> p.toString().endsWith(".jsonl")).toList();
      assertThat(logs).hasSize(1);
      return logs.get(0);
    }
  }

  static List<Path> claimFiles(Path audit) throws Exception {
    Path claims = audit.resolve("claims");
    if (!Files.isDirectory(claims)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(claims)) {
      return files.filter(p -> p.toString().endsWith(".json")).sorted().toList();
    }
  }
}
