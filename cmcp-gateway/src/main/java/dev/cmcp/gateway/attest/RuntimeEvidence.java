package dev.cmcp.gateway.attest;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.verify.base.Base64Url;
import dev.cmcp.verify.base.CanonicalJson;
import dev.cmcp.verify.claim.GatewayClaim;
import dev.cmcp.verify.claim.Platform;
import java.time.Instant;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One piece of attestation evidence, as a claim carries it in {@code trace.runtime}.
 *
 * @param assurance what the platform protects, in one word ({@code none} for software)
 * @param measurement lower-case hex: SNP MEASUREMENT, TDX MRTD, TPM PCR digest, software jar hash
 * @param evidence base64url (no padding) of the canonical JSON evidence document
 * @param producedAt when the platform made it; freshness counts from here
 */
public record RuntimeEvidence(Platform platform, String assurance, String measurement, String evidence, Instant producedAt) {

  private static final Pattern LOWER_HEX = Pattern.compile("(?:[0-9a-f]{2})+");

  public RuntimeEvidence {
    Objects.requireNonNull(platform);
    Objects.requireNonNull(assurance);
    Objects.requireNonNull(evidence);
    Objects.requireNonNull(producedAt);
    if (!LOWER_HEX.matcher(measurement).matches()) {
      throw new IllegalArgumentException("measurement must be lower-case hex, not " + measurement);
    }
  }

  /** Evidence whose document is {@code document}, encoded as claims carry it. */
  static RuntimeEvidence of(Platform platform, String assurance, String measurement, ObjectNode document, Instant producedAt) {
    return new RuntimeEvidence(platform, assurance, measurement, base64Url(CanonicalJson.bytes(document)), producedAt);
  }

  /** The {@code trace.runtime} object, in the claim format's one definition. */
  public ObjectNode toJson() {
    return new GatewayClaim.Attestation(platform, assurance, measurement, evidence).toJson();
  }

  static String base64Url(byte[] bytes) {
    return Base64Url.encode(bytes);
  }
}
