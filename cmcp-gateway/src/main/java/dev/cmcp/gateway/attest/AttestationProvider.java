package dev.cmcp.gateway.attest;

/** Where the gateway's attestation evidence comes from. */
public sealed interface AttestationProvider permits AttestationProvider.Software {

  /** The {@code runtime.platform} word of the TRACE claim. */
  String platform();

  /** The config word of this provider, for the startup log. */
  String configName();

  /** No hardware root of trust: for development only, never reported as verified. */
  record Software() implements AttestationProvider {
    @Override
    public String platform() {
      return "software";
    }

    @Override
    public String configName() {
      return "software-only";
    }
  }
}
