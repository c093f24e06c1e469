package dev.cmcp.gateway.claim;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.verify.claim.ClaimSigner;
import dev.cmcp.verify.claim.GatewayAttestation;
import java.time.Clock;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * What {@code GET /v1/attestation} answers (cmcp-verify's {@code GatewayAttestation}): the
 * current evidence, the binding's inputs and the claim key, signed with the claim key like a
 * claim, so that an agent can check before its first call that the TLS key it reached is the one
 * the evidence binds. It names no session and holds nothing secret.
 */
public final class AttestationStatement {

  private final ClaimSigner signer;
  private final Supplier<ClaimIssuer.Attested> attested;
  private final String enforcementMode;
  private final long validitySeconds;
  private final Optional<String> tlsSpkiSha256;
  private final Clock clock;

  /**
   * @param attested the policy hashes in force and evidence bound to them, read once per document
   * @param tlsSpkiSha256 the SPKI hash of the key terminating TLS; empty when the gateway serves none
   */
  public AttestationStatement(ClaimSigner signer, Supplier<ClaimIssuer.Attested> attested, String enforcementMode,
      long validitySeconds, Optional<String> tlsSpkiSha256, Clock clock) {
    this.signer = signer;
    this.attested = attested;
    this.enforcementMode = enforcementMode;
    this.validitySeconds = validitySeconds;
    this.tlsSpkiSha256 = tlsSpkiSha256;
    this.clock = clock;
  }

  /** A signed document over the evidence served now (renewed first when due). */
  public ObjectNode current() {
    ClaimIssuer.Attested now = attested.get();
    long iat = clock.instant().getEpochSecond();
    return signer.sign(GatewayAttestation.unsignedJson(
        ClaimIssuer.trace(now, enforcementMode, signer, tlsSpkiSha256, iat, iat + validitySeconds)));
  }
}
