package dev.cmcp.gateway.cli;

import dev.cmcp.gateway.attest.AttestationException;
import dev.cmcp.gateway.attest.tpm.TpmEnrollment;
import dev.cmcp.gateway.attest.tpm.TpmTarget;
import dev.cmcp.verify.base.BoundedRead;
import dev.cmcp.verify.evidence.TrustStore;
import dev.cmcp.verify.evidence.TrustStoreException;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "tpm", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    description = "Work with the gateway host's TPM.", subcommands = TpmCommand.Enroll.class)
final class TpmCommand implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "missing command: enroll");
  }

  @Command(name = "enroll", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
      description = {
          "Tie the TPM's attestation key to the TPM through its endorsement key, once, on the gateway's host:"
              + " check the EK certificate (NV index 0x01c00002) against the manufacturer roots, create an AK,"
              + " prove by credential activation that the AK is in the TPM holding that EK, keep the AK at a"
              + " persistent handle, and have the enrollment CA sign an AK certificate naming the AK and the EK certificate.",
          "Point attestation.tpm_enrollment at --out; verifiers give the CA certificate as --tpm-ak-ca."})
  static final class Enroll implements Callable<Integer> {

    private static final int MAX_PEM_BYTES = 1024 * 1024;

    @Option(names = "--tpm", paramLabel = "DEVICE|HOST:PORT", defaultValue = "/dev/tpmrm0",
        description = "the TPM: /dev/tpmrm0 (default), or swtpm's command port such as 127.0.0.1:2321")
    String tpm;

    @Option(names = "--ek-roots", required = true, paramLabel = "FILE",
        description = "PEM of the TPM manufacturer's root (self-signed) and intermediate certificates")
    Path ekRoots;

    @Option(names = "--ca-cert", required = true, paramLabel = "FILE", description = "PEM of the enrollment CA's certificate")
    Path caCert;

    @Option(names = "--ca-key", required = true, paramLabel = "FILE",
        description = "PEM of the enrollment CA's private key (unencrypted PKCS#8 or traditional)")
    Path caKey;

    @Option(names = "--out", required = true, paramLabel = "DIR",
        description = "where to write ak-certificate.pem, ek-certificate.der and ak-handle")
    Path out;

    @Option(names = "--ak-handle", paramLabel = "0x81xxxxxx", defaultValue = TpmEnrollment.DEFAULT_AK_HANDLE,
        description = "the persistent handle to keep the AK at (default ${DEFAULT-VALUE})")
    String akHandle;

    @Option(names = "--replace", description = "evict the key already at --ak-handle (an earlier enrollment's)")
    boolean replace;

    @Option(names = "--validity-days", paramLabel = "DAYS", defaultValue = "365",
        description = "how long the AK certificate is valid (default ${DEFAULT-VALUE})")
    long validityDays;

    @Override
    public Integer call() {
      TpmEnrollment.Request request;
      try {
        TrustStore roots = TrustStore.parse(ekRoots.toString(), read(ekRoots, "TPM manufacturer roots"));
        TrustStore ca = TrustStore.parse(caCert.toString(), read(caCert, "the enrollment CA's certificate"));
        if (ca.certificates().size() != 1) {
          throw new IllegalArgumentException("--ca-cert " + caCert + " holds " + ca.certificates().size()
              + " certificates; give the enrollment CA's certificate alone");
        }
        X509Certificate caCertificate = ca.certificates().get(0);
        request = new TpmEnrollment.Request(TpmTarget.parse(tpm), roots, caCertificate, privateKey(caKey), akHandle, replace,
            Duration.ofDays(validityDays));
      } catch (IllegalArgumentException | TrustStoreException | IOException e) {
        System.err.println("cmcp tpm enroll: " + e.getMessage());
        return Main.USAGE;
      }
      TpmEnrollment.Result result;
      try {
        result = TpmEnrollment.enroll(request, out, Instant.now());
      } catch (AttestationException e) {
        System.err.println("cmcp " + e.getMessage());
        return Main.INVALID_INPUT;
      }
      System.out.println("EK certificate: sha256 " + result.ekCertificateSha256() + ", chain " + String.join(" <- ", result.ekChain()));
      System.out.println("credential activation: the TPM holding that EK holds AK " + result.akName());
      System.out.println("AK kept at " + request.akHandle() + "; AK certificate " + result.akCertificate().getSubjectX500Principal().getName()
          + " issued by " + result.akCertificate().getIssuerX500Principal().getName() + ", valid until "
          + result.akCertificate().getNotAfter().toInstant());
      System.out.println("wrote " + out.resolve(TpmEnrollment.AK_CERTIFICATE) + ", " + out.resolve(TpmEnrollment.EK_CERTIFICATE)
          + ", " + out.resolve(TpmEnrollment.AK_HANDLE));
      System.out.println("gateway config: attestation.tpm_enrollment: " + out.toAbsolutePath().normalize());
      System.out.println("verifiers: cmcp verify --tpm-ak-ca " + caCert + " --tpm-ek-roots " + ekRoots + " ...");
      return Main.OK;
    }

    private static byte[] read(Path file, String what) throws IOException {
      return BoundedRead.read(file, MAX_PEM_BYTES, what);
    }

    private static PrivateKey privateKey(Path file) throws IOException {
      Object parsed;
      try (PEMParser pem = new PEMParser(new StringReader(new String(read(file, "a PEM private key"), StandardCharsets.US_ASCII)))) {
        parsed = pem.readObject();
      }
      JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
      return switch (parsed) {
        case PEMKeyPair pair -> converter.getPrivateKey(pair.getPrivateKeyInfo());
        case PrivateKeyInfo info -> converter.getPrivateKey(info);
        case PEMEncryptedKeyPair encrypted -> throw new IllegalArgumentException("--ca-key " + file
            + ": the key is encrypted; give it unencrypted for the enrollment (and keep it offline otherwise)");
        case null -> throw new IllegalArgumentException("--ca-key " + file + ": holds no PEM block; give the CA's private key as PEM");
        default -> throw new IllegalArgumentException("--ca-key " + file + ": holds a " + parsed.getClass().getSimpleName()
            + ", not a private key");
      };
    }
  }
}
