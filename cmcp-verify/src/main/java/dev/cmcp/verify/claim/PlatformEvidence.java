package dev.cmcp.verify.claim;

/**
 * The evidence of a claim's {@code trace.runtime}, decoded per platform. Each platform whose
 * reports this library can check gets its own record here (an SEV-SNP report with its VCEK
 * chain, a TDX quote, a TPM quote); until then its evidence is {@link NotYetVerifiable}.
 */
public sealed interface PlatformEvidence permits SoftwareEvidence, PlatformEvidence.NotYetVerifiable {

  /** Evidence of a platform whose verification this library does not implement yet. */
  record NotYetVerifiable(Platform platform) implements PlatformEvidence {}

  /** Decodes the evidence of {@code runtime}; throws when it is not what its platform produces. */
  static PlatformEvidence of(GatewayClaim.Attestation runtime) throws ClaimException {
    return switch (runtime.platform()) {
      case SOFTWARE -> SoftwareEvidence.fromRuntime(runtime);
      case SEV_SNP, TDX, TPM, OPAQUE -> new NotYetVerifiable(runtime.platform());
    };
  }
}
