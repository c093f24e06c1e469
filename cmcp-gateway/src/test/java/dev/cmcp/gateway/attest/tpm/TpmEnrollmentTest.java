package dev.cmcp.gateway.attest.tpm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cmcp.gateway.attest.AttestationException;
import dev.cmcp.verify.base.CheckStatus;
import dev.cmcp.verify.base.Verdict;
import dev.cmcp.verify.evidence.TrustStore;
import dev.cmcp.verify.evidence.tpm.TpmCheck;
import dev.cmcp.verify.evidence.tpm.TpmEvidence;
import dev.cmcp.verify.evidence.tpm.TpmTrust;
import dev.cmcp.verify.evidence.tpm.TpmVerification;
import dev.cmcp.verify.evidence.tpm.TpmVerifier;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cmcp tpm enroll}'s work against swtpm with the EK certificates {@code swtpm_setup} makes
 * with its local CA: the enrolled AK's quotes carry an AK certificate that the verifier accepts
 * with the enrollment CA and the local CA's root, and nothing else passes for it.
 */
class TpmEnrollmentTest {

  @TempDir static Path dir;
  private static Swtpm swtpm;
  private static Swtpm.Manufactured tpm;
  private static X509Certificate caCertificate;
  private static KeyPair caKey;
  private static TrustStore ekRoots;
  private static Path enrolled;

  @BeforeAll
  static void manufactureAndEnroll() throws Exception {
    tpm = Swtpm.manufacture(dir);
    swtpm = Swtpm.start(tpm.state());
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"));
    caKey = generator.generateKeyPair();
    X500Name name = new X500Name("CN=auditor enrollment CA");
    caCertificate = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(name, BigInteger.ONE,
        Date.from(Instant.now().minusSeconds(3600)), Date.from(Instant.now().plus(Duration.ofDays(30))), name, caKey.getPublic())
        .addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
        .build(new JcaContentSignerBuilder("SHA256withECDSA").build(caKey.getPrivate())));
    ekRoots = TrustStore.parse("roots", (Files.readString(tpm.rootCertificate()) + Files.readString(tpm.issuerCertificate()))
        .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    enrolled = dir.resolve("enrolled");
    TpmEnrollment.enroll(request(ekRoots, false), enrolled, Instant.now());
  }

  @AfterAll
  static void stop() {
    if (swtpm != null) {
      swtpm.close();
    }
  }

  @Test
  void theEnrolledAksQuotesVerifyWithTheEnrollmentCaAndTheManufacturersRoot() throws Exception {
    byte[] binding = new byte[64];
    binding[0] = 7;
    try (TpmAttester attester = TpmAttester.start(swtpm.target(), PcrSelection.DEFAULT, TpmEnrollment.load(enrolled))) {
      TpmEvidence evidence = attester.quote(binding).evidence();

      TpmVerification report = TpmVerifier.verify(evidence.toJson(), Optional.of(binding), Optional.empty(),
          TpmTrust.load(writeCa(), dir.resolve("ek-roots.pem")), Instant.now());

      assertThat(report.report().check(TpmCheck.AK_TRUST).status()).as(report.report().toText()).isEqualTo(CheckStatus.PASS);
      assertThat(report.report().check(TpmCheck.AK_TRUST).reason()).contains("CN=auditor enrollment CA", "swtpm-localca-rootca");
      assertThat(report.report().result()).isEqualTo(Verdict.VERIFIED);
      assertThat(Files.readString(enrolled.resolve(TpmEnrollment.AK_HANDLE)).strip()).isEqualTo(TpmEnrollment.DEFAULT_AK_HANDLE);
    }
  }

  @Test
  void aTpmWhoseEkCertificateTheRootsDoNotCertifyIsNotEnrolled() {
    TrustStore otherRoots = new TrustStore(List.of(caCertificate), List.of());

    assertThatThrownBy(() -> TpmEnrollment.enroll(request(otherRoots, true), dir.resolve("refused"), Instant.now()))
        .isInstanceOf(AttestationException.class)
        .hasMessageContaining("does not chain to the given manufacturer root")
        .hasMessageContaining("not certified by the manufacturer roots given (--ek-roots)");
    assertThat(dir.resolve("refused")).doesNotExist();
  }

  @Test
  void anOccupiedHandleIsKeptUnlessReplacedAndTheOldEnrollmentThenNoLongerStarts() throws Exception {
    assertThatThrownBy(() -> TpmEnrollment.enroll(request(ekRoots, false), dir.resolve("again"), Instant.now()))
        .isInstanceOf(AttestationException.class).hasMessageContaining("already holds a key; give --replace");

    Path before = Files.createDirectories(dir.resolve("before"));
    for (String file : List.of(TpmEnrollment.AK_CERTIFICATE, TpmEnrollment.EK_CERTIFICATE, TpmEnrollment.AK_HANDLE)) {
      Files.copy(enrolled.resolve(file), before.resolve(file));
    }
    TpmEnrollment.enroll(request(ekRoots, true), enrolled, Instant.now());

    assertThatThrownBy(() -> TpmAttester.start(swtpm.target(), PcrSelection.DEFAULT, TpmEnrollment.load(before)))
        .isInstanceOf(AttestationException.class).hasMessageContaining("is not the AK the AK certificate names");
    try (TpmAttester attester = TpmAttester.start(swtpm.target(), PcrSelection.DEFAULT, TpmEnrollment.load(enrolled))) {
      assertThat(attester.quote(new byte[64]).evidence().enrollment()).isPresent();
    }
  }

  @Test
  void aMixedUpEnrollmentFolderIsRefused() throws Exception {
    Path mixed = Files.createDirectories(dir.resolve("mixed"));
    Files.copy(enrolled.resolve(TpmEnrollment.AK_CERTIFICATE), mixed.resolve(TpmEnrollment.AK_CERTIFICATE));
    Files.writeString(mixed.resolve(TpmEnrollment.AK_HANDLE), TpmEnrollment.DEFAULT_AK_HANDLE);
    Files.write(mixed.resolve(TpmEnrollment.EK_CERTIFICATE), caCertificate.getEncoded());

    assertThatThrownBy(() -> TpmEnrollment.load(mixed)).isInstanceOf(AttestationException.class)
        .hasMessageContaining("was issued for another EK certificate");
  }

  private static TpmEnrollment.Request request(TrustStore roots, boolean replace) {
    return new TpmEnrollment.Request(swtpm.target(), roots, caCertificate, caKey.getPrivate(), TpmEnrollment.DEFAULT_AK_HANDLE,
        replace, Duration.ofDays(1));
  }

  /** The enrollment CA's certificate and the EK roots as the PEM files a verifier is given. */
  private static Path writeCa() throws Exception {
    Files.writeString(dir.resolve("ek-roots.pem"), Files.readString(tpm.rootCertificate()) + Files.readString(tpm.issuerCertificate()));
    Path ca = dir.resolve("ca.pem");
    Files.writeString(ca, "-----BEGIN CERTIFICATE-----\n"
        + java.util.Base64.getMimeEncoder(64, "\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII)).encodeToString(caCertificate.getEncoded())
        + "\n-----END CERTIFICATE-----\n");
    return ca;
  }
}
