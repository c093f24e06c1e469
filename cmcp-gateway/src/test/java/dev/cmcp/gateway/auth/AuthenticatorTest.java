package dev.cmcp.gateway.auth;

import static dev.cmcp.gateway.auth.OAuthVerifierTest.assertRefused;
import static dev.cmcp.gateway.auth.OAuthVerifierTest.authenticated;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cmcp.gateway.config.AuthSettings;
import dev.cmcp.verify.base.Digests;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Who a request's Authorization header says is calling: agent tokens, the shared token, none, and OAuth beside agents. */
class AuthenticatorTest {

  private static final String TOKEN_A = "token-of-agent-a-0123456789";
  private static final String TOKEN_B = "token-of-agent-b-0123456789";

  private static AuthSettings.AgentToken agent(String id, String token, List<String> workflows) {
    return new AuthSettings.AgentToken(id, Digests.sha256Hex(token.getBytes(StandardCharsets.UTF_8)), workflows);
  }

  private final Authenticator agents = Authenticator.of(new AuthSettings(
      List.of(agent("agent-a", TOKEN_A, List.of("agent-a", "nightly-sync")), agent("agent-b", TOKEN_B, List.of("agent-b"))),
      Optional.empty(), List.of("agent-b")), url -> {
        throw new java.io.IOException("no network in this test");
      }, Clock.systemUTC());

  @Test
  void eachAgentIsKnownByItsOwnToken() {
    Identity a = authenticated(agents.authenticate("Bearer " + TOKEN_A));
    Identity b = authenticated(agents.authenticate("bearer " + TOKEN_B));

    assertThat(a.id()).isEqualTo("agent-a");
    assertThat(a.method()).isEqualTo(AuthMethod.AGENT_TOKEN);
    assertThat(a.principal("nightly-sync")).as("the identity, not the declared workflow, is the principal").isEqualTo("agent-a");
    assertThat(a.mayDeclare("nightly-sync")).isTrue();
    assertThat(a.mayDeclare("agent-b")).isFalse();
    assertThat(a.defaultWorkflow()).contains("agent-a");
    assertThat(a.auditor()).isFalse();
    assertThat(b.id()).isEqualTo("agent-b");
    assertThat(b.auditor()).isTrue();
    assertThat(a.owner()).isNotEqualTo(b.owner()).isNotEmpty();
  }

  @Test
  void requestsWithoutAKnownTokenAreRefused() {
    assertRefused(agents.authenticate(null), 401, "no_token");
    assertRefused(agents.authenticate("Bearer "), 401, "no_token");
    assertRefused(agents.authenticate("Basic " + TOKEN_A), 401, "no_token");
    assertRefused(agents.authenticate("Bearer " + TOKEN_A + "0"), 401, "unknown_token");
    assertRefused(agents.authenticate("Bearer " + TOKEN_A.toUpperCase(java.util.Locale.ROOT)), 401, "unknown_token");
    assertRefused(agents.authenticate("Bearer " + "x".repeat(20_000)), 401, "malformed_token");
  }

  @Test
  void aGatewayWithoutAuthLetsEveryoneInUnnamed() {
    Identity anyone = authenticated(Authenticator.none().authenticate(null));

    assertThat(anyone).isEqualTo(Identity.UNAUTHENTICATED);
    assertThat(anyone.principal("demo-agent")).as("the quickstart's principal is the declared workflow").isEqualTo("demo-agent");
    assertThat(anyone.mayDeclare("anything")).isTrue();
    assertThat(anyone.owner()).isEmpty();
  }

  @Test
  void theSharedTokenAdmitsOnlyItselfAndNamesNobody() {
    String secret = "s3cret-0123456789abcdef";
    Authenticator shared = Authenticator.sharedToken(secret);

    assertThat(authenticated(shared.authenticate("Bearer " + secret))).isEqualTo(Identity.SHARED_TOKEN);
    assertThat(authenticated(shared.authenticate("bearer " + secret)).principal("wf")).isEqualTo("wf");
    for (String wrong : new String[] {"Bearer " + secret.substring(1), "Bearer " + secret + "0", "Bearer " + secret + ", Bearer x"}) {
      assertRefused(shared.authenticate(wrong), 401, "unknown_token");
    }
    assertRefused(shared.authenticate(null), 401, "no_token");
    assertRefused(shared.authenticate(secret), 401, "no_token");
    assertThat(shared.toString()).doesNotContain(secret);
  }

  @Test
  void aJwtThatIsNoAgentTokenGoesToOAuth() throws Exception {
    TestIssuer issuer = new TestIssuer();
    Authenticator both = Authenticator.of(new AuthSettings(List.of(agent("agent-a", TOKEN_A, List.of("agent-a"))),
        Optional.of(TestIssuer.settings()), List.of()), issuer, issuer.clock);

    assertThat(authenticated(both.authenticate("Bearer " + TOKEN_A)).method()).isEqualTo(AuthMethod.AGENT_TOKEN);
    assertThat(authenticated(both.authenticate("Bearer " + issuer.token(claims -> claims))).method()).isEqualTo(AuthMethod.OAUTH);
    assertRefused(both.authenticate("Bearer not-a-jwt-and-not-a-token"), 401, "unknown_token");
    assertThat(both.protectedResource()).isPresent();
  }

  /**
   * A timing attack cannot be tested reliably by timing it (and the tests time nothing), so this
   * checks the code instead: digests of equal length compared with {@code MessageDigest.isEqual},
   * every agent compared whatever matched, no early-exit equals.
   */
  @Test
  void tokensAreComparedInConstantTime() throws Exception {
    String source = Files.readString(Path.of("src/main/java/dev/cmcp/gateway/auth/Authenticator.java"));
    String code = source.replaceAll("(?s)/\\*.*?\\*/", "").replaceAll("//[^\n]*", "");

    assertThat(code).contains("MessageDigest.isEqual(agent.digest(), digest)");
    assertThat(code).contains("MessageDigest.isEqual(sharedTokenDigest.get(), digest)");
    assertThat(code).contains("Digests.sha256(token.getBytes(StandardCharsets.UTF_8))");
    assertThat(code).doesNotContain(".equals(").doesNotContain("compareTo(").doesNotContain("Arrays.equals").doesNotContain("break;");
  }
}
