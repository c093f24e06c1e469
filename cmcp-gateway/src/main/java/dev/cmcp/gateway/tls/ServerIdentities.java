package dev.cmcp.gateway.tls;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/** Makes ({@code tls.mode: generate}) or loads ({@code tls.mode: files}) the gateway's TLS identity. */
public final class ServerIdentities {

  /** A PEM file of a chain and key is a few kilobytes; anything far larger is not one. */
  static final long MAX_PEM_BYTES = 1024 * 1024;
  private static final Duration GENERATED_VALIDITY = Duration.ofDays(365);

  private ServerIdentities() {}

  /**
   * An ECDSA P-256 key pair made in memory now and a self-signed certificate for it, naming
   * {@code localhost}, 127.0.0.1, ::1 and {@code host} (when it is a name or a specific address).
   * Nothing is written anywhere; a restart makes a new key. Clients do not trust it by its
   * issuer: they check that the attestation binds its key ({@code cmcp check-gateway}).
   */
  public static ServerIdentity generate(String host, Instant now) throws TlsException {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
      KeyPair pair = generator.generateKeyPair();
      X500Name name = new X500Name("CN=cmcp-gateway");
      X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
          name, new BigInteger(127, new SecureRandom()).add(BigInteger.ONE),
          Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(GENERATED_VALIDITY)), name, pair.getPublic());
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
      builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
      builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names(host).toArray(GeneralName[]::new)));
      X509Certificate certificate = new JcaX509CertificateConverter()
          .getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate())));
      return new ServerIdentity(pair.getPrivate(), List.of(certificate), "generated in memory at start (ECDSA P-256, self-signed)");
    } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
      throw new TlsException("tls.mode: generate: cannot make the TLS key and certificate: " + e.getMessage(), e);
    }
  }

  private static List<GeneralName> names(String host) {
    List<GeneralName> names = new ArrayList<>();
    names.add(new GeneralName(GeneralName.dNSName, "localhost"));
    names.add(new GeneralName(GeneralName.iPAddress, "127.0.0.1"));
    names.add(new GeneralName(GeneralName.iPAddress, "::1"));
    boolean wildcard = host.equals("0.0.0.0") || host.equals("::") || host.equalsIgnoreCase("localhost");
    if (!wildcard && !host.equals("127.0.0.1") && !host.equals("::1")) {
      names.add(isAddress(host) ? new GeneralName(GeneralName.iPAddress, host) : new GeneralName(GeneralName.dNSName, host));
    }
    return names;
  }

  private static boolean isAddress(String host) {
    return host.contains(":") || host.matches("[0-9.]+");
  }

  /**
   * The operator's chain and key. Refuses, naming the key to fix: an unreadable or empty file,
   * an encrypted key, a key that is not the leaf certificate's, and a leaf that is expired or not
   * yet valid at {@code now}.
   */
  public static ServerIdentity load(Path certFile, Path keyFile, Instant now) throws TlsException {
    List<X509Certificate> chain = certificates(certFile);
    PrivateKey key = privateKey(keyFile);
    X509Certificate leaf = chain.get(0);
    if (!matches(key, leaf.getPublicKey())) {
      throw new TlsException("tls.key_file " + keyFile + ": this key does not belong to the first certificate of tls.cert_file "
          + certFile + " (" + leaf.getSubjectX500Principal().getName() + "); give the key of the leaf certificate, the leaf first");
    }
    try {
      leaf.checkValidity(Date.from(now));
    } catch (CertificateExpiredException e) {
      throw new TlsException("tls.cert_file " + certFile + ": the certificate expired on " + leaf.getNotAfter().toInstant()
          + "; renew it", e);
    } catch (CertificateNotYetValidException e) {
      throw new TlsException("tls.cert_file " + certFile + ": the certificate is valid only from " + leaf.getNotBefore().toInstant()
          + " (check the clock, or the certificate)", e);
    }
    return new ServerIdentity(key, chain, "loaded from " + certFile + " and " + keyFile);
  }

  private static List<X509Certificate> certificates(Path certFile) throws TlsException {
    byte[] bytes = read(certFile, "tls.cert_file");
    List<X509Certificate> chain = new ArrayList<>();
    try (InputStream in = new java.io.ByteArrayInputStream(bytes)) {
      for (Certificate certificate : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        chain.add((X509Certificate) certificate);
      }
    } catch (GeneralSecurityException | IOException e) {
      throw new TlsException("tls.cert_file " + certFile + ": not a PEM certificate chain: " + e.getMessage(), e);
    }
    if (chain.isEmpty()) {
      throw new TlsException("tls.cert_file " + certFile + ": holds no certificate; write the chain as PEM, leaf first");
    }
    return chain;
  }

  private static PrivateKey privateKey(Path keyFile) throws TlsException {
    byte[] bytes = read(keyFile, "tls.key_file");
    Object parsed;
    try (Reader reader = new java.io.StringReader(new String(bytes, StandardCharsets.US_ASCII));
        PEMParser pem = new PEMParser(reader)) {
      parsed = pem.readObject();
    } catch (IOException e) {
      throw new TlsException("tls.key_file " + keyFile + ": not a PEM private key: " + e.getMessage(), e);
    }
    if (parsed instanceof PEMEncryptedKeyPair || parsed instanceof PKCS8EncryptedPrivateKeyInfo) {
      throw new TlsException("tls.key_file " + keyFile + ": the key is encrypted; the gateway reads unencrypted keys only"
          + " (mount the file where only the gateway can read it)");
    }
    try {
      JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
      return switch (parsed) {
        case PEMKeyPair pair -> converter.getPrivateKey(pair.getPrivateKeyInfo());
        case PrivateKeyInfo info -> converter.getPrivateKey(info);
        case null -> throw new TlsException("tls.key_file " + keyFile + ": holds no PEM block; write the private key as PEM");
        default -> throw new TlsException("tls.key_file " + keyFile + ": holds a " + parsed.getClass().getSimpleName()
            + ", not a private key");
      };
    } catch (IOException e) {
      throw new TlsException("tls.key_file " + keyFile + ": unsupported private key: " + e.getMessage(), e);
    }
  }

  private static byte[] read(Path file, String key) throws TlsException {
    try {
      if (Files.size(file) > MAX_PEM_BYTES) {
        throw new TlsException(key + " " + file + ": larger than " + MAX_PEM_BYTES + " bytes; not a PEM file");
      }
      return Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new TlsException(key + " " + file + ": no such file", e);
    } catch (AccessDeniedException e) {
      throw new TlsException(key + " " + file + ": cannot read the file (permission denied)", e);
    } catch (IOException e) {
      throw new TlsException(key + " " + file + ": cannot read the file (" + e.getMessage() + ")", e);
    }
  }

  /** Whether {@code key} signs what {@code publicKey} verifies: the one check that works for every key type. */
  private static boolean matches(PrivateKey key, PublicKey publicKey) {
    String algorithm = switch (key.getAlgorithm()) {
      case "EC" -> "SHA256withECDSA";
      case "RSA" -> "SHA256withRSA";
      default -> key.getAlgorithm();
    };
    if (!publicKey.getAlgorithm().equals(key.getAlgorithm())) {
      return false;
    }
    try {
      byte[] challenge = new byte[32];
      new SecureRandom().nextBytes(challenge);
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(challenge);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(publicKey);
      verifier.update(challenge);
      return verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }
}
