package dev.cmcp.gateway.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.SignedJWT;
import dev.cmcp.gateway.config.AuthSettings;
import dev.cmcp.verify.base.Digests;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Checks a JWT access token (RFC 9068) as an MCP resource server must: a signature by one of the
 * issuer's keys with an allowed asymmetric algorithm (never {@code none}, never HMAC, which would
 * let a public key serve as a shared secret), {@code iss} exactly the issuer, {@code aud} naming
 * this resource (RFC 8707), {@code exp} and {@code nbf} within the clock skew, the required
 * scopes, and a principal claim. Each failure has its own cause word. nimbus-jose-jwt parses and
 * verifies signatures; the claim rules are here so that each refusal says which rule failed.
 */
public final class OAuthVerifier {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_PRINCIPAL_LENGTH = 256;

  private final AuthSettings.OAuth settings;
  private final IssuerKeys keys;
  private final Clock clock;
  private final Set<String> algorithms;
  private final List<String> auditors;

  public OAuthVerifier(AuthSettings.OAuth settings, IssuerKeys keys, List<String> auditors, Clock clock) {
    this.settings = settings;
    this.keys = keys;
    this.clock = clock;
    this.algorithms = Set.copyOf(settings.algorithms());
    this.auditors = List.copyOf(auditors);
  }

  IssuerKeys keys() {
    return keys;
  }

  AuthResult verify(String token) {
    JWT jwt;
    try {
      jwt = JWTParser.parse(token);
    } catch (ParseException e) {
      return refused(401, "malformed_token", "the bearer token is neither a known agent token nor a JWT", Optional.empty());
    }
    if (!(jwt instanceof SignedJWT signed)) {
      return refused(401, "algorithm_not_allowed", "the token is not signed (alg none) or is encrypted; a signed JWT is required",
          Optional.empty());
    }
    JWSHeader header = signed.getHeader();
    JWSAlgorithm algorithm = header.getAlgorithm();
    if (!algorithms.contains(algorithm.getName())) {
      return refused(401, "algorithm_not_allowed", "tokens signed with " + algorithm.getName() + " are not accepted; allowed: "
          + String.join(", ", settings.algorithms()), Optional.empty());
    }
    IssuerKeys.Lookup lookup = keys.keysFor(header.getKeyID());
    if (lookup instanceof IssuerKeys.Lookup.Unavailable unavailable) {
      return refused(503, "jwks_unavailable", "tokens cannot be checked now: " + unavailable.reason(), Optional.empty());
    }
    List<JWK> candidates = ((IssuerKeys.Lookup.Keys) lookup).keys();
    if (candidates.isEmpty()) {
      return refused(401, "unknown_key", "the token names key " + header.getKeyID() + ", which the issuer's key set does not hold",
          Optional.empty());
    }
    if (!signedByOneOf(signed, algorithm, candidates)) {
      return refused(401, "bad_signature", "the token's signature does not verify with the issuer's keys", Optional.empty());
    }
    JWTClaimsSet claims;
    try {
      claims = signed.getJWTClaimsSet();
    } catch (ParseException e) {
      return refused(401, "malformed_token", "the token's claims are not a JSON object", Optional.empty());
    }
    Optional<String> jti = Optional.ofNullable(claims.getJWTID())
        .map(id -> Digests.sha256Hex(id.getBytes(StandardCharsets.UTF_8)));
    return checkClaims(claims, jti);
  }

