package dev.cmcp.verify.claim;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.verify.base.CanonicalJson;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The claim's writer ({@code GatewayClaim.toJson}, which the gateway's issuer uses) and its reader
 * agree with the format as a test spells it out by hand, field by field ({@link TestGateway}).
 */
class GatewayClaimFormatTest {

  @TempDir Path dir;

  @Test
  void aClaimReadAndWrittenAgainIsByteForByteTheClaimThatWasSigned() throws Exception {
    TestGateway gateway = TestGateway.withTwoSessions(dir);
    for (String session : new String[] {"s1", "s2"}) {
      ObjectNode signed = gateway.claim(session);

      GatewayClaim claim = GatewayClaim.fromJson(signed);

      assertThat(CanonicalJson.string(claim.toJson())).isEqualTo(CanonicalJson.string(signed));
      assertThat(CanonicalJson.string(GatewayClaim.unsignedJson(claim.trace(), claim.gateway())))
          .isEqualTo(CanonicalJson.string(gateway.unsignedClaim(session)));
    }
  }
}
