package dev.cmcp.gateway.attest.tpm;

import dev.cmcp.gateway.attest.AttestationException;
import dev.cmcp.verify.base.Digests;
import dev.cmcp.verify.evidence.TrustStore;
import dev.cmcp.verify.evidence.tpm.AkCertificate;
import dev.cmcp.verify.evidence.tpm.EkCertificate;
import dev.cmcp.verify.evidence.tpm.TpmCredential;
import dev.cmcp.verify.evidence.tpm.TpmEvidence;
import dev.cmcp.verify.evidence.tpm.TpmFormatException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Ties a TPM's attestation key (AK) to the TPM through its endorsement key (EK), once, on the
 * gateway's host ({@code cmcp tpm enroll}), and reads that enrollment back at start.
 *
 * <p>Enrollment: the EK certificate is read from the TPM's NV index (where the manufacturer, or
 * {@code swtpm_setup --create-ek-cert}, put it) and checked against the manufacturer roots; an
 * ECC P-256 AK is created under the EK; credential activation proves the AK is in that TPM (a
 * secret wrapped in Java to the EK certificate's key for the AK's Name, which only the TPM holding
 * the EK's private key, with that AK loaded, unwraps); the AK is made persistent at a handle, so
 * that it survives restarts; and the enrollment CA signs an AK certificate ({@link AkCertificate})
 * naming the AK's Name and the EK certificate's SHA-256.
 *
 * <p>The enrollment folder holds {@value #AK_CERTIFICATE}, {@value #EK_CERTIFICATE} and
 * {@value #AK_HANDLE}; none of them is secret (the CA key is never written there).
 */
public final class TpmEnrollment {

  public static final String AK_CERTIFICATE = "ak-certificate.pem";
  public static final String EK_CERTIFICATE = "ek-certificate.der";
  public static final String AK_HANDLE = "ak-handle";
  /** The TCG's conventional persistent handle for an attestation key (endorsement hierarchy range). */
  public static final String DEFAULT_AK_HANDLE = "0x81010002";
  /** Where the TCG EK Credential Profile stores the RSA 2048 EK certificate. */
  static final String RSA_EK_CERTIFICATE_INDEX = "0x1c00002";

  static final List<String> TOOLS = List.of("tpm2_nvread", "tpm2_createek", "tpm2_createak", "tpm2_readpublic",
      "tpm2_startauthsession", "tpm2_policysecret", "tpm2_activatecredential", "tpm2_evictcontrol", "tpm2_flushcontext");

  private static final Pattern PERSISTENT_HANDLE = Pattern.compile("0x81[0-9a-f]{6}");
  private static final int MAX_FILE_BYTES = 64 * 1024;
  private static final int SECRET_BYTES = 32;

  private TpmEnrollment() {}

  /**
   * An enrollment as the gateway uses it.
   *
   * @param akHandle the AK's persistent handle, {@code 0x81xxxxxx}
   */
  public record Enrolled(X509Certificate akCertificate, X509Certificate ekCertificate, String akHandle,
      AkCertificate.Binding binding) {

    /** The AK and EK certificates, as the evidence carries them. */
    TpmEvidence.Enrollment evidence() {
      try {
        return new TpmEvidence.Enrollment(akCertificate.getEncoded(), ekCertificate.getEncoded());
      } catch (CertificateException e) {
        throw new IllegalStateException("a parsed certificate always encodes", e);
      }
    }
  }

  /**
   * What the enrollment CA and the auditor give.
   *
   * @param ekRoots the TPM manufacturer's root (self-signed) and intermediate certificates
   * @param caCertificate the enrollment CA's certificate, which verifiers give as {@code --tpm-ak-ca}
   * @param caKey its private key
   * @param akHandle the persistent handle to keep the AK at
   * @param replace whether an object already at {@code akHandle} may be evicted
   * @param validity how long the AK certificate is valid
   */
  public record Request(TpmTarget target, TrustStore ekRoots, X509Certificate caCertificate, PrivateKey caKey,
      String akHandle, boolean replace, Duration validity) {
    public Request {
      akHandle = akHandle.toLowerCase(Locale.ROOT);
      if (!PERSISTENT_HANDLE.matcher(akHandle).matches()) {
        throw new IllegalArgumentException("the AK handle " + akHandle + " is not a persistent handle 0x81000000-0x81ffffff");
      }
      if (validity.isNegative() || validity.isZero()) {
        throw new IllegalArgumentException("the AK certificate's validity must be positive");
      }
    }
  }

  /**
   * What an enrollment established, for the operator to read.
   *
   * @param ekChain the EK certificate's chain to the manufacturer root, subject names leaf first
   */
  public record Result(String akName, String ekCertificateSha256, List<String> ekChain, X509Certificate akCertificate) {}

  /**
   * Enrolls the TPM's AK into {@code outDir} (created if absent; its three files replaced).
   *
   * @throws AttestationException naming the step that failed and what to do
   */
  public static Result enroll(Request request, Path outDir, Instant now) throws AttestationException {
    TpmAttester.checkReachable(request.target());
    Path workDir = privateFolder();
    try {
      Tpm2Tools tools = Tpm2Tools.locate(request.target(), workDir, Tpm2Tools.systemPath(), TOOLS);
      tools.flushUnmanaged();
      X509Certificate ek = readEkCertificate(tools, workDir);
      List<String> ekChain;
      try {
        ekChain = EkCertificate.chain(ek, request.ekRoots(), now);
      } catch (TpmFormatException e) {
        throw new AttestationException("tpm enroll: " + e.getMessage() + "; this TPM's EK certificate is not certified by"
            + " the manufacturer roots given (--ek-roots)");
      }
      if (!(ek.getPublicKey() instanceof RSAPublicKey ekKey) || ekKey.getModulus().bitLength() != 2048) {
        throw new AttestationException("tpm enroll: the EK certificate at NV index " + RSA_EK_CERTIFICATE_INDEX
            + " is not for an RSA 2048 key; only the TCG default RSA EK is supported");
      }
      tools.run("tpm2_createek", "--ek-context=ek.ctx", "--key-algorithm=rsa", "--public=ek.pub");
      tools.run("tpm2_createak", "--ek-context=ek.ctx", "--ak-context=ak.ctx", "--key-algorithm=ecc",
          "--hash-algorithm=sha256", "--signing-algorithm=ecdsa", "--public=ak.pub", "--ak-name=ak.name");
      AkCertificate.CertifiedKey ak;
      try {
        ak = AkCertificate.CertifiedKey.of(withoutSize(read(workDir, "ak.pub")));
      } catch (TpmFormatException e) {
        throw new AttestationException("tpm enroll: the AK tpm2_createak made is unusable: " + e.getMessage());
      }
      if (!Arrays.equals(ak.name(), read(workDir, "ak.name"))) {
        throw new AttestationException("tpm enroll: the TPM's Name of the AK is not the Name of its public area");
      }
      activate(tools, workDir, ekKey, ak.name());
      persist(tools, request);
      X509Certificate akCertificate = issue(request, ak, ek, now);
      write(outDir, akCertificate, ek, request.akHandle());
      return new Result(HexFormat.of().formatHex(ak.name()), Digests.sha256Hex(ek.getEncoded()), ekChain, akCertificate);
    } catch (CertificateException e) {
      throw new AttestationException("tpm enroll: a certificate could not be encoded: " + e.getMessage());
    } finally {
      deleteFolder(workDir);
    }
  }

  /**
   * Reads the enrollment folder ({@code attestation.tpm_enrollment}) and checks that its files
   * belong together: the AK certificate names this EK certificate.
   */
  public static Enrolled load(Path dir) throws AttestationException {
    X509Certificate akCertificate = certificate(dir.resolve(AK_CERTIFICATE));
    X509Certificate ekCertificate = certificate(dir.resolve(EK_CERTIFICATE));
    String handle = new String(readFile(dir.resolve(AK_HANDLE)), StandardCharsets.US_ASCII).strip().toLowerCase(Locale.ROOT);
    if (!PERSISTENT_HANDLE.matcher(handle).matches()) {
      throw new AttestationException("tpm: " + dir.resolve(AK_HANDLE) + " holds \"" + handle + "\", not a persistent handle"
          + " such as " + DEFAULT_AK_HANDLE + ": enroll again with cmcp tpm enroll");
    }
    AkCertificate.Binding binding;
    try {
      binding = AkCertificate.Binding.of(akCertificate);
    } catch (TpmFormatException e) {
      throw new AttestationException("tpm: " + dir.resolve(AK_CERTIFICATE) + ": " + e.getMessage());
    }
    try {
      if (!MessageDigest.isEqual(binding.ekCertificateSha256(), MessageDigest.getInstance("SHA-256").digest(ekCertificate.getEncoded()))) {
        throw new AttestationException("tpm: " + dir.resolve(AK_CERTIFICATE) + " was issued for another EK certificate than "
            + dir.resolve(EK_CERTIFICATE) + ": the enrollment folder is mixed up; enroll again");
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 and X.509 encoding are always there", e);
    }
    return new Enrolled(akCertificate, ekCertificate, handle, binding);
  }

  private static X509Certificate readEkCertificate(Tpm2Tools tools, Path workDir) throws AttestationException {
    try {
      tools.run("tpm2_nvread", RSA_EK_CERTIFICATE_INDEX, "--output=ek.der");
    } catch (AttestationException e) {
      throw new AttestationException("tpm enroll: this TPM has no RSA EK certificate at NV index " + RSA_EK_CERTIFICATE_INDEX
          + " (" + e.getMessage() + "); a software TPM needs swtpm_setup --create-ek-cert");
    }
    return parse(read(workDir, "ek.der"), "the EK certificate at NV index " + RSA_EK_CERTIFICATE_INDEX);
  }

  /**
   * TPM2_ActivateCredential of a credential made here for the AK's Name, authorised by a policy
   * session on the endorsement hierarchy (the EK's policy): the TPM answers with the secret only
   * when it holds the EK whose certificate was read, and the AK of that Name.
   */
  private static void activate(Tpm2Tools tools, Path workDir, RSAPublicKey ek, byte[] akName) throws AttestationException {
    byte[] secret = new byte[SECRET_BYTES];
    SecureRandom random = new SecureRandom();
    random.nextBytes(secret);
    try {
      Files.write(workDir.resolve("credential.bin"), TpmCredential.make(ek, akName, secret, random));
    } catch (GeneralSecurityException | IOException e) {
      throw new AttestationException("tpm enroll: cannot make the credential: " + e.getMessage());
    }
    tools.run("tpm2_startauthsession", "--policy-session", "--session=session.ctx");
    try {
      tools.run("tpm2_policysecret", "--session=session.ctx", "--object-context=e");
      tools.run("tpm2_activatecredential", "--credentialedkey-context=ak.ctx", "--credentialkey-context=ek.ctx",
          "--credential-blob=credential.bin", "--certinfo-data=answer.bin", "--credentialkey-auth=session:session.ctx");
    } catch (AttestationException e) {
      throw new AttestationException("tpm enroll: credential activation failed: the TPM does not hold both the EK of the"
          + " certificate read and the AK (" + e.getMessage() + ")");
    } finally {
      try {
        tools.run("tpm2_flushcontext", "session.ctx");
      } catch (AttestationException e) {
        // Activation ends the session itself; this only mops up after a failure.
      }
    }
    if (!TpmCredential.activated(secret, read(workDir, "answer.bin"))) {
      throw new AttestationException("tpm enroll: the TPM answered the credential with another secret: it is not the TPM"
          + " of the EK certificate read");
    }
  }

  /** Makes the AK persistent at the handle, evicting what is there only when asked to. */
  private static void persist(Tpm2Tools tools, Request request) throws AttestationException {
    boolean occupied;
    try {
      tools.run("tpm2_readpublic", "--object-context=" + request.akHandle(), "--output=existing.pub");
      occupied = true;
    } catch (AttestationException e) {
      occupied = false;
    }
    if (occupied) {
      if (!request.replace()) {
        throw new AttestationException("tpm enroll: the handle " + request.akHandle() + " already holds a key; give --replace"
            + " to evict it (an earlier enrollment's AK: its certificate stops working) or choose another --ak-handle");
      }
      tools.run("tpm2_evictcontrol", "--hierarchy=o", "--object-context=" + request.akHandle());
    }
    tools.run("tpm2_evictcontrol", "--hierarchy=o", "--object-context=ak.ctx", request.akHandle());
  }

  private static X509Certificate issue(Request request, AkCertificate.CertifiedKey ak, X509Certificate ek, Instant now)
      throws AttestationException, CertificateException {
    X509Certificate ca = request.caCertificate();
    byte[] serial = new byte[16];
    new SecureRandom().nextBytes(serial);
    String akName = HexFormat.of().formatHex(ak.name());
    try {
      X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(ca, new BigInteger(1, serial),
          Date.from(now.minusSeconds(60)), Date.from(now.plus(request.validity())),
          new X500Name("CN=TPM attestation key " + akName.substring(4, 20)), ak.key());
      JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
      builder.addExtension(Extension.authorityKeyIdentifier, false, extensions.createAuthorityKeyIdentifier(ca));
      builder.addExtension(Extension.subjectKeyIdentifier, false, extensions.createSubjectKeyIdentifier(ak.key()));
      builder.addExtension(new ASN1ObjectIdentifier(AkCertificate.BINDING_OID), false,
          new AkCertificate.Binding(MessageDigest.getInstance("SHA-256").digest(ek.getEncoded()), ak.name()).toDer());
      X509Certificate certificate = new JcaX509CertificateConverter().getCertificate(
          builder.build(new JcaContentSignerBuilder(signatureAlgorithm(request.caKey())).build(request.caKey())));
      certificate.verify(ca.getPublicKey());
      return certificate;
    } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
      throw new AttestationException("tpm enroll: the enrollment CA could not issue the AK certificate: " + e.getMessage()
          + " (is --ca-key the private key of --ca-cert?)");
    }
  }

  private static String signatureAlgorithm(PrivateKey key) throws AttestationException {
    return switch (key.getAlgorithm()) {
      case "EC", "ECDSA" -> "SHA256withECDSA";
      case "RSA" -> "SHA256withRSA";
      case "Ed25519", "EdDSA" -> "Ed25519";
      default -> throw new AttestationException("tpm enroll: the CA key is " + key.getAlgorithm() + "; use EC, RSA or Ed25519");
    };
  }

  private static void write(Path outDir, X509Certificate akCertificate, X509Certificate ek, String handle)
      throws AttestationException, CertificateException {
    StringWriter pem = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(pem)) {
      writer.writeObject(akCertificate);
    } catch (IOException e) {
      throw new UncheckedIOException("writing to a string does not fail", e);
    }
    try {
      Files.createDirectories(outDir);
      Files.writeString(outDir.resolve(AK_CERTIFICATE), pem.toString(), StandardCharsets.US_ASCII);
      Files.write(outDir.resolve(EK_CERTIFICATE), ek.getEncoded());
      Files.writeString(outDir.resolve(AK_HANDLE), handle + "\n", StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new AttestationException("tpm enroll: cannot write the enrollment to " + outDir + ": " + e.getMessage());
    }
  }

  private static X509Certificate certificate(Path file) throws AttestationException {
    return parse(readFile(file), file.toString());
  }

  private static X509Certificate parse(byte[] bytes, String what) throws AttestationException {
    try {
      return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(bytes));
    } catch (CertificateException | ClassCastException e) {
      throw new AttestationException("tpm: " + what + " is not an X.509 certificate: " + e.getMessage());
    }
  }

  private static byte[] readFile(Path file) throws AttestationException {
    try {
      byte[] bytes = dev.cmcp.verify.base.BoundedRead.read(file, MAX_FILE_BYTES, "an enrollment file");
      if (bytes.length == 0) {
        throw new AttestationException("tpm: " + file + " is empty: enroll again with cmcp tpm enroll");
      }
      return bytes;
    } catch (IOException e) {
      throw new AttestationException("tpm: cannot read " + file + " of the TPM enrollment (" + e.getMessage()
          + "): run cmcp tpm enroll, or correct attestation.tpm_enrollment");
    }
  }

  private static byte[] read(Path workDir, String file) throws AttestationException {
    try {
      return Files.readAllBytes(workDir.resolve(file));
    } catch (IOException e) {
      throw new AttestationException("tpm enroll: the tpm2-tools output " + file + " cannot be read: " + e.getMessage());
    }
  }

  /** A TPM2B_PUBLIC without its size: the TPMT_PUBLIC. */
  static byte[] withoutSize(byte[] tpm2bPublic) throws AttestationException {
    int size = tpm2bPublic.length < 2 ? -1 : ((tpm2bPublic[0] & 0xFF) << 8) | (tpm2bPublic[1] & 0xFF);
    if (size != tpm2bPublic.length - 2) {
      throw new AttestationException("tpm: tpm2-tools wrote a public area of " + tpm2bPublic.length
          + " bytes that is not a TPM2B_PUBLIC");
    }
    return Arrays.copyOfRange(tpm2bPublic, 2, tpm2bPublic.length);
  }

  private static Path privateFolder() throws AttestationException {
    try {
      return Files.createTempDirectory("cmcp-tpm-enroll-", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    } catch (IOException e) {
      throw new AttestationException("tpm enroll: cannot create a private working folder: " + e.getMessage());
    }
  }

  private static void deleteFolder(Path folder) {
    try (Stream<Path> files = Files.list(folder)) {
      for (Path file : files.toList()) {
        Files.deleteIfExists(file);
      }
      Files.deleteIfExists(folder);
    } catch (IOException | UncheckedIOException e) {
      // A temporary folder of public TPM contexts: nothing secret is left behind.
    }
  }
}
