package dev.cmcp.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import dev.cmcp.verify.base.Digests;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.junit.jupiter.api.Test;

/** JWT access tokens: what is let in, and each refusal with its own cause. */
class OAuthVerifierTest {

  private final TestIssuer issuer;
  private final OAuthVerifier verifier;

  OAuthVerifierTest() throws Exception {
    issuer = new TestIssuer();
    verifier = issuer.verifier();
  }

  @Test
  void aGoodTokenNamesItsSubjectWithItsClaimsAsAttributes() throws Exception {
    Identity identity = authenticated(verifier.verify(issuer.token(claims -> claims)));

    assertThat(identity.id()).isEqualTo("agent-a");
    assertThat(identity.method()).isEqualTo(AuthMethod.OAUTH);
    assertThat(identity.issuer()).contains(TestIssuer.ISSUER.toString());
    assertThat(identity.tokenIdSha256()).contains(Digests.sha256Hex("jti-1".getBytes(StandardCharsets.UTF_8)));
    assertThat(identity.attributes().get("groups").toString()).isEqualTo("[\"sales\",\"emea\"]");
    assertThat(identity.attributes().get("tenant").asText()).isEqualTo("acme");
    assertThat(identity.scopes()).contains("mcp:call", "openid");
    assertThat(identity.workflows()).containsExactly("agent-a");
    assertThat(identity.auditor()).isFalse();
  }

  @Test
  void anAuditorScopeMakesAnAuditor() throws Exception {
    Identity identity = authenticated(verifier.verify(issuer.token(claims -> claims.claim("scope", "mcp:call cmcp:audit"))));

    assertThat(identity.auditor()).isTrue();
  }

  @Test
  void expiredTokensAreRefused() throws Exception {
    Instant past = issuer.clock.instant().minusSeconds(3600);
    String token = issuer.token(claims -> claims.issueTime(Date.from(past)).expirationTime(Date.from(past.plusSeconds(600))));

    assertRefused(verifier.verify(token), 401, "token_expired");
  }

  @Test
  void expiryWithinTheClockSkewIsTolerated() throws Exception {
    String token = issuer.token(claims -> claims.expirationTime(Date.from(issuer.clock.instant().minusSeconds(30))));

    authenticated(verifier.verify(token));
  }

  @Test
  void tokensNotYetValidAreRefused() throws Exception {
    String token = issuer.token(claims -> claims.notBeforeTime(Date.from(issuer.clock.instant().plusSeconds(600))));

    assertRefused(verifier.verify(token), 401, "token_not_yet_valid");
  }

  @Test
  void tokensOfAnotherIssuerAreRefused() throws Exception {
    assertRefused(verifier.verify(issuer.token(claims -> claims.issuer("https://login.example.com"))), 401, "wrong_issuer");
  }

  @Test
  void tokensForAnotherResourceAreRefused() throws Exception {
    assertRefused(verifier.verify(issuer.token(claims -> claims.audience("https://other.example.com/mcp"))), 401, "wrong_audience");
  }

  @Test
  void tokensLackingARequiredScopeAreForbidden() throws Exception {
    assertRefused(verifier.verify(issuer.token(claims -> claims.claim("scope", "openid"))), 403, "insufficient_scope");
  }

  @Test
  void unsignedTokensAreRefused() throws Exception {
    String none = new PlainJWT(issuer.goodClaims().build()).serialize();

    assertRefused(verifier.verify(none), 401, "algorithm_not_allowed");
  }

  /** The classic confusion: HMAC keyed with the issuer's public key, which anyone can read from the JWKS. */
  @Test
  void hmacSignedWithThePublicKeyIsRefused() throws Exception {
    RSAKey key = issuer.published.get(0);
    SignedJWT forged = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID(key.getKeyID()).build(), issuer.goodClaims().build());
    forged.sign(new MACSigner(key.toPublicJWK().toRSAPublicKey().getEncoded()));

