package dev.cmcp.verify.claim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cmcp.verify.base.Check;
import dev.cmcp.verify.base.Verdict;
import java.nio.file.Path;
import java.util.Arrays;
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
  void aReportHoldsTheClaimsContentOnlyWhenItIsVerified() throws Exception {
    VerifiedClaim claim = content();
    List<Check<CheckName>> passed = Arrays.stream(CheckName.values()).map(name -> Check.pass(name, "holds")).toList();
    List<Check<CheckName>> oneSkipped = Arrays.stream(CheckName.values())
        .map(name -> name == CheckName.EVIDENCE ? Check.skip(name, "software evidence") : Check.pass(name, "holds"))
        .toList();

    VerificationReport verified = new VerificationReport(passed, Optional.empty(), List.of(), List.of(), Optional.of(claim));

    assertThat(verified.result()).isEqualTo(Verdict.VERIFIED);
    assertThat(verified.verifiedClaim()).containsSame(claim);
    assertThat(claim.gateway().sessionId()).isEqualTo("s1");
    // The result is computed from the checks, never handed in: no gap, no skipped required check, no content.
    assertThatThrownBy(() -> new VerificationReport(passed, Optional.empty(), List.of("bundle_hash: not given"),
        List.of(), Optional.of(claim))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new VerificationReport(oneSkipped, Optional.empty(), List.of(), List.of(), Optional.of(claim)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new VerificationReport(List.of(), Optional.empty(), List.of(), List.of(), Optional.of(claim)))
        .isInstanceOf(IllegalArgumentException.class);
  }

}
