package dev.cmcp.gateway.mcp;

import static dev.cmcp.gateway.mcp.GatewayUnderTest.piiServer;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cmcp.gateway.catalog.CatalogPrompt;
import dev.cmcp.gateway.catalog.ResourceOwner;
import dev.cmcp.gateway.config.DenyResponse;
import dev.cmcp.gateway.config.EnforcementMode;
import dev.cmcp.gateway.upstream.UpstreamSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two servers that offer the same prompt name and the same resource URI: the catalog's prompt
 * aliases and resource owners decide what agents see and where their requests go.
 */
class CatalogRoutingTest {

  private static final String POLICIES = """
      @id("a-summary")
      permit (principal == Agent::"w", action == Action::"get_prompt", resource == Prompt::"a.summary");
      @id("reads")
      permit (principal == Agent::"w", action == Action::"read_resource", resource);
      """;
  private static final UpstreamSettings SETTINGS = new UpstreamSettings(Duration.ofSeconds(20), 1024 * 1024);

  @TempDir Path dir;

  private GatewayUnderTest start(String name, List<CatalogPrompt> prompts, List<ResourceOwner> owners) throws Exception {
    return GatewayUnderTest.start(dir.resolve(name), EnforcementMode.ENFORCING, POLICIES,
        List.of(piiServer("a", Map.of()), piiServer("b", Map.of())), List.of(), prompts, owners, SETTINGS,
        DenyResponse.HTTP_403, CallControls.defaults());
  }

  @Test
  void aPromptAliasIsListedAndGotByItsNameAndJudgedAsThePromptItNames() throws Exception {
    try (GatewayUnderTest gateway = start("alias", List.of(new CatalogPrompt("summary", "a", "summary")), List.of())) {
      assertThat(gateway.result("w", "prompts/list", "{}").path("prompts").valueStream().map(p -> p.path("name").asText()))
          .containsExactly("summary");
      JsonNode got = gateway.result("w", "prompts/get", "{\"name\":\"summary\",\"arguments\":{\"account\":\"Acme\"}}");
      assertThat(got.at("/messages/0/content/text").asText()).startsWith("Summarise Acme");
      assertThat(gateway.auditEntries()).anySatisfy(entry -> {
        assertThat(entry.path("tool").asText()).isEqualTo("a.summary");
        assertThat(entry.path("decision").asText()).isEqualTo("allow");
      });
      // The policy permits only a's prompt: b's, under its own name, is denied.
      assertThat(gateway.post("w", "prompts/get", "{\"name\":\"b.summary\"}").status()).isEqualTo(403);
    }
  }

  @Test
  void aResourceUriTwoServersOfferIsServedByTheCatalogsOwnerOrByNobody() throws Exception {
    try (GatewayUnderTest owned = start("owned", List.of(), List.of(new ResourceOwner("crm://", "b")))) {
      assertThat(owned.result("w", "resources/list", "{}").path("resources").valueStream().map(r -> r.path("uri").asText()))
          .containsExactly("crm://accounts/acme");
      assertThat(owned.result("w", "resources/templates/list", "{}").path("resourceTemplates").size()).isEqualTo(1);
      assertThat(owned.result("w", "resources/read", "{\"uri\":\"crm://accounts/acme\"}").at("/contents/0/uri").asText())
          .isEqualTo("crm://accounts/acme");
      assertThat(owned.auditEntries()).anySatisfy(entry -> assertThat(entry.path("tool").asText()).isEqualTo("b:crm://accounts/acme"));
    }
    try (GatewayUnderTest unowned = start("unowned", List.of(), List.of())) {
      assertThat(unowned.result("w", "resources/list", "{}").path("resources").size()).isZero();
      McpHttpResponse read = unowned.post("w", "resources/read", "{\"uri\":\"crm://accounts/acme\"}");
      assertThat(read.status()).isEqualTo(200);
      assertThat(read.body().orElseThrow().at("/error/code").asInt()).isEqualTo(-32602);
      assertThat(read.body().orElseThrow().at("/error/message").asText()).contains("resource_owners");
    }
  }
}