  private AuthResult checkClaims(JWTClaimsSet claims, Optional<String> jti) {
    if (!settings.issuer().toString().equals(claims.getIssuer())) {
      return refused(401, "wrong_issuer", "the token's iss is not " + settings.issuer(), jti);
    }
    if (claims.getAudience() == null || !claims.getAudience().contains(settings.audience().toString())) {
      return refused(401, "wrong_audience", "the token is not for this resource: its aud does not name " + settings.audience(), jti);
    }
    Instant now = clock.instant();
    Date expires = claims.getExpirationTime();
    if (expires == null) {
      return refused(401, "token_expired", "the token has no exp; access tokens must expire", jti);
    }
    if (now.isAfter(expires.toInstant().plus(settings.clockSkew()))) {
      return refused(401, "token_expired", "the token expired at " + expires.toInstant(), jti);
    }
    Date notBefore = claims.getNotBeforeTime();
    if (notBefore != null && now.isBefore(notBefore.toInstant().minus(settings.clockSkew()))) {
      return refused(401, "token_not_yet_valid", "the token is not valid before " + notBefore.toInstant(), jti);
    }
    Date issuedAt = claims.getIssueTime();
    if (issuedAt != null && now.isBefore(issuedAt.toInstant().minus(settings.clockSkew()))) {
      return refused(401, "token_not_yet_valid", "the token says it was issued at " + issuedAt.toInstant() + ", in the future", jti);
    }
    Object principal = claims.getClaim(settings.principalClaim());
    if (!(principal instanceof String id) || id.isEmpty() || id.length() > MAX_PRINCIPAL_LENGTH
        || id.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
      return refused(401, "no_principal", "the token's " + settings.principalClaim()
          + " claim (auth.oauth.principal_claim) is missing or not a string of 1-" + MAX_PRINCIPAL_LENGTH + " printable characters", jti);
    }
    Set<String> scopes = scopes(claims);
    List<String> missing = settings.requiredScopes().stream().filter(scope -> !scopes.contains(scope)).toList();
    if (!missing.isEmpty()) {
      return refused(403, "insufficient_scope", "the token lacks scope " + String.join(" ", missing), jti);
    }
    List<String> workflows = new ArrayList<>();
    workflows.add(id);
    settings.workflowsClaim().ifPresent(name -> strings(claims.getClaim(name)).stream()
        .filter(workflow -> !workflows.contains(workflow)).forEach(workflows::add));
    Map<String, JsonNode> attributes = new LinkedHashMap<>();
    for (String name : settings.attributes()) {
      Object value = claims.getClaim(name);
      if (value != null) {
        attributes.put(name, JSON.valueToTree(value));
      }
    }
    boolean auditor = auditors.contains(id) || auditors.stream().anyMatch(a -> a.startsWith("scope:") && scopes.contains(a.substring(6)));
    return new AuthResult.Authenticated(new Identity(
        id, AuthMethod.OAUTH, Optional.of(settings.issuer().toString()), jti, workflows, attributes, scopes, auditor));
  }

  /** {@code scope} (a space-separated string, RFC 9068) or {@code scp} (a list, as some servers write it). */
  private static Set<String> scopes(JWTClaimsSet claims) {
    Set<String> scopes = new LinkedHashSet<>();
    if (claims.getClaim("scope") instanceof String text) {
      for (String scope : text.split(" ", -1)) {
        if (!scope.isEmpty()) {
          scopes.add(scope);
        }
      }
    }
    scopes.addAll(strings(claims.getClaim("scp")));
    return scopes;
  }

  private static List<String> strings(Object claim) {
    if (claim instanceof String text) {
      return List.of(text);
    }
    if (claim instanceof List<?> list) {
      return list.stream().filter(String.class::isInstance).map(String.class::cast).toList();
    }
    return List.of();
  }

  /**
   * Only a key of the algorithm's own family can verify it: RSA keys for RS and PS, EC keys for
   * ES. A key whose {@code alg} names another algorithm is skipped.
   */
  private static boolean signedByOneOf(SignedJWT token, JWSAlgorithm algorithm, List<JWK> candidates) {
    for (JWK key : candidates) {
      if (key.getAlgorithm() != null && !key.getAlgorithm().getName().equals(algorithm.getName())) {
        continue;
      }
      try {
        Optional<JWSVerifier> verifier = verifierFor(key, algorithm);
        if (verifier.isPresent() && token.verify(verifier.get())) {
          return true;
        }
      } catch (JOSEException e) {
        // Not this key; try the next.
      }
    }
    return false;
  }

  private static Optional<JWSVerifier> verifierFor(JWK key, JWSAlgorithm algorithm) throws JOSEException {
    if (key instanceof RSAKey rsa && JWSAlgorithm.Family.RSA.contains(algorithm)) {
      return Optional.of(new RSASSAVerifier(rsa.toRSAPublicKey()));
    }
    if (key instanceof ECKey ec && JWSAlgorithm.Family.EC.contains(algorithm)) {
      return Optional.of(new ECDSAVerifier(ec.toECPublicKey()));
    }
    return Optional.empty();
  }

  private AuthResult refused(int status, String cause, String message, Optional<String> jti) {
    return new AuthResult.Refused(
        new AuthRefusal(status, cause, message, AuthMethod.OAUTH, Optional.of(settings.issuer().toString()), jti));
  }
}
