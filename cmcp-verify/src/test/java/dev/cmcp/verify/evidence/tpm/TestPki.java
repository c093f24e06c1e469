package dev.cmcp.verify.evidence.tpm;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Certificate authorities made for a test: an enrollment CA issuing AK certificates, a manufacturer issuing EK certificates. */
public final class TestPki {

  static final Instant NOT_BEFORE = Instant.parse("2020-01-01T00:00:00Z");
  static final Instant NOT_AFTER = Instant.parse("2040-01-01T00:00:00Z");
  private static final AtomicLong SERIAL = new AtomicLong(1);

  /** A CA: its key and certificate (self-signed for a root). */
  public record Ca(KeyPair key, X509Certificate certificate) {
    /** A root CA named {@code name}. */
    public static Ca root(String name) throws Exception {
      KeyPair key = ecKey();
      return new Ca(key, issue(name, key.getPublic(), name, key, true, null));
    }

    /** An intermediate CA under this one. */
    Ca intermediate(String name) throws Exception {
      KeyPair intermediate = ecKey();
      return new Ca(intermediate, issue(name, intermediate.getPublic(), subject(), key, true, null));
    }

    /** An EK certificate for an RSA key: what a TPM manufacturer issues. */
    public X509Certificate ekCertificate() throws Exception {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(2048);
      return issue("CN=ek", generator.generateKeyPair().getPublic(), subject(), key, false, null);
    }

    /** An AK certificate for {@code akKey} carrying {@code binding}: what cmcp tpm enroll issues. */
    X509Certificate akCertificate(PublicKey akKey, AkCertificate.Binding binding) throws Exception {
      return issue("CN=ak", akKey, subject(), key, false, binding.toDer());
    }

    /** A certificate for {@code akKey} without the AkBinding extension. */
    X509Certificate plainCertificate(PublicKey akKey) throws Exception {
      return issue("CN=ak", akKey, subject(), key, false, null);
    }

    String subject() {
      return certificate.getSubjectX500Principal().getName();
    }
  }

  private TestPki() {}

  /** {@code evidence} with an AK certificate from {@code enrollmentCa} for its AK, naming {@code ek}, and {@code ek}. */
  public static TpmEvidence enroll(TpmEvidence evidence, Ca enrollmentCa, X509Certificate ek) throws Exception {
    TpmtPublic ak = TpmtPublic.parse(evidence.akPublic());
    X509Certificate akCertificate = enrollmentCa.akCertificate(ak.key().toJdkKey(),
        new AkCertificate.Binding(TpmHash.SHA256.digest(ek.getEncoded()), ak.name()));
    return new TpmEvidence(evidence.attest(), evidence.signature(), evidence.akPublic(), evidence.pcrs(),
        java.util.Optional.of(new TpmEvidence.Enrollment(akCertificate.getEncoded(), ek.getEncoded())));
  }

  static KeyPair ecKey() throws GeneralSecurityException {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"));
    return generator.generateKeyPair();
  }

  private static X509Certificate issue(String subject, PublicKey key, String issuer, KeyPair issuerKey, boolean ca,
      byte[] akBinding) throws Exception {
    X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(new X500Name(issuer),
        BigInteger.valueOf(SERIAL.getAndIncrement()), Date.from(NOT_BEFORE), Date.from(NOT_AFTER), new X500Name(subject), key);
    builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
    builder.addExtension(Extension.keyUsage, true,
        new KeyUsage(ca ? KeyUsage.keyCertSign | KeyUsage.cRLSign : KeyUsage.digitalSignature));
    if (akBinding != null) {
      builder.addExtension(new ASN1ObjectIdentifier(AkCertificate.BINDING_OID), false, akBinding);
    }
    try {
      return new JcaX509CertificateConverter().getCertificate(
          builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey.getPrivate())));
    } catch (OperatorCreationException e) {
      throw new GeneralSecurityException(e);
    }
  }
}
