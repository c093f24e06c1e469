package dev.cmcp.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.cmcp.gateway.catalog.Catalog;
import dev.cmcp.gateway.catalog.CatalogLoader;
import dev.cmcp.gateway.config.ConfigLoader;
import dev.cmcp.gateway.config.GatewayConfig;
import dev.cmcp.gateway.config.TlsSettings;
import dev.cmcp.gateway.policy.PolicyBundle;
import dev.cmcp.gateway.policy.PolicyBundleLoader;
import dev.cmcp.gateway.policy.PolicyDecision;
import dev.cmcp.gateway.policy.PolicyEngine;
import dev.cmcp.gateway.policy.ToolCallRequest;
import java.net.URI;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CmcpDeploymentTest {

  @TempDir Path dir;

  @Test
  void theGatewayLoadsTheDeploymentAndLetsOnlyTheBenchAgentEcho() throws Exception {
    Path configFile = CmcpDeployment.write(dir, URI.create("http://127.0.0.1:9999/mcp"), 100, "enforcing", false);

    GatewayConfig config = ConfigLoader.load(configFile);
    PolicyBundle bundle = PolicyBundleLoader.load(config.policyBundlePath());
    Catalog catalog = CatalogLoader.load(config.catalogPath(), Map.of());
    PolicyEngine engine = new PolicyEngine(bundle, catalog);

    assertThat(bundle.policyCount()).isEqualTo(100);
    assertThat(engine.decide(call(McpSession.AGENT))).isEqualTo(new PolicyDecision.Allow(java.util.List.of("bench-agent-may-echo")));
    assertThat(engine.decide(call("someone-else"))).isInstanceOf(PolicyDecision.Deny.class);
  }

  @Test
  void theTlsDeploymentAsksTheGatewayToGenerateItsKey() throws Exception {
    GatewayConfig config = ConfigLoader.load(CmcpDeployment.write(dir, URI.create("http://127.0.0.1:9999/mcp"), 1, "enforcing", true));

    assertThat(config.tls().mode()).contains(TlsSettings.Mode.GENERATE);
  }

  private static ToolCallRequest call(String agent) {
    return new ToolCallRequest(agent, "s", agent, CmcpDeployment.ECHO_TOOL,
        JsonNodeFactory.instance.objectNode().put("message", "bench"), Instant.parse("2026-11-25T00:00:00Z"));
  }
}
