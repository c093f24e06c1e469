package dev.cmcp.gateway.config;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The settings of the auth section: how agents prove who they are. With them, the Cedar principal is the
 * authenticated identity and {@code workflow_id} is only context; docs/configuration.md describes
 * each field.
 *
 * @param agents {@code auth.agents}: one token per agent, stored as its SHA-256
 * @param oauth {@code auth.oauth}: JWT access tokens of one authorization server
 * @param auditors {@code auth.auditors}: principal ids, or {@code scope:<scope>}, that may read every session's claim
 */
public record AuthSettings(List<AgentToken> agents, Optional<OAuth> oauth, List<String> auditors) {

  public AuthSettings {
    agents = List.copyOf(agents);
    Objects.requireNonNull(oauth);
    auditors = List.copyOf(auditors);
  }

  /**
   * One agent of {@code auth.agents}.
   *
   * @param id the principal: {@code Agent::"<id>"}
   * @param tokenSha256 lower-case hex SHA-256 of the agent's token
   * @param workflows the workflow ids it may declare; {@code [id]} when not written
   */
  public record AgentToken(String id, String tokenSha256, List<String> workflows) {
    public AgentToken {
      Objects.requireNonNull(id);
      Objects.requireNonNull(tokenSha256);
      workflows = List.copyOf(workflows);
    }

    @Override
    public String toString() {
      return "AgentToken[id=" + id + ", workflows=" + workflows + "]";
    }
  }

  /**
   * {@code auth.oauth}: the gateway as an OAuth 2.1 resource server (MCP authorization).
   *
   * @param issuer the authorization server's issuer identifier, compared exactly with {@code iss}
   * @param audience the resource identifier (RFC 8707) tokens must name in {@code aud}: the gateway's public {@code /mcp} URL
   * @param principalClaim the claim whose string value is the principal id
   * @param requiredScopes scopes every token must carry
   * @param attributes token claims handed to Cedar as principal attributes
   * @param algorithms JWS algorithms accepted (asymmetric only)
   * @param clockSkew tolerance on {@code exp}, {@code nbf} and {@code iat}
   * @param jwksRefresh how often the key set is fetched again
   * @param jwksMaxAge how long keys fetched last keep being used while the key set cannot be fetched
   * @param workflowsClaim a claim listing the workflows the token's holder may declare; empty: only its own id
   */
  public record OAuth(
      URI issuer,
      URI audience,
      String principalClaim,
      List<String> requiredScopes,
      List<String> attributes,
      List<String> algorithms,
      Duration clockSkew,
      Duration jwksRefresh,
      Duration jwksMaxAge,
      Optional<String> workflowsClaim) {
    public OAuth {
      Objects.requireNonNull(issuer);
      Objects.requireNonNull(audience);
      Objects.requireNonNull(principalClaim);
      requiredScopes = List.copyOf(requiredScopes);
      attributes = List.copyOf(attributes);
      algorithms = List.copyOf(algorithms);
      Objects.requireNonNull(clockSkew);
      Objects.requireNonNull(jwksRefresh);
      Objects.requireNonNull(jwksMaxAge);
      Objects.requireNonNull(workflowsClaim);
    }
  }
}
