package dev.cmcp.verify.claim;

/**
 * Evidence from a remote attestation service ({@code platform: opaque}): whatever the service at
 * {@code OPAQUE_ATTESTATION_URL} answered for the binding. Its meaning is the service's, and no
 * root of trust for it is known offline, so it is never verified: an auditor either refuses it
 * or accepts the claim as at best partially verified.
 *
 * <p>The evidence is base64url of canonical JSON {@code {"format":"cmcp-opaque-evidence-v1", ...}};
 * only {@code format} is read, the other members being the service's.
 */
public record OpaqueEvidence() implements PlatformEvidence {

  public static final String FORMAT = "cmcp-opaque-evidence-v1";

  /** Decodes {@code trace.runtime.evidence} of an opaque claim, checking only its format. */
  public static OpaqueEvidence decode(String evidence) throws ClaimException {
    EvidenceDocument.decode(evidence, Platform.OPAQUE, FORMAT);
    return new OpaqueEvidence();
  }
}
