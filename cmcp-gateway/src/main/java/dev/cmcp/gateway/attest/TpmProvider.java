package dev.cmcp.gateway.attest;

import dev.cmcp.verify.claim.Binding;
import dev.cmcp.verify.claim.Platform;
import java.time.Clock;

/**
 * TPM 2.0: a quote over the configured PCRs whose qualifying data is SHA-256 of the binding,
 * signed by an attestation key the attester creates at start. The measurement is the quote's
 * PCR digest. A TPM records how the machine booted; unlike SEV-SNP or TDX it does not keep the
 * host's administrator out of the gateway's memory.
 */
public final class TpmProvider implements AttestationProvider {

  public static final String ASSURANCE = "measured-boot";

  private final TpmAttester attester;
  private final Clock clock;

  TpmProvider(TpmAttester attester, Clock clock) {
    this.attester = attester;
    this.clock = clock;
  }

  @Override
  public Platform platform() {
    return Platform.TPM;
  }

  @Override
  public String configName() {
    return "tpm";
  }

  @Override
  public RuntimeEvidence attest(Binding binding) throws AttestationException {
    TpmAttester.Quote quote = attester.quote(binding.bytes());
    return RuntimeEvidence.of(Platform.TPM, ASSURANCE, quote.pcrDigest(), quote.evidence(), clock.instant());
  }



  @Override
  public void close() {
    attester.close();
  }
}
