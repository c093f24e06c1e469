package dev.cmcp.gateway.auth;

/** How the caller of a request was authenticated, as the audit log records it. */
public enum AuthMethod {
  /** No {@code auth} section and no token, on a loopback gateway: the declared workflow is the principal. */
  NONE("none"),
  /** {@code CMCP_BEARER_TOKEN}: one token for every agent, so the declared workflow is still the principal. */
  SHARED_TOKEN("shared_token"),
  /** A token of {@code auth.agents}. */
  AGENT_TOKEN("agent_token"),
  /** A JWT access token of {@code auth.oauth}'s issuer. */
  OAUTH("oauth");

  private final String word;

  AuthMethod(String word) {
    this.word = word;
  }

  /** The word in the audit log and claims. */
  public String word() {
    return word;
  }

  /** Whether this method names the caller, so that the identity, not the declared workflow, is the principal. */
  public boolean namesCaller() {
    return this == AGENT_TOKEN || this == OAUTH;
  }
}
