package dev.cmcp.verify.evidence.tpm;

import static dev.cmcp.verify.evidence.tpm.TpmCheck.AK_TRUST;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cmcp.verify.base.CheckStatus;
import dev.cmcp.verify.base.Verdict;
import dev.cmcp.verify.evidence.TrustStore;
import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code ak_trust}: a quote's AK counts as a TPM's only when its AK certificate chains to the
 * auditor's enrollment CA and names this AK and an EK certificate that chains to a manufacturer
 * root. The quote is a real swtpm quote; the certificates are made here.
 */
class TpmAkTrustTest {

  private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

  private static TpmEvidence quote;
  private static TestPki.Ca enrollmentCa;
  private static TestPki.Ca manufacturer;
  private static TestPki.Ca manufacturerIssuer;
  private static X509Certificate ek;
  private static TpmTrust.Anchors anchors;

  @BeforeAll
  static void enroll() throws Exception {
    quote = TpmFixtures.evidence(TpmFixtures.ECC);
    enrollmentCa = TestPki.Ca.root("CN=auditor enrollment CA");
    manufacturer = TestPki.Ca.root("CN=TPM manufacturer root");
    manufacturerIssuer = manufacturer.intermediate("CN=TPM manufacturer EK issuer");
    ek = manufacturerIssuer.ekCertificate();
    anchors = new TpmTrust.Anchors(store(enrollmentCa.certificate()),
        store(manufacturer.certificate(), manufacturerIssuer.certificate()));
  }

  @Test
  void anEnrolledAkWithBothAnchorsIsTrustedAndTheQuoteVerified() throws Exception {
    TpmVerification report = verify(enrolled(akCertificate(enrollmentCa, akName(), ek.getEncoded())), anchors);

    assertThat(report.report().check(AK_TRUST).status()).as(report.report().check(AK_TRUST).reason()).isEqualTo(CheckStatus.PASS);
    assertThat(report.report().check(AK_TRUST).reason()).contains("CN=auditor enrollment CA", "CN=TPM manufacturer root",
        HexFormat.of().formatHex(TpmHash.SHA256.digest(ek.getEncoded())));
    assertThat(report.report().result()).isEqualTo(Verdict.VERIFIED);
    assertThat(report.report().exitCode()).isZero();
  }

  @Test
  void certificatesWithoutAnchorsAreNotTrustedAndSaySo() throws Exception {
    TpmVerification report = verify(enrolled(akCertificate(enrollmentCa, akName(), ek.getEncoded())), TpmTrust.notConfigured());

    assertThat(report.report().check(AK_TRUST).status()).isEqualTo(CheckStatus.SKIP);
    assertThat(report.report().check(AK_TRUST).reason()).contains("--tpm-ak-ca", "--tpm-ek-roots");
    assertThat(report.report().result()).isEqualTo(Verdict.PARTIALLY_VERIFIED);
  }

  @Test
  void anchorsWithoutCertificatesFail() {
    TpmVerification report = verify(quote, anchors);

    assertThat(report.report().check(AK_TRUST).status()).isEqualTo(CheckStatus.FAIL);
    assertThat(report.report().check(AK_TRUST).reason()).contains("carries no AK and EK certificates", "cmcp tpm enroll");
    assertThat(report.report().result()).isEqualTo(Verdict.UNVERIFIED);
  }

  @Test
  void anAkCertificateFromAnotherCaFails() throws Exception {
    TestPki.Ca other = TestPki.Ca.root("CN=someone else's CA");

    TpmVerification report = verify(enrolled(akCertificate(other, akName(), ek.getEncoded())), anchors);

    assertFails(report, "the AK certificate CN=ak (issuer CN=someone else's CA) does not chain to the given enrollment CA");
  }

  @Test
  void anEkCertificateFromAnotherManufacturerFails() throws Exception {
    X509Certificate foreignEk = TestPki.Ca.root("CN=another manufacturer").ekCertificate();

    TpmVerification report = verify(enrolled(akCertificate(enrollmentCa, akName(), foreignEk.getEncoded()), foreignEk), anchors);

    assertFails(report, "the EK certificate CN=ek (issuer CN=another manufacturer) does not chain to the given manufacturer root");
  }

  @Test
  void anAkCertificateNamingAnotherEkFails() throws Exception {
    X509Certificate otherEk = manufacturerIssuer.ekCertificate();

    TpmVerification report = verify(enrolled(akCertificate(enrollmentCa, akName(), otherEk.getEncoded())), anchors);

    assertFails(report, "the AK certificate was issued against EK certificate sha256 "
        + HexFormat.of().formatHex(TpmHash.SHA256.digest(otherEk.getEncoded())));
  }

  @Test
  void anAkCertificateIssuedForAnotherAkFails() throws Exception {
    TpmEvidence forged = TpmFixtures.signedBySoftwareKey(quote, TpmFixtures.AK_ATTRIBUTES);
    byte[] forgedName = TpmtPublic.parse(forged.akPublic()).name();
    // The real AK's certificate, carried by a quote that another key signed.
    X509Certificate realAkCertificate = akCertificate(enrollmentCa, akName(), ek.getEncoded());
    TpmEvidence swapped = new TpmEvidence(forged.attest(), forged.signature(), forged.akPublic(), forged.pcrs(),
        Optional.of(new TpmEvidence.Enrollment(realAkCertificate.getEncoded(), ek.getEncoded())));

    TpmVerification report = verify(swapped, anchors);

    assertFails(report, "the AK certificate was issued for AK " + HexFormat.of().formatHex(akName())
        + ", the quote was signed by AK " + HexFormat.of().formatHex(forgedName));
  }

