package dev.cmcp.gateway.auth;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Who sent a request, as authentication established it.
 *
 * @param id the principal id ({@code Agent::"<id>"}); empty when the method does not name the caller
 * @param method how it was established
 * @param issuer the token's issuer, for OAuth
 * @param tokenIdSha256 hex SHA-256 of the token's {@code jti}, for OAuth tokens that have one; never the token
 * @param workflows the workflow ids the caller may declare, the first being its default; empty when any may be declared
 * @param attributes token claims handed to Cedar as the principal's attributes
 * @param scopes the token's scopes
 * @param auditor whether {@code auth.auditors} lets it read every session's claim
 */
public record Identity(
    String id, AuthMethod method, Optional<String> issuer, Optional<String> tokenIdSha256, List<String> workflows,
    Map<String, JsonNode> attributes, Set<String> scopes, boolean auditor) {

  /** A caller on a gateway without authentication. */
  public static final Identity UNAUTHENTICATED = unnamed(AuthMethod.NONE);
  /** A caller holding {@code CMCP_BEARER_TOKEN}. */
  public static final Identity SHARED_TOKEN = unnamed(AuthMethod.SHARED_TOKEN);

  public Identity {
    Objects.requireNonNull(id);
    Objects.requireNonNull(method);
    Objects.requireNonNull(issuer);
    Objects.requireNonNull(tokenIdSha256);
    workflows = List.copyOf(workflows);
    attributes = Map.copyOf(attributes);
    scopes = Set.copyOf(scopes);
  }

  private static Identity unnamed(AuthMethod method) {
    return new Identity("", method, Optional.empty(), Optional.empty(), List.of(), Map.of(), Set.of(), false);
  }

  /** The Cedar principal id for a request declaring {@code workflowId}: the identity, else (unnamed callers) the workflow. */
  public String principal(String workflowId) {
    return method.namesCaller() ? id : workflowId;
  }

  /** Whether the caller may declare {@code workflowId}. */
  public boolean mayDeclare(String workflowId) {
    return !method.namesCaller() || workflows.contains(workflowId);
  }

  /** The workflow of a request that declares none; empty when the gateway's own default applies. */
  public Optional<String> defaultWorkflow() {
    return method.namesCaller() && !workflows.isEmpty() ? Optional.of(workflows.get(0)) : Optional.empty();
  }

  /**
   * What sessions are bound to: the same for every request of one caller, different between
   * callers; empty for unnamed callers, whose sessions anyone with the session id may use, as before.
   */
  public String owner() {
    return method.namesCaller() ? method.word() + "|" + issuer.orElse("") + "|" + id : "";
  }

  @Override
  public String toString() {
    return "Identity[" + method.word() + (id.isEmpty() ? "" : " " + id) + "]";
  }
}
