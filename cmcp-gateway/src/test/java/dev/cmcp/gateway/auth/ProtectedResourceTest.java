package dev.cmcp.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import org.junit.jupiter.api.Test;

/** RFC 9728 metadata and the challenge that points an MCP client to it. */
class ProtectedResourceTest {

  private final ProtectedResource resource = new ProtectedResource(TestIssuer.settings());

  @Test
  void theMetadataNamesTheResourceAndItsAuthorizationServer() {
    assertThat(resource.document().toString()).isEqualTo("{\"resource\":\"https://gw.example.com/mcp\",\"authorization_servers\":"
        + "[\"https://login.example.com/\"],\"bearer_methods_supported\":[\"header\"],\"scopes_supported\":[\"mcp:call\"],"
        + "\"resource_name\":\"cMCP gateway\"}");
  }

  @Test
  void itIsServedAtTheWellKnownPathAndItsFormForMcp() {
    assertThat(resource.serves("/.well-known/oauth-protected-resource")).isTrue();
    assertThat(resource.serves("/.well-known/oauth-protected-resource/mcp")).isTrue();
    assertThat(resource.serves("/.well-known/oauth-protected-resource/other")).isFalse();
    assertThat(resource.metadataUrl()).hasToString("https://gw.example.com/.well-known/oauth-protected-resource/mcp");
  }

  @Test
  void challengesSayWhatIsWrongAndWhereToLook() {
    assertThat(resource.challenge(Optional.empty()))
        .isEqualTo("Bearer resource_metadata=\"https://gw.example.com/.well-known/oauth-protected-resource/mcp\"");
    assertThat(resource.challenge(Optional.of("insufficient_scope")))
        .isEqualTo("Bearer resource_metadata=\"https://gw.example.com/.well-known/oauth-protected-resource/mcp\", "
            + "error=\"insufficient_scope\", scope=\"mcp:call\"");
  }
}