  @Test
  void anAkCertificateWhoseKeyIsNotTheAksFails() throws Exception {
    X509Certificate otherKey = enrollmentCa.akCertificate(TestPki.ecKey().getPublic(),
        new AkCertificate.Binding(TpmHash.SHA256.digest(ek.getEncoded()), akName()));

    TpmVerification report = verify(enrolled(otherKey), anchors);

    assertFails(report, "the AK certificate's public key is not the AK's");
  }

  @Test
  void anAkCertificateWithoutTheBindingExtensionFails() throws Exception {
    TpmVerification report = verify(enrolled(enrollmentCa.plainCertificate(akKey())), anchors);

    assertFails(report, "has no AkBinding extension (" + AkCertificate.BINDING_OID + ")");
  }

  @Test
  void anExpiredAkCertificateFails() throws Exception {
    TpmEvidence evidence = enrolled(akCertificate(enrollmentCa, akName(), ek.getEncoded()));

    TpmVerification report = TpmVerifier.verify(evidence.toJson(), Optional.of(TpmFixtures.binding()), Optional.empty(), anchors,
        TestPki.NOT_AFTER.plusSeconds(1));

    assertFails(report, "does not chain to the given enrollment CA");
  }

  @Test
  void theCertificatesRoundTripAndComeBothOrNeither() throws Exception {
    TpmEvidence evidence = enrolled(akCertificate(enrollmentCa, akName(), ek.getEncoded()));

    TpmEvidence read = TpmEvidence.fromJson(evidence.toJson());

    assertThat(read.enrollment().orElseThrow().ekCertificate()).isEqualTo(ek.getEncoded());
    assertThat(read.toJson()).isEqualTo(evidence.toJson());
    String onlyAk = new String(evidence.toJson(), StandardCharsets.UTF_8).replaceFirst(",\"ek_certificate\":\"[^\"]*\"", "");
    assertThatThrownBy(() -> TpmEvidence.fromJson(onlyAk.getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(TpmFormatException.class).hasMessageContaining("together");
  }

  @Test
  void aCertificateThatIsNotDerFailsTheFormatCheck() {
    TpmEvidence evidence = new TpmEvidence(quote.attest(), quote.signature(), quote.akPublic(), quote.pcrs(),
        Optional.of(new TpmEvidence.Enrollment(new byte[] {0x30, 0x03, 0x02, 0x01, 0x01}, new byte[] {1})));

    TpmVerification report = verify(evidence, anchors);

    assertThat(report.report().check(TpmCheck.ATTEST_FORMAT).status()).isEqualTo(CheckStatus.FAIL);
    assertThat(report.report().check(TpmCheck.ATTEST_FORMAT).reason()).startsWith("evidence.ak_certificate: not an X.509 certificate");
  }

  @Test
  void anchorsWithoutASelfSignedRootAreRefused() {
    assertThatThrownBy(() -> new TpmTrust.Anchors(store(manufacturerIssuer.certificate()), anchors.manufacturerRoots()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("enrollment CA (--tpm-ak-ca) holds no self-signed root");
  }

  @Test
  void theBindingExtensionIsReadExactly() throws Exception {
    AkCertificate.Binding binding = new AkCertificate.Binding(TpmHash.SHA256.digest(ek.getEncoded()), akName());
    X509Certificate certificate = enrollmentCa.akCertificate(akKey(), binding);

    AkCertificate.Binding read = AkCertificate.Binding.of(certificate);

    assertThat(read.ekCertificateSha256()).isEqualTo(binding.ekCertificateSha256());
    assertThat(read.akName()).isEqualTo(binding.akName());
    assertThat(binding.toDer()).startsWith(0x30, 0x46, 0x04, 0x20);
  }

  private static void assertFails(TpmVerification report, String reason) {
    assertThat(report.report().check(AK_TRUST).status()).isEqualTo(CheckStatus.FAIL);
    assertThat(report.report().check(AK_TRUST).reason()).contains(reason);
    assertThat(report.report().result()).isEqualTo(Verdict.UNVERIFIED);
  }

  private static TpmVerification verify(TpmEvidence evidence, TpmTrust trust) {
    return TpmVerifier.verify(evidence.toJson(), Optional.of(TpmFixtures.binding()), Optional.empty(), trust, NOW);
  }

  private static TpmEvidence enrolled(X509Certificate akCertificate) throws Exception {
    return enrolled(akCertificate, ek);
  }

  private static TpmEvidence enrolled(X509Certificate akCertificate, X509Certificate ekCertificate) throws Exception {
    return new TpmEvidence(quote.attest(), quote.signature(), quote.akPublic(), quote.pcrs(),
        Optional.of(new TpmEvidence.Enrollment(akCertificate.getEncoded(), ekCertificate.getEncoded())));
  }

  private static X509Certificate akCertificate(TestPki.Ca ca, byte[] akName, byte[] ekDer) throws Exception {
    return ca.akCertificate(akKey(), new AkCertificate.Binding(TpmHash.SHA256.digest(ekDer), akName));
  }

  private static byte[] akName() throws TpmFormatException {
    return TpmtPublic.parse(quote.akPublic()).name();
  }

  private static PublicKey akKey() throws TpmFormatException {
    return TpmtPublic.parse(quote.akPublic()).key().toJdkKey();
  }

  private static TrustStore store(X509Certificate... certificates) {
    return new TrustStore(List.of(certificates), List.of());
  }
}