    assertRefused(verifier.verify(forged.serialize()), 401, "algorithm_not_allowed");
  }

  @Test
  void aSignatureByAnotherKeyUnderAPublishedKeyIdIsRefused() throws Exception {
    String forged = TestIssuer.sign(TestIssuer.newKey("key-1"), issuer.goodClaims().build());

    assertRefused(verifier.verify(forged), 401, "bad_signature");
  }

  @Test
  void anUnknownKeyIdIsLookedUpOnceMoreThenRefused() throws Exception {
    authenticated(verifier.verify(issuer.token(claims -> claims)));
    issuer.clock.advance(Duration.ofSeconds(30));
    int fetchesBefore = issuer.jwksFetches.get();

    String token = TestIssuer.sign(TestIssuer.newKey("key-unknown"), issuer.goodClaims().build());
    assertRefused(verifier.verify(token), 401, "unknown_key");
    assertRefused(verifier.verify(token), 401, "unknown_key");

    assertThat(issuer.jwksFetches.get() - fetchesBefore).as("one refresh, not one per request").isEqualTo(1);
  }

  @Test
  void aRotatedKeyIsFoundByItsNewKeyId() throws Exception {
    authenticated(verifier.verify(issuer.token(claims -> claims)));
    RSAKey rotated = TestIssuer.newKey("key-2");
    issuer.published.add(0, rotated);
    issuer.clock.advance(Duration.ofSeconds(30));

    Identity identity = authenticated(verifier.verify(issuer.token(claims -> claims)));

    assertThat(identity.id()).isEqualTo("agent-a");
  }

  @Test
  void withTheKeySetDownCachedKeysServeUntilTheyExpireThenRequestsFailClosed() throws Exception {
    authenticated(verifier.verify(issuer.token(claims -> claims)));
    issuer.down = true;

    issuer.clock.advance(Duration.ofMinutes(30));
    authenticated(verifier.verify(issuer.token(claims -> claims)));
    assertThat(verifier.keys().problem()).isEmpty();

    issuer.clock.advance(Duration.ofMinutes(31));
    assertRefused(verifier.verify(issuer.token(claims -> claims)), 503, "jwks_unavailable");
    assertThat(verifier.keys().problem()).hasValueSatisfying(problem -> assertThat(problem).contains("expired", "connection refused"));

    issuer.down = false;
    issuer.clock.advance(Duration.ofSeconds(11));
    authenticated(verifier.verify(issuer.token(claims -> claims)));
    assertThat(verifier.keys().problem()).isEmpty();
  }

  @Test
  void tokensWithoutThePrincipalClaimAreRefused() throws Exception {
    assertRefused(verifier.verify(issuer.token(claims -> claims.subject(null))), 401, "no_principal");
  }

  @Test
  void metadataNamingAnotherIssuerGivesNoKeys() throws Exception {
    IssuerKeys keys = new IssuerKeys(java.net.URI.create("https://login.example.com/tenant"), Duration.ofMinutes(5),
        Duration.ofHours(1), issuer, issuer.clock);

    assertThat(keys.fetchNow()).isFalse();
    assertThat(keys.problem()).hasValueSatisfying(problem -> assertThat(problem).contains("have not been fetched"));
  }

  @Test
  void metadataIsLookedForWhereRfc8414AndOpenIdConnectPutIt() {
    assertThat(IssuerKeys.metadataUrls(java.net.URI.create("https://as.example.com/tenant/1")))
        .extracting(Object::toString)
        .containsExactly("https://as.example.com/.well-known/oauth-authorization-server/tenant/1",
            "https://as.example.com/tenant/1/.well-known/openid-configuration");
    assertThat(IssuerKeys.metadataUrls(java.net.URI.create("https://as.example.com/")))
        .extracting(Object::toString)
        .containsExactly("https://as.example.com/.well-known/oauth-authorization-server",
            "https://as.example.com/.well-known/openid-configuration");
  }

  @Test
  void keysAreFetchedOnlyOverHttpsOrFromLoopback() {
    for (String refused : List.of("http://login.example.com/jwks", "ftp://127.0.0.1/jwks")) {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> IssuerKeys.checkTransport(java.net.URI.create(refused)))
          .hasMessageContaining("not https");
    }
  }

  static Identity authenticated(AuthResult result) {
    assertThat(result).isInstanceOf(AuthResult.Authenticated.class);
    return ((AuthResult.Authenticated) result).identity();
  }

  static void assertRefused(AuthResult result, int status, String cause) {
    assertThat(result).isInstanceOf(AuthResult.Refused.class);
    AuthRefusal refusal = ((AuthResult.Refused) result).refusal();
    assertThat(refusal.cause()).isEqualTo(cause);
    assertThat(refusal.status()).isEqualTo(status);
  }
}
