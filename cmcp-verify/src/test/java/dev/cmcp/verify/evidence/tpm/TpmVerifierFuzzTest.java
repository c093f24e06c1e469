package dev.cmcp.verify.evidence.tpm;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.cmcp.verify.base.Check;
import dev.cmcp.verify.base.CheckStatus;
import dev.cmcp.verify.evidence.TrustStore;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * TPM evidence from a hostile host, checked with enrollment anchors: whatever the bytes, the
 * verifier answers with every check (it never throws), and {@code ak_trust} passes only for the
 * AK the enrollment CA certified, with the EK certificate it named. Seeds: the swtpm quotes
 * (TpmVerifierFuzzTestInputs/); the enrolled evidence is made here, its CA being fresh each run.
 */
class TpmVerifierFuzzTest {

  private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

  private final TpmEvidence enrolled;
  private final TpmTrust.Anchors anchors;

  TpmVerifierFuzzTest() throws Exception {
    TestPki.Ca enrollmentCa = TestPki.Ca.root("CN=enrollment CA");
    TestPki.Ca manufacturer = TestPki.Ca.root("CN=TPM manufacturer");
    enrolled = TestPki.enroll(TpmFixtures.evidence(TpmFixtures.ECC), enrollmentCa, manufacturer.ekCertificate());
    anchors = new TpmTrust.Anchors(new TrustStore(List.of(enrollmentCa.certificate()), List.of()),
        new TrustStore(List.of(manufacturer.certificate()), List.of()));
  }

  /** Without this the oracle below would be vacuous: the enrolled evidence must pass ak_trust. */
  @Test
  void theEnrolledEvidencePassesAkTrust() {
    assertThat(verify(enrolled.toJson()).report().check(TpmCheck.AK_TRUST).status()).isEqualTo(CheckStatus.PASS);
  }

  @FuzzTest
  void anyEvidenceGetsEveryCheckAndOnlyTheEnrolledAkIsTrusted(byte[] evidence) throws Exception {
    TpmVerification report = verify(evidence);

    assertThat(report.report().checks()).extracting(Check::name).containsExactly(TpmCheck.values());
    if (report.report().check(TpmCheck.AK_TRUST).status() == CheckStatus.PASS) {
      TpmEvidence read = TpmEvidence.fromJson(evidence);
      assertThat(read.akPublic()).as("ak_trust passed for another AK").isEqualTo(enrolled.akPublic());
      assertThat(read.enrollment().orElseThrow().ekCertificate()).isEqualTo(enrolled.enrollment().orElseThrow().ekCertificate());
    }
    // The same bytes with the enrolled certificates attached, so that the fuzzer reaches the certificate checks too.
    if (report.quote().isPresent()) {
      TpmEvidence read = TpmEvidence.fromJson(evidence);
      TpmEvidence withCertificates = new TpmEvidence(read.attest(), read.signature(), read.akPublic(), read.pcrs(),
          enrolled.enrollment());
      TpmVerification certified = verify(withCertificates.toJson());
      if (certified.report().check(TpmCheck.AK_TRUST).status() == CheckStatus.PASS) {
        assertThat(Arrays.equals(read.akPublic(), enrolled.akPublic())).as("ak_trust passed for another AK").isTrue();
      }
    }
  }

  private TpmVerification verify(byte[] evidence) {
    return TpmVerifier.verify(evidence, Optional.of(TpmFixtures.binding()), Optional.empty(), anchors, NOW);
  }
}
