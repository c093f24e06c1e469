package dev.cmcp.verify.evidence.tdx;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.cmcp.verify.base.Check;
import dev.cmcp.verify.base.CheckStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * TDX quotes from a hostile host: whatever the bytes, the verifier answers with every check
 * (it never throws), and the header and TD report cannot change while the chain from Intel's root
 * to the quote's signature still holds. Collateral: all of test-fixtures/tdx, at a time it
 * was valid. Seed: the real quote (TdxVerifierFuzzTestInputs/).
 */
class TdxVerifierFuzzTest {

  /** The quote's header (48 bytes) and TD report body (584 bytes): what the attestation key signs. */
  private static final int SIGNED_LENGTH = 48 + 584;

  private final byte[] genuine = TdxFixtures.quote();
  private final TdxCollateral collateral;

  TdxVerifierFuzzTest() throws Exception {
    // Loaded once per test instance (once per fuzzing run) from a certs folder laid out like an
    // auditor's, which is then removed.
    Path dir = Files.createTempDirectory("tdx-certs");
    try {
      collateral = TdxCollateral.load(TdxFixtures.fullCertsFolder(dir));
    } finally {
      try (Stream<Path> files = Files.list(dir)) {
        for (Path file : files.toList()) {
          Files.delete(file);
        }
      }
      Files.delete(dir);
    }
  }

  /** Without this the oracle below would be vacuous: the genuine quote must hold the chain. */
  @Test
  void genuineQuoteHoldsTheChain() {
    assertThat(holdsTheChain(verify(genuine))).isTrue();
  }

  @FuzzTest
  void anyQuoteGetsEveryCheckAndOnlyTheSignedReportVerifies(byte[] quote) {
    TdxVerification report = verify(quote);

    assertThat(report.report().checks()).extracting(Check::name).containsExactly(TdxCheck.values());
    if (holdsTheChain(report)) {
      assertThat(Arrays.equals(quote, 0, SIGNED_LENGTH, genuine, 0, SIGNED_LENGTH))
          .as("the chain to Intel's root held for an altered TD report").isTrue();
    }
  }

  private TdxVerification verify(byte[] quote) {
    return TdxVerifier.verify(quote, collateral, Optional.empty(), TdxFixtures.NOW, TdxPolicy.defaults());
  }

  private static boolean holdsTheChain(TdxVerification report) {
    return List.of(TdxCheck.QUOTE_SIGNATURE, TdxCheck.QE_REPORT_SIGNATURE, TdxCheck.QE_REPORT_BINDS_KEY, TdxCheck.PCK_CHAIN)
        .stream().allMatch(check -> report.report().check(check).status() == CheckStatus.PASS);
  }
}
