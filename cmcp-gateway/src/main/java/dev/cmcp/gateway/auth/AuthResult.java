package dev.cmcp.gateway.auth;

/** What authentication made of a request: an identity, or a refusal. */
public sealed interface AuthResult {

  /** Let in as {@code identity}. */
  record Authenticated(Identity identity) implements AuthResult {}

  /** Not let in. */
  record Refused(AuthRefusal refusal) implements AuthResult {}
}
