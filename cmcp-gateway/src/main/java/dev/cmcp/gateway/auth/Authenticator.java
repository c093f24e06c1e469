package dev.cmcp.gateway.auth;

import dev.cmcp.gateway.config.AuthSettings;
import dev.cmcp.verify.base.Digests;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Turns a request's {@code Authorization} header into who is calling, before anything else of
 * the request is read. One of: no authentication (a loopback gateway without {@code auth}), the
 * shared {@code CMCP_BEARER_TOKEN}, or the {@code auth} section's agent tokens and OAuth issuer
 * (both may be configured; a JWT that matches no agent token goes to OAuth).
 */
public final class Authenticator {

  private static final String SCHEME = "Bearer ";
  /** Longer than any access token in use; a header beyond it is refused unread. */
  private static final int MAX_TOKEN_LENGTH = 16 * 1024;

  private final Optional<byte[]> sharedTokenDigest;
  private final List<AgentEntry> agents;
  private final Optional<OAuthVerifier> oauth;
  private final Optional<ProtectedResource> resource;

  /** An agent of {@code auth.agents}, its digest decoded once. */
  private record AgentEntry(byte[] digest, Identity identity) {}

  private Authenticator(
      Optional<byte[]> sharedTokenDigest, List<AgentEntry> agents, Optional<OAuthVerifier> oauth, Optional<ProtectedResource> resource) {
    this.sharedTokenDigest = sharedTokenDigest;
    this.agents = List.copyOf(agents);
    this.oauth = oauth;
    this.resource = resource;
  }

  /** Everyone is let in, unnamed: the principal is the declared workflow (a loopback gateway without auth). */
  public static Authenticator none() {
    return new Authenticator(Optional.empty(), List.of(), Optional.empty(), Optional.empty());
  }

  /** {@code CMCP_BEARER_TOKEN}: one token for every agent, which cannot tell them apart. */
  public static Authenticator sharedToken(String token) {
    return new Authenticator(Optional.of(Digests.sha256(token.getBytes(StandardCharsets.UTF_8))), List.of(), Optional.empty(),
        Optional.empty());
  }

  /**
   * The {@code auth} section.
   *
   * @param fetch how the OAuth issuer's metadata and keys are read (the network, or a test's)
   */
  public static Authenticator of(AuthSettings settings, IssuerKeys.Fetch fetch, Clock clock) {
    List<AgentEntry> agents = settings.agents().stream().map(agent -> new AgentEntry(
        HexFormat.of().parseHex(agent.tokenSha256()),
        new Identity(agent.id(), AuthMethod.AGENT_TOKEN, Optional.empty(), Optional.empty(), agent.workflows(), Map.of(), Set.of(),
            settings.auditors().contains(agent.id())))).toList();
    Optional<OAuthVerifier> oauth = settings.oauth().map(o -> new OAuthVerifier(
        o, new IssuerKeys(o.issuer(), o.jwksRefresh(), o.jwksMaxAge(), fetch, clock), settings.auditors(), clock));
    return new Authenticator(Optional.empty(), agents, oauth, settings.oauth().map(ProtectedResource::new));
  }

  /** Whether requests must carry credentials. */
  public boolean required() {
    return sharedTokenDigest.isPresent() || !agents.isEmpty() || oauth.isPresent();
  }

  /** The RFC 9728 metadata of this resource, when OAuth is configured. */
  public Optional<ProtectedResource> protectedResource() {
    return resource;
  }

  /** The issuer's keys, when OAuth is configured: {@code /readyz} reports on them. */
  public Optional<IssuerKeys> issuerKeys() {
    return oauth.map(OAuthVerifier::keys);
  }

  /** Who sent a request with this {@code Authorization} header (null when it had none). */
  public AuthResult authenticate(String authorizationHeader) {
    if (!required()) {
      return new AuthResult.Authenticated(Identity.UNAUTHENTICATED);
    }
    AuthMethod expected = sharedTokenDigest.isPresent() ? AuthMethod.SHARED_TOKEN
        : agents.isEmpty() ? AuthMethod.OAUTH : AuthMethod.AGENT_TOKEN;
    if (authorizationHeader == null || !authorizationHeader.regionMatches(true, 0, SCHEME, 0, SCHEME.length())) {
      return refused("no_token", "this gateway needs Authorization: Bearer <token>", expected);
    }
    String token = authorizationHeader.substring(SCHEME.length()).strip();
    if (token.isEmpty()) {
      return refused("no_token", "this gateway needs Authorization: Bearer <token>", expected);
    }
    if (token.length() > MAX_TOKEN_LENGTH) {
      return refused("malformed_token", "the bearer token is longer than " + MAX_TOKEN_LENGTH + " characters", expected);
    }
    byte[] digest = Digests.sha256(token.getBytes(StandardCharsets.UTF_8));
    if (sharedTokenDigest.isPresent()) {
      return MessageDigest.isEqual(sharedTokenDigest.get(), digest)
          ? new AuthResult.Authenticated(Identity.SHARED_TOKEN)
          : refused("unknown_token", "wrong bearer token", AuthMethod.SHARED_TOKEN);
    }
    // Every agent is compared, match or not, so the time taken does not tell which one (nearly) matched.
    Identity matched = null;
    for (AgentEntry agent : agents) {
      if (MessageDigest.isEqual(agent.digest(), digest)) {
        matched = agent.identity();
      }
    }
    if (matched != null) {
      return new AuthResult.Authenticated(matched);
    }
    if (oauth.isPresent() && token.chars().filter(c -> c == '.').count() == 2) {
      return oauth.get().verify(token);
    }
    return refused("unknown_token", agents.isEmpty() ? "the bearer token is not a JWT" : "the bearer token is not one of auth.agents",
        expected);
  }

  private static AuthResult refused(String cause, String message, AuthMethod method) {
    return new AuthResult.Refused(AuthRefusal.unauthorized(cause, message, method));
  }

  @Override
  public String toString() {
    return "Authenticator[" + agents.size() + " agents" + (oauth.isPresent() ? ", oauth" : "")
        + (sharedTokenDigest.isPresent() ? ", shared token" : "") + "]";
  }
}
