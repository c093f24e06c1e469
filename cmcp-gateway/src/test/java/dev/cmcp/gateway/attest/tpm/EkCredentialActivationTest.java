package dev.cmcp.gateway.attest.tpm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.cmcp.verify.evidence.TrustStore;
import dev.cmcp.verify.evidence.tpm.EkCertificate;
import dev.cmcp.verify.evidence.tpm.TpmCredential;
import dev.cmcp.verify.evidence.tpm.TpmFormatException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPublicKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The attestation key tied to a TPM by its endorsement key, against swtpm: {@code swtpm_setup}
 * makes the TPM's EK certificates with a local CA (its own root and issuer), the EK certificate
 * is read from the TPM's NV index, and credential activation made by the verifier in Java
 * ({@link TpmCredential}) is answered by the TPM through {@code tpm2_activatecredential}.
 */
class EkCredentialActivationTest {

  /** Where swtpm_setup stores the RSA 2048 EK certificate and keeps the EK. */
  private static final String EK_CERT_NV_INDEX = "0x1c00002";
  private static final String EK_HANDLE = "0x81010001";

  @TempDir static Path dir;
  private static Swtpm swtpm;
  private static String tcti;
  private static X509Certificate ekCertificate;
  private static byte[] akName;

  @BeforeAll
  static void manufactureATpmWithEkCertificates() throws Exception {
    assumeTrue(List.of("swtpm", "swtpm_setup", "swtpm_localca", "tpm2_nvread", "tpm2_createak", "tpm2_activatecredential",
        "tpm2_startauthsession", "tpm2_policysecret").stream().allMatch(EkCredentialActivationTest::onPath), Swtpm.NOT_INSTALLED);
    Path ca = Files.createDirectories(dir.resolve("ca"));
    Path state = Files.createDirectories(dir.resolve("state"));
    Path localCa = Files.writeString(dir.resolve("localca.conf"), "statedir = " + ca + "\nsigningkey = " + ca.resolve("signkey.pem")
        + "\nissuercert = " + ca.resolve("issuercert.pem") + "\ncertserial = " + ca.resolve("certserial") + "\n");
    Path options = Files.writeString(dir.resolve("localca.options"), "--platform-manufacturer cmcp\n--platform-version 1\n"
        + "--platform-model test\n");
    Path setup = Files.writeString(dir.resolve("setup.conf"), "create_certs_tool = /usr/bin/swtpm_localca\n"
        + "create_certs_tool_config = " + localCa + "\ncreate_certs_tool_options = " + options + "\nactive_pcr_banks = sha256\n");
    run(List.of("swtpm_setup", "--tpm2", "--tpmstate", state.toString(), "--create-ek-cert", "--config", setup.toString(),
        "--overwrite"), false);

    swtpm = Swtpm.start(state);
    tcti = swtpm.target().tcti();
    Path ekDer = dir.resolve("ek.der");
    run(List.of("tpm2_nvread", EK_CERT_NV_INDEX, "-o", ekDer.toString()), false);
    ekCertificate = (X509Certificate) CertificateFactory.getInstance("X.509")
        .generateCertificate(new ByteArrayInputStream(Files.readAllBytes(ekDer)));
    run(List.of("tpm2_createak", "-C", EK_HANDLE, "-c", dir.resolve("ak.ctx").toString(), "-G", "ecc", "-g", "sha256",
        "-s", "ecdsa", "-u", dir.resolve("ak.pub").toString(), "-n", dir.resolve("ak.name").toString()), false);
    akName = Files.readAllBytes(dir.resolve("ak.name"));
  }

  @AfterAll
  static void stop() {
    if (swtpm != null) {
      swtpm.close();
    }
  }

  @Test
  void theEkCertificateChainsToTheManufacturersRootAndNotToAnother() throws Exception {
    Path ca = dir.resolve("ca");
    Path roots = Files.createDirectories(dir.resolve("roots"));
    Files.copy(ca.resolve("swtpm-localca-rootca-cert.pem"), roots.resolve("root.pem"));
    Files.copy(ca.resolve("issuercert.pem"), roots.resolve("issuer.pem"));
    Path otherRoots = Files.createDirectories(dir.resolve("other-roots"));
    Files.copy(Path.of(System.getProperty("cmcp.repo.root")).resolve("test-fixtures/tdx/trusted_root.pem"),
        otherRoots.resolve("intel.pem"));

    List<String> chain = EkCertificate.chain(ekCertificate, TrustStore.load(roots), Instant.now());

    assertThat(chain).hasSize(3);
    assertThat(chain.get(1)).contains("swtpm-localca");
    assertThatThrownBy(() -> EkCertificate.chain(ekCertificate, TrustStore.load(otherRoots), Instant.now()))
        .isInstanceOf(TpmFormatException.class).hasMessageContaining("does not chain to the given manufacturer root");
  }

  @Test
  void theTpmHoldingTheEkUnwrapsACredentialMadeForItsAttestationKey() throws Exception {
    byte[] secret = new byte[32];
    new SecureRandom().nextBytes(secret);
    Path credential = Files.write(dir.resolve("credential.bin"),
        TpmCredential.make((RSAPublicKey) ekCertificate.getPublicKey(), akName, secret, new SecureRandom()));

    byte[] answer = activate(credential, "answer.bin");

    assertThat(TpmCredential.activated(secret, answer)).isTrue();
  }

  @Test
  void aCredentialMadeForAnotherKeyNameIsRefusedByTheTpm() throws Exception {
    byte[] otherName = akName.clone();
    otherName[otherName.length - 1] ^= 1;
    Path credential = Files.write(dir.resolve("other-credential.bin"), TpmCredential.make(
        (RSAPublicKey) ekCertificate.getPublicKey(), otherName, "not for this key".getBytes(StandardCharsets.US_ASCII),
        new SecureRandom()));

    assertThatThrownBy(() -> activate(credential, "other-answer.bin")).isInstanceOf(IOException.class)
        .hasMessageContaining("tpm2_activatecredential");
  }

  /** TPM2_ActivateCredential with the AK and the EK, authorised by a policy session on the endorsement hierarchy. */
  private static byte[] activate(Path credential, String answerFile) throws Exception {
    Path session = dir.resolve(answerFile + ".session");
    run(List.of("tpm2_startauthsession", "--policy-session", "-S", session.toString()), false);
    try {
      run(List.of("tpm2_policysecret", "-S", session.toString(), "-c", "e"), false);
      run(List.of("tpm2_activatecredential", "-c", dir.resolve("ak.ctx").toString(), "-C", EK_HANDLE, "-i", credential.toString(),
          "-o", dir.resolve(answerFile).toString(), "-P", "session:" + session), false);
    } finally {
      run(List.of("tpm2_flushcontext", session.toString()), true);
    }
    return Files.readAllBytes(dir.resolve(answerFile));
  }

  private static int run(List<String> command, boolean mayFail) throws IOException, InterruptedException {
    ProcessBuilder builder = new ProcessBuilder(new ArrayList<>(command)).directory(dir.toFile()).redirectErrorStream(true);
    if (tcti != null) {
      builder.environment().put("TPM2TOOLS_TCTI", tcti);
    }
    Process process = builder.start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new IOException(command.get(0) + " did not finish");
    }
    if (process.exitValue() != 0 && !mayFail) {
      throw new IOException(command.get(0) + " failed (exit " + process.exitValue() + "): " + output);
    }
    return process.exitValue();
  }

  private static boolean onPath(String program) {
    for (String directory : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (Files.isExecutable(Path.of(directory, program))) {
        return true;
      }
    }
    return false;
  }
}
