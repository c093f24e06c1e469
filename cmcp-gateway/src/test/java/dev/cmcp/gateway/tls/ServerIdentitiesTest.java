package dev.cmcp.gateway.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cmcp.verify.claim.TlsKey;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerIdentitiesTest {

  private static final Instant NOW = Instant.parse("2026-11-25T10:00:00Z");

  @TempDir Path dir;

  private static String pem(Object... objects) throws Exception {
    StringWriter text = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
      for (Object object : objects) {
        // Keys as PKCS#8 ("PRIVATE KEY"), as openssl writes them today.
        writer.writeObject(object instanceof java.security.PrivateKey key ? new JcaPKCS8Generator(key, null) : object);
      }
    }
    return text.toString();
  }

  private Path write(String name, String content) throws Exception {
    return Files.writeString(dir.resolve(name), content);
  }

  @Test
  void aGeneratedKeyIsEcdsaP256WithASelfSignedCertificateNamingLoopbackAndTheHost() throws Exception {
    ServerIdentity identity = ServerIdentities.generate("gw.example.com", NOW);

    ECParameterSpec curve = ((ECPublicKey) identity.leaf().getPublicKey()).getParams();
    assertThat(curve.getCurve().getField().getFieldSize()).isEqualTo(256);
    assertThat(identity.leaf().getSubjectX500Principal()).isEqualTo(identity.leaf().getIssuerX500Principal());
    identity.leaf().verify(identity.leaf().getPublicKey());
    identity.leaf().checkValidity(java.util.Date.from(NOW));
    Collection<List<?>> names = identity.leaf().getSubjectAlternativeNames();
    assertThat(names.stream().map(name -> String.valueOf(name.get(1))).toList()).contains("localhost", "127.0.0.1", "gw.example.com");
    assertThat(identity.spkiSha256()).isEqualTo(TlsKey.spkiSha256(identity.leaf().getPublicKey())).matches("[0-9a-f]{64}");
    assertThat(dir).isEmptyDirectory();
  }

  @Test
  void eachStartMakesANewKey() throws Exception {
    assertThat(ServerIdentities.generate("0.0.0.0", NOW).spkiSha256()).isNotEqualTo(ServerIdentities.generate("0.0.0.0", NOW).spkiSha256());
  }

  @Test
  void filesLoadTheChainAndTheKeyOfItsLeaf() throws Exception {
    ServerIdentity made = ServerIdentities.generate("gw.example.com", NOW);
    Path cert = write("cert.pem", pem(made.leaf()));
    Path key = write("key.pem", pem(made.privateKey()));

    ServerIdentity loaded = ServerIdentities.load(cert, key, NOW);

    assertThat(loaded.spkiSha256()).isEqualTo(made.spkiSha256());
    assertThat(loaded.origin()).contains(cert.toString());
  }

  @Test
  void filesMadeByOpensslLoadInEveryKeyFormatItWrites() throws Exception {
    for (String algorithm : List.of("ec -pkeyopt ec_paramgen_curve:P-256", "rsa:2048")) {
      Path cert = dir.resolve("o-cert.pem");
      Path key = dir.resolve("o-key.pem");
      openssl("req -x509 -newkey " + algorithm + " -nodes -days 2 -subj /CN=gw.example.com -keyout " + key + " -out " + cert);
      Path traditional = dir.resolve("o-trad.pem");
      openssl((algorithm.startsWith("ec") ? "ec" : "rsa -traditional") + " -in " + key + " -out " + traditional);

      String spki = ServerIdentities.load(cert, key, Instant.now()).spkiSha256();

      assertThat(ServerIdentities.load(cert, traditional, Instant.now()).spkiSha256()).isEqualTo(spki);
    }
  }

  private static void openssl(String arguments) throws Exception {
    List<String> command = new java.util.ArrayList<>(List.of("openssl"));
    command.addAll(List.of(arguments.split(" ")));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(process.waitFor()).as(output).isZero();
  }

  @Test
  void aKeyThatIsNotTheCertificatesIsRefusedNamingTheKeyFile() throws Exception {
    Path cert = write("cert.pem", pem(ServerIdentities.generate("a", NOW).leaf()));
    Path key = write("key.pem", pem(ServerIdentities.generate("b", NOW).privateKey()));

    assertThatThrownBy(() -> ServerIdentities.load(cert, key, NOW))
        .isInstanceOf(TlsException.class)
        .hasMessageStartingWith("tls.key_file " + key + ": this key does not belong to the first certificate of tls.cert_file");
  }

  @Test
  void anExpiredCertificateIsRefusedNamingTheCertFile() throws Exception {
    ServerIdentity old = ServerIdentities.generate("a", NOW.minus(Duration.ofDays(800)));
    Path cert = write("cert.pem", pem(old.leaf()));
    Path key = write("key.pem", pem(old.privateKey()));

    assertThatThrownBy(() -> ServerIdentities.load(cert, key, NOW))
        .isInstanceOf(TlsException.class)
        .hasMessageStartingWith("tls.cert_file " + cert + ": the certificate expired on ");
  }

  @Test
  void aCertificateNotYetValidIsRefused() throws Exception {
    ServerIdentity future = ServerIdentities.generate("a", NOW.plus(Duration.ofDays(2)));
    Path cert = write("cert.pem", pem(future.leaf()));
    Path key = write("key.pem", pem(future.privateKey()));

    assertThatThrownBy(() -> ServerIdentities.load(cert, key, NOW))
        .hasMessageContaining("tls.cert_file " + cert + ": the certificate is valid only from");
  }

  @Test
  void missingUnreadableAndWrongFilesAreRefusedNamingTheirKey() throws Exception {
    ServerIdentity made = ServerIdentities.generate("a", NOW);
    Path cert = write("cert.pem", pem(made.leaf()));
    Path key = write("key.pem", pem(made.privateKey()));

    assertThatThrownBy(() -> ServerIdentities.load(dir.resolve("none.pem"), key, NOW))
        .hasMessage("tls.cert_file " + dir.resolve("none.pem") + ": no such file");
    assertThatThrownBy(() -> ServerIdentities.load(cert, dir.resolve("none.pem"), NOW))
        .hasMessage("tls.key_file " + dir.resolve("none.pem") + ": no such file");
    assertThatThrownBy(() -> ServerIdentities.load(key, key, NOW))
        .hasMessageStartingWith("tls.cert_file " + key + ":");
    assertThatThrownBy(() -> ServerIdentities.load(cert, cert, NOW))
        .hasMessageStartingWith("tls.key_file " + cert + ": holds a X509CertificateHolder, not a private key");
    assertThatThrownBy(() -> ServerIdentities.load(cert, write("empty.pem", "nothing here\n"), NOW))
        .hasMessageStartingWith("tls.key_file " + dir.resolve("empty.pem") + ": holds no PEM block");
    if (!"root".equals(System.getProperty("user.name"))) {
      Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("---------"));
      assertThatThrownBy(() -> ServerIdentities.load(cert, key, NOW))
          .hasMessage("tls.key_file " + key + ": cannot read the file (permission denied)");
    }
  }
}
