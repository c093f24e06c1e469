package dev.cmcp.gateway.attest;

import dev.cmcp.verify.claim.Binding;
import dev.cmcp.verify.claim.Platform;

/**
 * Where the gateway's attestation evidence comes from. Each provider puts the 64-byte binding
 * of the claim key and policy hashes into its platform's evidence, so that a verifier can tie a
 * signed claim to the machine that made it. {@link AttestationProviders} chooses one.
 */
public sealed interface AttestationProvider extends AutoCloseable
    permits SoftwareProvider, SevSnpProvider, TdxProvider, TpmProvider, OpaqueProvider {

  /** The {@code trace.runtime.platform} of the claims this provider's evidence goes into. */
  Platform platform();

  /** The word of {@code attestation.provider} that names this provider. */
  String configName();

  /** Fresh evidence carrying {@code binding} as its user data; called at start and at each renewal. */
  RuntimeEvidence attest(Binding binding) throws AttestationException;

  /** Releases what the provider holds open (a TPM connection); most hold nothing. */
  @Override
  default void close() {}
}
