package dev.cmcp.gateway.auth;

import java.util.Objects;
import java.util.Optional;

/**
 * Why a request was not let in, before anything of it was read.
 *
 * @param status the HTTP status: 401 (no or bad credentials), 403 (a scope is missing), 503 (the
 *     issuer's keys cannot be had, so no token can be checked: fail closed)
 * @param cause the word in the audit log and the answer, such as {@code token_expired}
 * @param message what is wrong, for the caller; never the token
 * @param method the method the presented credential was checked as
 * @param issuer the configured issuer, for OAuth
 * @param tokenIdSha256 hex SHA-256 of the token's {@code jti} when it could be read from a verified token
 */
public record AuthRefusal(
    int status, String cause, String message, AuthMethod method, Optional<String> issuer, Optional<String> tokenIdSha256) {

  public AuthRefusal {
    Objects.requireNonNull(cause);
    Objects.requireNonNull(message);
    Objects.requireNonNull(method);
    Objects.requireNonNull(issuer);
    Objects.requireNonNull(tokenIdSha256);
  }

  static AuthRefusal unauthorized(String cause, String message, AuthMethod method) {
    return new AuthRefusal(401, cause, message, method, Optional.empty(), Optional.empty());
  }
}
