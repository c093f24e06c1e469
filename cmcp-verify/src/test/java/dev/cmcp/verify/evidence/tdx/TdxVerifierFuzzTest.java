package dev.cmcp.verify.evidence.tdx;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.cmcp.verify.VerificationReport.Status;
import java.io.InputStream;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * TDX quotes from a hostile host: whatever the bytes, the verifier answers with every check
 * (it never throws), and the header and TD report cannot change while the chain from Intel's root
 * to the quote's signature still holds. Collateral: all of ../shared/fixtures/tdx, at a time it
 * was valid. Seed: the real quote (TdxVerifierFuzzTestInputs/).
 */
class TdxVerifierFuzzTest {

  /** The quote's header (48 bytes) and TD report body (584 bytes): what the attestation key signs. */
  private static final int SIGNED_LENGTH = 48 + 584;

  private final byte[] genuine = TdxFixtures.quote();
  private final TdxCollateral collateral;

  TdxVerifierFuzzTest() throws Exception {
    TdxCollateral fixtures = TdxCollateral.load(TdxFixtures.DIR);
    List<X509Certificate> certificates = new ArrayList<>(fixtures.certificates());
    try (InputStream signing = TdxFixtures.class.getResourceAsStream("intel_sgx_tcb_signing.pem")) {
      certificates.add((X509Certificate) TdxCollateral.x509Factory().generateCertificate(Objects.requireNonNull(signing)));
    }
    collateral = new TdxCollateral(certificates, fixtures.crls(), fixtures.tcbInfo(), fixtures.qeIdentity());
  }

  @FuzzTest
  void anyQuoteGetsEveryCheckAndOnlyTheSignedReportVerifies(byte[] quote) {
    TdxReport report = TdxVerifier.verify(quote, collateral, Optional.empty(), TdxFixtures.NOW, TdxPolicy.defaults());

    assertThat(report.checks()).extracting(TdxReport.Check::name).containsExactly(TdxCheck.values());
    boolean genuineChain = List.of(TdxCheck.QUOTE_SIGNATURE, TdxCheck.QE_REPORT_SIGNATURE, TdxCheck.QE_REPORT_BINDS_KEY,
        TdxCheck.PCK_CHAIN).stream().allMatch(check -> report.check(check).status() == Status.PASS);
    if (genuineChain) {
      assertThat(Arrays.equals(quote, 0, SIGNED_LENGTH, genuine, 0, SIGNED_LENGTH))
          .as("the chain to Intel's root held for an altered TD report").isTrue();
    }
  }
}
