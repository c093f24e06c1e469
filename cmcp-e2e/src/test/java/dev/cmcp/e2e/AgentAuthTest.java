package dev.cmcp.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The quickstart behind per-agent tokens, as an operator runs it: `cmcp start` with an auth
 * section, agents calling with their own tokens, `cmcp claim` with an agent's token and `cmcp
 * verify` naming the principal. An agent cannot take another's workflow or read its claim.
 */
class AgentAuthTest {

  private static final String DEMO_TOKEN = "demo-agent-token-0123456789abcdef";
  private static final String INTRUDER_TOKEN = "intruder-token-0123456789abcdef";

  @TempDir Path tmp;

  @Test
  void eachAgentActsAsItselfAndReadsOnlyItsOwnClaims() throws Exception {
    String auth = "{agents: [{id: demo-agent, token_sha256: \"" + sha256(DEMO_TOKEN) + "\"}, "
        + "{id: intruder, token_sha256: \"" + sha256(INTRUDER_TOKEN) + "\"}]}";
    Path claimFile = tmp.resolve("claim.json");
    try (GatewayProcess gateway = GatewayProcess.start(
        Deployments.quickstart(tmp, "enforcing", tmp.resolve("calls.log"), Map.of("auth", auth)), Map.of("CMCP_DEV_MODE", "1"))) {
      McpClient client = new McpClient(gateway.baseUrl());
      Map<String, String> demo = Map.of("Authorization", "Bearer " + DEMO_TOKEN);
      Map<String, String> intruder = Map.of("Authorization", "Bearer " + INTRUDER_TOKEN);

      assertThat(client.post(McpClient.toolCall(1, "salesforce.contacts", "{\"query\":\"Acme\"}", "s-demo", "demo-agent"), demo)
          .status()).isEqualTo(200);
      // The quickstart's permit names Agent::"demo-agent": declaring that workflow no longer makes anyone demo-agent.
      McpClient.Answer borrowed = client.post(
          McpClient.toolCall(2, "salesforce.contacts", "{\"query\":\"Acme\"}", "s-intruder", "demo-agent"), intruder);
      assertThat(borrowed.status()).isEqualTo(403);
      assertThat(borrowed.body().path("error").path("data").path("error").asText()).isEqualTo("workflow_not_allowed");
      assertThat(client.post(McpClient.toolCall(3, "salesforce.contacts", "{\"query\":\"Acme\"}", "s-intruder", "intruder"), intruder)
          .status()).isEqualTo(403);
      assertThat(client.post(McpClient.toolCall(4, "salesforce.contacts", "{}", "s-demo", "demo-agent")).status()).isEqualTo(401);

      CliTest.Run stolen = CliTest.cmcp(Map.of("CMCP_BEARER_TOKEN", INTRUDER_TOKEN),
          "claim", "--gateway", gateway.baseUrl(), "--session", "s-demo", "--out", tmp.resolve("stolen.json").toString());
      assertThat(stolen.exit()).as(stolen.output()).isNotZero();
      CliTest.Run own = CliTest.cmcp(Map.of("CMCP_BEARER_TOKEN", DEMO_TOKEN),
          "claim", "--gateway", gateway.baseUrl(), "--session", "s-demo", "--out", claimFile.toString());
      assertThat(own.exit()).as(own.output()).isZero();
    }
    CliTest.Run verified = ClaimTest.verify(claimFile, "--audit-log", ClaimTest.onlyLog(tmp.resolve("audit")).toString(), "--allow-software");
    assertThat(verified.output()).contains("principal demo-agent (agent_token)").doesNotContain("FAIL");
  }

  private static String sha256(String token) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
  }
}
