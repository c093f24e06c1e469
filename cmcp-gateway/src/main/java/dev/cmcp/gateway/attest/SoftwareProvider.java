package dev.cmcp.gateway.attest;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.verify.claim.Binding;
import dev.cmcp.verify.claim.Platform;
import dev.cmcp.verify.claim.SoftwareEvidence;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;

/**
 * Development evidence: the gateway states its own measurement (a hash of its jar files) and
 * binding, and nothing outside the gateway vouches for either. Allowed only with
 * {@code CMCP_DEV_MODE=1}; a verifier never rates it above {@code partially_verified}.
 *
 * @param measurement hex SHA-256 over the gateway's jar files, see {@link SoftwareEvidence#measure}
 */
public record SoftwareProvider(String measurement, Clock clock) implements AttestationProvider {

  /** The software provider measuring the jar files this gateway runs from. */
  static SoftwareProvider measuringGateway(Clock clock) throws AttestationException {
    try {
      return new SoftwareProvider(SoftwareEvidence.measure(GatewayJars.locate()), clock);
    } catch (IOException e) {
      throw new AttestationException("software provider: cannot measure the gateway's own jar files: " + e.getMessage());
    }
  }

  @Override
  public Platform platform() {
    return Platform.SOFTWARE;
  }

  @Override
  public String configName() {
    return "software-only";
  }

  @Override
  public RuntimeEvidence attest(Binding binding) {
    Instant now = clock.instant();
    ObjectNode runtime = SoftwareEvidence.create(binding, measurement, now);
    return new RuntimeEvidence(
        Platform.SOFTWARE, runtime.get("assurance").asText(), measurement, runtime.get("evidence").asText(), now);
  }
}
