package dev.cmcp.verify.claim;

import java.util.Objects;

/**
 * The content of a claim that {@link ClaimVerifier} found {@code verified}: signed by a key that
 * genuine hardware evidence binds to the expected policy, fresh, and with every call proven in
 * the audit chain. The only way to get a claim's content from the library, so that no caller
 * reads a claim it has not verified; it cannot be made outside this package.
 */
public final class VerifiedClaim {

  private final GatewayClaim claim;

  VerifiedClaim(GatewayClaim claim) {
    this.claim = Objects.requireNonNull(claim, "claim");
  }

  /** {@code trace}: what ran, under which policy, with which key. */
  public GatewayClaim.Trace trace() {
    return claim.trace();
  }

  /** {@code gateway}: the session's calls and the audit chain they are in. */
  public GatewayClaim.Session gateway() {
    return claim.gateway();
  }
}
