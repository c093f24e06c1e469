package dev.cmcp.verify.evidence.snp;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.cmcp.verify.base.Check;
import dev.cmcp.verify.base.CheckStatus;
import dev.cmcp.verify.evidence.EvidenceReport;
import dev.cmcp.verify.evidence.TrustStore;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * SEV-SNP evidence from a hostile host: whatever the bytes, the verifier answers with a report
 * (it never throws), and no byte of the signed part of the report can change while the VCEK
 * signature still passes. Seeds: the real Milan report, alone and followed by a certificate
 * table holding its VCEK (SnpVerifierFuzzTestInputs/).
 */
class SnpVerifierFuzzTest {

  private final byte[] genuine;
  private final TrustStore milanCerts;

  SnpVerifierFuzzTest() throws Exception {
    genuine = SnpVerifierTest.report();
    milanCerts = SnpVerifierTest.milanCerts();
  }

  /** Without this the oracle below would be vacuous: the genuine report must pass. */
  @Test
  void genuineReportPassesTheVcekSignature() {
    assertThat(verify(genuine).check(SnpCheck.VCEK_SIGNATURE).status()).isEqualTo(CheckStatus.PASS);
  }

  @FuzzTest
  void anyEvidenceGetsAReportAndOnlyTheSignedBytesVerify(byte[] evidence) {
    EvidenceReport<SnpCheck> report = verify(evidence);

    assertThat(report.checks()).extracting(Check::label)
        .containsExactly(Arrays.stream(SnpCheck.values()).map(SnpCheck::label).toArray(String[]::new));
    if (report.check(SnpCheck.VCEK_SIGNATURE).status() == CheckStatus.PASS) {
      assertThat(Arrays.equals(evidence, 0, SnpReport.SIGNED_LENGTH, genuine, 0, SnpReport.SIGNED_LENGTH))
          .as("the VCEK signature passed on altered signed bytes").isTrue();
    }
  }

  private EvidenceReport<SnpCheck> verify(byte[] evidence) {
    return SnpVerifier.verify(
        evidence, milanCerts, Optional.of(SnpVerifierTest.expectedReportData()), SnpVerifierTest.NOW, SnpPolicy.defaults());
  }
}
