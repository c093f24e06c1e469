package dev.cmcp.verify.evidence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrustStoreTest {

  static Path snpFixtures() {
    String root = System.getProperty("cmcp.repo.root", ".");
    return Path.of(root).resolve("test-fixtures/snp").normalize();
  }

  static byte[] resource(String name) throws IOException {
    try (InputStream in = TrustStoreTest.class.getResourceAsStream(name)) {
      assertThat(in).as("test resource " + name).isNotNull();
      return in.readAllBytes();
    }
  }

  @Test
  void loadsPemAndDerCertificatesAndCrlsWhateverTheFilesAreCalled(@TempDir Path dir) throws Exception {
    Files.copy(snpFixtures().resolve("ask_ark_milan.pem"), dir.resolve("amd chain"));
    Files.copy(snpFixtures().resolve("vcek.testcer"), dir.resolve("vcek.testcer"));
    Files.write(dir.resolve("revocations"), resource("test-issuer.crl.der"));
    Files.write(dir.resolve("issuer.crl"), resource("test-issuer.crl.pem"));

    TrustStore store = TrustStore.load(dir);

    assertThat(store.certificates()).extracting(c -> c.getSubjectX500Principal().getName())
        .hasSize(3)
        .anyMatch(name -> name.contains("CN=SEV-Milan"))
        .anyMatch(name -> name.contains("CN=ARK-Milan"))
        .anyMatch(name -> name.contains("CN=SEV-VCEK"));
    assertThat(store.crls()).hasSize(2)
        .allMatch(crl -> crl.getIssuerX500Principal().getName().equals("CN=Test CRL Issuer"));
  }

  @Test
  void onePemFileMayHoldCertificatesAndCrlsTogether(@TempDir Path dir) throws Exception {
    String mixed = new String(resource("test-crl-issuer.pem"), StandardCharsets.US_ASCII)
        + new String(resource("test-issuer.crl.pem"), StandardCharsets.US_ASCII);
    Files.writeString(dir.resolve("bundle.pem"), mixed, StandardCharsets.US_ASCII);

    TrustStore store = TrustStore.load(dir);

    assertThat(store.certificates()).hasSize(1);
    assertThat(store.crls()).hasSize(1);
  }

  @Test
  void aFileThatIsNeitherCertificateNorCrlIsAnErrorNamingIt(@TempDir Path dir) throws Exception {
    Files.copy(snpFixtures().resolve("ask_ark_milan.pem"), dir.resolve("ask_ark_milan.pem"));
    Files.copy(snpFixtures().resolve("attestation.bin"), dir.resolve("attestation.bin"));

    assertThatThrownBy(() -> TrustStore.load(dir))
        .isInstanceOf(TrustStoreException.class)
        .hasMessageContaining("attestation.bin")
        .hasMessageContaining("neither an X.509 certificate nor a CRL");
  }

  @Test
  void aPrivateKeyIsRefusedByName(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("key.pem"), "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n");

    assertThatThrownBy(() -> TrustStore.load(dir))
        .isInstanceOf(TrustStoreException.class)
        .hasMessageContaining("key.pem")
        .hasMessageContaining("PRIVATE KEY is neither a certificate nor a CRL");
  }

  @Test
  void bytesAfterADerCertificateAreRefused(@TempDir Path dir) throws Exception {
    byte[] der = Files.readAllBytes(snpFixtures().resolve("vcek.testcer"));
    Files.write(dir.resolve("vcek.der"), Arrays.copyOf(der, der.length + 1));

    assertThatThrownBy(() -> TrustStore.load(dir))
        .isInstanceOf(TrustStoreException.class)
        .hasMessageContaining("vcek.der");
  }

  @Test
  void aMissingFolderIsNamed(@TempDir Path dir) {
    assertThatThrownBy(() -> TrustStore.load(dir.resolve("nope")))
        .isInstanceOf(TrustStoreException.class)
        .hasMessageContaining("nope")
        .hasMessageContaining("not found");
  }

  @Test
  void subFoldersAndDotFilesAreNotRead(@TempDir Path dir) throws Exception {
    Files.copy(snpFixtures().resolve("vcek.testcer"), dir.resolve("vcek.der"));
    Files.writeString(dir.resolve(".DS_Store"), "not a certificate");
    Files.createDirectory(dir.resolve("old"));
    Files.writeString(dir.resolve("old").resolve("junk.txt"), "not a certificate");

    TrustStore store = TrustStore.load(dir);

    assertThat(store.certificates()).extracting(X509Certificate::getSerialNumber).hasSize(1);
  }

  @Test
  void jsonCollateralIsKeptByteForByteAndPlainTextLeftAlone(@TempDir Path dir) throws Exception {
    byte[] tcbInfo = "{\"tcbInfo\":{\"version\":3},  \"signature\":\"00\"}".getBytes(StandardCharsets.UTF_8);
    Files.write(dir.resolve("tcb_info"), tcbInfo);
    Files.writeString(dir.resolve("README.md"), "AMD and Intel roots for the audit of 2026-11\n");
    Files.copy(snpFixtures().resolve("LICENSE-go-sev-guest"), dir.resolve("LICENSE"));

    TrustStore store = TrustStore.load(dir);

    assertThat(store.certificates()).isEmpty();
    assertThat(store.documents()).hasSize(1);
    assertThat(store.documents().get(0).source()).isEqualTo("tcb_info");
    assertThat(store.documents().get(0).json()).isEqualTo(tcbInfo);
  }

  @Test
  void malformedJsonIsRefusedByName(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("qe.json"), "{\"enclaveIdentity\":{},\"enclaveIdentity\":{}}");

    assertThatThrownBy(() -> TrustStore.load(dir))
        .isInstanceOf(TrustStoreException.class)
        .hasMessageContaining("qe.json: not valid JSON");
  }

  @Test
  void derWrittenAsHexTextIsRead(@TempDir Path dir) throws Exception {
    byte[] der = Files.readAllBytes(snpFixtures().resolve("vcek.testcer"));
    Files.writeString(dir.resolve("vcek.hex"), HexFormat.of().formatHex(der) + "\n");

    assertThat(TrustStore.load(dir).certificates()).hasSize(1);
  }

  @Test
  void aBinaryFileWithPemInsideIsRefusedNotMinedForCertificates(@TempDir Path dir) throws Exception {
    byte[] pem = Files.readAllBytes(snpFixtures().resolve("ask_ark_milan.pem"));
    byte[] quoteLike = new byte[64 + pem.length];
    quoteLike[0] = 4; // a binary header, as a TDX quote has before its PEM certificate chain
    System.arraycopy(pem, 0, quoteLike, 64, pem.length);
    Files.write(dir.resolve("quote.dat"), quoteLike);

    assertThatThrownBy(() -> TrustStore.load(dir))
        .isInstanceOf(TrustStoreException.class)
        .hasMessageContaining("quote.dat")
        .hasMessageContaining("neither an X.509 certificate nor a CRL");
  }

  @Test
  void anEmptyFileIsRefusedByName(@TempDir Path dir) throws Exception {
    Files.write(dir.resolve("vcek.der"), new byte[0]);

    assertThatThrownBy(() -> TrustStore.load(dir))
        .isInstanceOf(TrustStoreException.class)
        .hasMessageContaining("vcek.der: empty file");
  }

  @Test
  void anEmptyFolderGivesAnEmptyStore(@TempDir Path dir) throws Exception {
    assertThat(TrustStore.load(dir)).isEqualTo(TrustStore.empty());
  }
}
