package dev.cmcp.verify.evidence.snp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cmcp.verify.base.CheckStatus;
import dev.cmcp.verify.evidence.EvidenceReport;
import dev.cmcp.verify.evidence.TrustStore;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * VLEK-signed reports: VLEK <- ASVK <- ARK. No real VLEK-signed report is public (go-sev-guest
 * carries none), so what is checked on real bytes is AMD's half of the chain: each product
 * line's ASVK (SEV-VLEK-Milan, -Genoa, -Turin) is signed by the same pinned ARK as its ASK. The
 * report side is checked on the real VCEK-signed report with its SIGNING_KEY field set to VLEK.
 */
class SnpVlekTest {

  @ParameterizedTest
  @CsvSource({"ask_ark_milan_vlek.pem, MILAN", "ask_ark_genoa_vlek.pem, GENOA", "ask_ark_turin_vlek.pem, TURIN"})
  void amdsAsvkOfEachProductLineIsSignedByThePinnedArk(String file, SnpProduct line) throws Exception {
    List<X509Certificate> certificates = TrustStore.parse(file, SnpVerifierTest.fixture(file)).certificates();
    X509Certificate asvk = certificates.stream()
        .filter(c -> c.getSubjectX500Principal().getName().contains("CN=SEV-VLEK-")).findFirst().orElseThrow();
    X509Certificate ark = certificates.stream()
        .filter(c -> c.getSubjectX500Principal().getName().contains("CN=ARK-")).findFirst().orElseThrow();

    asvk.verify(ark.getPublicKey());
    assertThat(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(ark.getEncoded())))
        .isEqualTo(line.arkSha256());
    assertThat(SnpVerifier.pssSha384Problem(asvk)).isEmpty();
    assertThat(asvk.getBasicConstraints()).isGreaterThanOrEqualTo(0);
  }

  @Test
  void aVlekSignedReportIsCheckedWithAVlekAndNotWithTheChipsVcek() throws Exception {
    byte[] report = SnpVerifierTest.report();
    report[0x48] |= (byte) (SnpReport.SIGNING_KEY_VLEK << 2);
    TrustStore certs = SnpVerifierTest.milanCerts()
        .plus(TrustStore.parse("ask_ark_milan_vlek.pem", SnpVerifierTest.fixture("ask_ark_milan_vlek.pem")));

    EvidenceReport<SnpCheck> checked = SnpVerifierTest.verify(report, certs);

    assertThat(checked.check(SnpCheck.VCEK_SIGNATURE).status()).isEqualTo(CheckStatus.FAIL);
    assertThat(checked.check(SnpCheck.VCEK_SIGNATURE).reason())
        .startsWith("SIGNING_KEY says a VLEK signed this report, and there is no VLEK certificate");
    assertThat(checked.check(SnpCheck.VCEK_CHAIN).reason()).isEqualTo("no VLEK (see vcek_signature)");
    assertThat(checked.fields().get("signing_key")).isEqualTo("vlek");
  }
}
