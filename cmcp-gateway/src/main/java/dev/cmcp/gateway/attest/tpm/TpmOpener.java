package dev.cmcp.gateway.attest.tpm;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.gateway.attest.AttestationException;
import dev.cmcp.gateway.config.TpmDevice;
import dev.cmcp.verify.base.StrictJson;
import java.nio.file.Path;
import java.util.Optional;

/** Plugs the tpm2-tools attester into the {@code tpm} provider. */
public final class TpmOpener {

  private TpmOpener() {}

  /** Opens the TPM named by the config; its AK is created before the first quote. */
  public static dev.cmcp.gateway.attest.TpmAttester open(TpmDevice device, dev.cmcp.gateway.config.PcrSelection pcrs,
      Optional<Path> enrollment) throws AttestationException {
    TpmAttester attester;
    try {
      TpmTarget target = TpmTarget.parse(device.toString());
      PcrSelection selection = PcrSelection.parse(pcrs.toString());
      attester = enrollment.isPresent()
          ? TpmAttester.start(target, selection, TpmEnrollment.load(enrollment.get()))
          : TpmAttester.start(target, selection);
    } catch (IllegalArgumentException e) {
      throw new AttestationException("tpm: " + e.getMessage());
    }
    return new dev.cmcp.gateway.attest.TpmAttester() {
      @Override
      public Quote quote(byte[] binding) throws AttestationException {
        TpmQuote quote = attester.quote(binding);
        try {
          return new Quote(quote.measurement(), (ObjectNode) new StrictJson().parse(quote.evidence().toJson()));
        } catch (StrictJson.MalformedJsonException e) {
          throw new AttestationException("tpm: the evidence document does not read back: " + e.getMessage());
        }
      }

      @Override
      public void close() {
        attester.close();
      }
    };
  }
}
