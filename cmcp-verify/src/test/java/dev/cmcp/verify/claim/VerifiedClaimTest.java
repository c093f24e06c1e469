package dev.cmcp.verify.claim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cmcp.verify.base.Verdict;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A claim's content comes out of the library only with a verified result. */
class VerifiedClaimTest {

  @TempDir Path dir;

  private VerifiedClaim content() throws Exception {
    TestGateway gateway = TestGateway.withTwoSessions(dir);
    return new VerifiedClaim(GatewayClaim.fromJson(gateway.claim("s1")));
  }

  @Test
  void aReportHoldsTheClaimsContentExactlyWhenItIsVerified() throws Exception {
    VerifiedClaim claim = content();

    VerificationReport verified = new VerificationReport(List.of(), Verdict.VERIFIED, Optional.empty(), List.of(), List.of(),
        Optional.of(claim));

    assertThat(verified.verifiedClaim()).containsSame(claim);
    assertThat(claim.gateway().sessionId()).isEqualTo("s1");
    assertThatThrownBy(() -> new VerificationReport(List.of(), Verdict.PARTIALLY_VERIFIED, Optional.empty(), List.of(),
        List.of(), Optional.of(claim))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new VerificationReport(List.of(), Verdict.VERIFIED, Optional.empty(), List.of(), List.of(),
        Optional.empty())).isInstanceOf(IllegalArgumentException.class);
  }
}
