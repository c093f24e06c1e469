package dev.cmcp.gateway.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.cmcp.gateway.config.AuthSettings;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

/**
 * An OAuth issuer for unit tests: real RSA keys and tokens signed by nimbus-jose-jwt, its metadata
 * and JWKS handed to {@link IssuerKeys} through a {@link IssuerKeys.Fetch} it can make fail. The
 * real authorization server (oidc-provider) is in {@code OidcProviderInteropTest}.
 */
final class TestIssuer implements IssuerKeys.Fetch {

  static final URI ISSUER = URI.create("https://login.example.com/");
  static final URI AUDIENCE = URI.create("https://gw.example.com/mcp");

  final MutableClock clock = new MutableClock(Instant.parse("2026-12-01T10:00:00Z"));
  final List<RSAKey> published = new ArrayList<>();
  final AtomicInteger jwksFetches = new AtomicInteger();
  boolean down;

  TestIssuer() throws JOSEException {
    published.add(newKey("key-1"));
  }

  static RSAKey newKey(String kid) throws JOSEException {
    return new RSAKeyGenerator(2048).keyID(kid).generate();
  }

  static AuthSettings.OAuth settings() {
    return new AuthSettings.OAuth(ISSUER, AUDIENCE, "sub", List.of("mcp:call"), List.of("groups", "tenant"),
        List.of("RS256", "ES256"), Duration.ofSeconds(60), Duration.ofMinutes(5), Duration.ofHours(1), Optional.empty());
  }

  OAuthVerifier verifier() {
    return new OAuthVerifier(settings(), new IssuerKeys(ISSUER, Duration.ofMinutes(5), Duration.ofHours(1), this, clock),
        List.of("scope:cmcp:audit"), clock);
  }

  @Override
  public byte[] get(URI url) throws IOException {
    if (down) {
      throw new IOException("connection refused (the test took the issuer down)");
    }
    String path = url.getPath();
    if (path.startsWith("/.well-known/oauth-authorization-server")) {
      return ("{\"issuer\":\"" + ISSUER + "\",\"jwks_uri\":\"https://login.example.com/jwks\"}").getBytes(StandardCharsets.UTF_8);
    }
    if (path.equals("/jwks")) {
      jwksFetches.incrementAndGet();
      return new JWKSet(published.stream().map(key -> (com.nimbusds.jose.jwk.JWK) key.toPublicJWK()).toList()).toString()
          .getBytes(StandardCharsets.UTF_8);
    }
    throw new IOException(url + " answered HTTP 404");
  }

  /** Claims a good token has: the right issuer and audience, valid now for ten minutes, the required scope. */
  JWTClaimsSet.Builder goodClaims() {
    Instant now = clock.instant();
    return new JWTClaimsSet.Builder()
        .issuer(ISSUER.toString())
        .audience(AUDIENCE.toString())
        .subject("agent-a")
        .issueTime(Date.from(now))
        .expirationTime(Date.from(now.plusSeconds(600)))
        .jwtID("jti-1")
        .claim("scope", "mcp:call openid")
        .claim("groups", List.of("sales", "emea"))
        .claim("tenant", "acme");
  }

  String token(UnaryOperator<JWTClaimsSet.Builder> change) throws JOSEException {
    return sign(published.get(0), change.apply(goodClaims()).build());
  }

  static String sign(RSAKey key, JWTClaimsSet claims) throws JOSEException {
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID()).build(), claims);
    jwt.sign(new RSASSASigner(key));
    return jwt.serialize();
  }

  /** A clock the test moves. */
  static final class MutableClock extends Clock {
    private Instant now;

    MutableClock(Instant start) {
      this.now = start;
    }

    void advance(Duration by) {
      now = now.plus(by);
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }
}
