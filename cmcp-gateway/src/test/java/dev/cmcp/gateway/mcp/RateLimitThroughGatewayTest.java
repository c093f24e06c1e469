package dev.cmcp.gateway.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cmcp.gateway.catalog.CatalogTool;
import dev.cmcp.gateway.config.DenyResponse;
import dev.cmcp.gateway.config.EnforcementMode;
import dev.cmcp.gateway.policy.SessionHistories;
import dev.cmcp.gateway.ratelimit.RateLimit;
import dev.cmcp.gateway.ratelimit.RateLimits;
import dev.cmcp.gateway.upstream.UpstreamSettings;
import dev.cmcp.verify.audit.AuditLogReplay;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Rate limits as an agent and an auditor see them: through the endpoint, over a real upstream process. */
class RateLimitThroughGatewayTest {

  private static final String POLICIES = """
      @id("echo-twice-a-minute")
      @rate_limit("2/minute")
      permit (principal, action == Action::"call_tool", resource == Tool::"srv.echo");

      @id("get-contact")
      permit (principal, action == Action::"call_tool", resource == Tool::"srv.get_contact");
      """;

  @TempDir static Path dir;
  static GatewayUnderTest gateway;

  @BeforeAll
  static void start() throws Exception {
    CallControls controls = new CallControls(new RateLimits(new RateLimits.Settings(
        Optional.empty(), Optional.of(new RateLimit(3, Duration.ofHours(1))), 1000)), new SessionHistories(Duration.ofMinutes(30)));
    gateway = GatewayUnderTest.start(dir, EnforcementMode.ENFORCING, POLICIES, List.of(GatewayUnderTest.hostileServer("srv")),
        List.of(new CatalogTool("srv.echo", "srv", "echo", Map.of()), new CatalogTool("srv.get_contact", "srv", "get_contact", Map.of())),
        new UpstreamSettings(Duration.ofSeconds(20), 1024 * 1024), DenyResponse.HTTP_403, controls);
  }

  @AfterAll
  static void stop() {
    gateway.close();
  }

  @Test
  void theCallAfterThePermitsLimitIsRefusedWith429AndRetryAfterAndAuditedAsRateLimited() throws Exception {
    assertThat(gateway.post("alice", "tools/call", echo()).status()).isEqualTo(200);
    assertThat(gateway.post("alice", "tools/call", echo()).status()).isEqualTo(200);

    McpHttpResponse third = gateway.post("alice", "tools/call", echo());

    assertThat(third.status()).isEqualTo(429);
    assertThat(third.headers().get("Retry-After")).isEqualTo("30");
    JsonNode error = third.body().orElseThrow().get("error");
    assertThat(error.path("code").asInt()).isEqualTo(JsonRpcError.RATE_LIMITED);
    assertThat(error.path("data").path("error").asText()).isEqualTo("rate_limited");
    assertThat(error.path("data").path("limit").asText()).isEqualTo("permit echo-twice-a-minute @rate_limit 2/minute");
    assertThat(error.path("data").path("retry_after_seconds").asInt()).isEqualTo(30);
    assertThat(error.path("message").asText()).isEqualTo("tool call srv.echo is over permit echo-twice-a-minute @rate_limit "
        + "2/minute; retry after 30 s");
    List<JsonNode> entries = gateway.auditEntries();
    JsonNode decision = entries.get(entries.size() - 1);
    assertThat(decision.path("type").asText()).isEqualTo("decision");
    assertThat(decision.path("decision").asText()).isEqualTo("deny");
    assertThat(decision.path("cause").asText()).isEqualTo("rate_limited");
    assertThat(decision.path("enforced").asText()).isEqualTo("blocked");

    // Another principal has its own count; the permit's limit does not touch other tools.
    assertThat(gateway.post("bob", "tools/call", echo()).status()).isEqualTo(200);
    assertThat(AuditLogReplay.replay(gateway.auditFile())).isInstanceOf(AuditLogReplay.Intact.class);
  }

  @Test
  void theGatewaysPerToolLimitCountsEveryPrincipal() {
    String call = "{\"name\":\"srv.get_contact\",\"arguments\":{}}";
    assertThat(gateway.post("p1", "tools/call", call).status()).isEqualTo(200);
    assertThat(gateway.post("p2", "tools/call", call).status()).isEqualTo(200);
    assertThat(gateway.post("p3", "tools/call", call).status()).isEqualTo(200);

    McpHttpResponse fourth = gateway.post("p4", "tools/call", call);

    assertThat(fourth.status()).isEqualTo(429);
    assertThat(fourth.body().orElseThrow().at("/error/data/limit").asText()).isEqualTo("rate_limits.per_tool 3/hour");
    assertThat(fourth.headers().get("Retry-After")).isEqualTo("1200");
  }

  private static String echo() {
    return "{\"name\":\"srv.echo\",\"arguments\":{}}";
  }
}
