package dev.cmcp.gateway.config;

/** Which source of attestation evidence the gateway uses (attestation.provider). */
public enum AttestationProviderKind {
  /** Try SEV-SNP, then TDX, then TPM, then software; never OPAQUE. */
  AUTO("auto"),
  TPM("tpm"),
  SEV_SNP("sev-snp"),
  TDX("tdx"),
  /** The OPAQUE managed runtime; only when OPAQUE_ATTESTATION_URL is set. */
  OPAQUE("opaque"),
  /** No hardware root of trust; only with CMCP_DEV_MODE=1. */
  SOFTWARE_ONLY("software-only"),
  /** Confidential-computing GPU evidence. */
  GPU_CC("gpu-cc");

  private final String configName;

  AttestationProviderKind(String configName) {
    this.configName = configName;
  }

  /** The spelling used in cmcp-config.yaml. */
  public String configName() {
    return configName;
  }
}
