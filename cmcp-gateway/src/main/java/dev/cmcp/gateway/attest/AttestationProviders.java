package dev.cmcp.gateway.attest;

import dev.cmcp.gateway.config.AttestationProviderKind;
import dev.cmcp.gateway.config.RuntimeEnvironment;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;

/** Chooses the attestation provider from the config and the environment. */
public final class AttestationProviders {

  private static final Logger LOG = System.getLogger("cmcp.attest");

  private AttestationProviders() {}

  public static AttestationProvider select(AttestationProviderKind kind, RuntimeEnvironment env) throws AttestationException {
    if (env.devMode()) {
      if (kind != AttestationProviderKind.AUTO && kind != AttestationProviderKind.SOFTWARE_ONLY) {
        LOG.log(Level.WARNING, "CMCP_DEV_MODE=1 overrides attestation.provider {0}: using the software provider", kind.configName());
      }
      return new AttestationProvider.Software();
    }
    throw switch (kind) {
      case AUTO -> new AttestationException(
          "attestation.provider auto: no hardware provider is available in this build (SEV-SNP, TDX and TPM support "
              + "are not implemented yet); set CMCP_DEV_MODE=1 to run with the software provider");
      case SOFTWARE_ONLY -> new AttestationException(
          "attestation.provider software-only needs CMCP_DEV_MODE=1: it has no hardware root of trust");
      case GPU_CC -> new AttestationException("attestation.provider gpu-cc is planned for v0.2 and not available");
      case SEV_SNP, TDX, TPM, OPAQUE -> new AttestationException(
          "attestation.provider " + kind.configName() + " is not available on this machine: this build does not "
              + "implement it yet; set CMCP_DEV_MODE=1 to run with the software provider");
    };
  }
}
