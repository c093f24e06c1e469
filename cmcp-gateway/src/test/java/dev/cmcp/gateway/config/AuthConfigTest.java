package dev.cmcp.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The auth section: what it accepts, its defaults, and the mistakes it refuses with a clear message. */
class AuthConfigTest {

  private static final String DIGEST = "9f2c" + "0".repeat(60);

  @TempDir Path folder;

  private GatewayConfig load(String yaml) throws Exception {
    return ConfigLoader.load(Files.writeString(folder.resolve("cmcp-config.yaml"), yaml));
  }

  @Test
  void agentsAndOAuthAreReadWithTheirDefaults() throws Exception {
    AuthSettings auth = load("""
        auth:
          agents:
            - id: demo-agent
              token_sha256: "%s"
              workflows: [demo-agent, nightly-sync]
            - id: other
              token_sha256: "%s"
          oauth:
            issuer: https://login.example.com/
            audience: https://gw.example.com/mcp
            required_scopes: [mcp:call]
            attributes: [groups, tenant]
          auditors: [other, "scope:cmcp:audit"]
        """.formatted(DIGEST, DIGEST.replace('0', '1'))).auth().orElseThrow();

    assertThat(auth.agents()).extracting(AuthSettings.AgentToken::id).containsExactly("demo-agent", "other");
    assertThat(auth.agents().get(0).workflows()).containsExactly("demo-agent", "nightly-sync");
    assertThat(auth.agents().get(1).workflows()).as("default: its own id").containsExactly("other");
    AuthSettings.OAuth oauth = auth.oauth().orElseThrow();
    assertThat(oauth.principalClaim()).isEqualTo("sub");
    assertThat(oauth.algorithms()).containsExactly("RS256", "PS256", "ES256");
    assertThat(oauth.clockSkew()).isEqualTo(Duration.ofSeconds(60));
    assertThat(oauth.attributes()).containsExactly("groups", "tenant");
    assertThat(auth.auditors()).containsExactly("other", "scope:cmcp:audit");
  }

  @Test
  void withoutAnAuthSectionNothingChanges() throws Exception {
    assertThat(load("attestation:\n  provider: auto\n").auth()).isEmpty();
  }

  @Test
  void mistakesAreRefusedNamingTheLine() {
    assertRefused("auth: {}\n", "authenticates nobody");
    assertRefused("auth:\n  agents:\n    - id: a\n      token_sha256: my-secret-token\n", "64 hex digits");
    assertRefused("auth:\n  agents:\n    - id: a\n", "cmcp token hash");
    assertRefused("auth:\n  agents:\n    - id: a\n      token_sha256: \"%s\"\n    - id: a\n      token_sha256: \"%s\"\n"
        .formatted(DIGEST, DIGEST.replace('0', '2')), "listed twice");
    assertRefused("auth:\n  agents:\n    - id: a\n      token_sha256: \"%s\"\n    - id: b\n      token_sha256: \"%s\"\n"
        .formatted(DIGEST, DIGEST), "same token");
    assertRefused("auth:\n  oauth:\n    issuer: http://login.example.com/\n    audience: https://gw.example.com/mcp\n", "must use https");
    assertRefused("auth:\n  oauth:\n    issuer: https://login.example.com/\n", "audience: missing");
    assertRefused("auth:\n  oauth:\n    issuer: https://login.example.com/\n    audience: https://gw.example.com/mcp\n"
        + "    algorithms: [HS256]\n", "never HMAC");
    assertRefused("auth:\n  oauth:\n    issuer: https://login.example.com/\n    audience: https://gw.example.com/mcp\n"
        + "    algorithms: [none]\n", "never none");
    assertRefused("auth:\n  agents:\n    - id: a\n      token: x\n", "unknown key");
  }

  @Test
  void httpIssuersAreAcceptedOnLoopbackOnly() throws Exception {
    AuthSettings auth = load("auth:\n  oauth:\n    issuer: http://127.0.0.1:4000\n    audience: http://localhost:8443/mcp\n")
        .auth().orElseThrow();

    assertThat(auth.oauth().orElseThrow().issuer()).hasToString("http://127.0.0.1:4000");
  }

  @Test
  void anAuthSectionOpensNonLoopbackAddressesButNotBesideTheSharedToken() throws Exception {
    GatewayConfig config = load("listen_addr: 0.0.0.0:8443\nauth:\n  agents:\n    - id: a\n      token_sha256: \"%s\"\n".formatted(DIGEST));
    RuntimeEnvironment plain = RuntimeEnvironment.from(Map.of());
    RuntimeEnvironment shared = RuntimeEnvironment.from(Map.of("CMCP_BEARER_TOKEN", "0123456789abcdef0123"));

    assertThat(config.effectiveListenAddress(plain).host()).isEqualTo("0.0.0.0");
    assertThatThrownBy(() -> ConfigLoader.checkAgainst(config, shared))
        .hasMessageContaining("CMCP_BEARER_TOKEN").hasMessageContaining("auth.agents");
  }

  private void assertRefused(String yaml, String expected) {
    assertThatThrownBy(() -> load(yaml)).isInstanceOf(ConfigException.class).hasMessageContaining(expected)
        .hasMessageContaining("cmcp-config.yaml:");
  }
}
