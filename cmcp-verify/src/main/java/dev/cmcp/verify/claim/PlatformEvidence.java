package dev.cmcp.verify.claim;

/**
 * The evidence of a claim's {@code trace.runtime}, decoded per platform: the raw report each
 * platform produced, not yet verified. {@code dev.cmcp.verify.claim.ClaimVerifier} runs the
 * platform's verifier on it.
 */
public sealed interface PlatformEvidence
    permits SoftwareEvidence, SnpEvidence, TdxEvidence, TpmQuoteEvidence, OpaqueEvidence {

  /** Decodes the evidence of {@code runtime}; throws when it is not what its platform produces. */
  static PlatformEvidence of(GatewayClaim.Attestation runtime) throws ClaimException {
    return switch (runtime.platform()) {
      case SOFTWARE -> SoftwareEvidence.fromRuntime(runtime);
      case SEV_SNP -> SnpEvidence.decode(runtime.evidence());
      case TDX -> TdxEvidence.decode(runtime.evidence());
      case TPM -> TpmQuoteEvidence.decode(runtime.evidence());
      case OPAQUE -> OpaqueEvidence.decode(runtime.evidence());
    };
  }
}
