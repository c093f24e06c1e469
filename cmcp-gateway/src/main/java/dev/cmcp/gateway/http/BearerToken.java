package dev.cmcp.gateway.http;

import dev.cmcp.verify.Digests;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * The shared secret an agent must present as {@code Authorization: Bearer <token>}.
 *
 * <p>Both sides are hashed before comparing so the comparison takes the same time whatever the
 * length or content of a guess; the token itself is never logged or printed.
 */
public final class BearerToken {

  private static final String SCHEME = "Bearer ";
  private final byte[] expectedDigest;

  public BearerToken(String token) {
    this.expectedDigest = Digests.sha256(token.getBytes(StandardCharsets.UTF_8));
  }

  /** Whether an {@code Authorization} header value carries this token. */
  public boolean admits(String authorizationHeader) {
    String presented = "";
    if (authorizationHeader != null && authorizationHeader.regionMatches(true, 0, SCHEME, 0, SCHEME.length())) {
      presented = authorizationHeader.substring(SCHEME.length()).strip();
    }
    byte[] presentedDigest = Digests.sha256(presented.getBytes(StandardCharsets.UTF_8));
    return MessageDigest.isEqual(expectedDigest, presentedDigest);
  }

  @Override
  public String toString() {
    return "BearerToken[redacted]";
  }
}
