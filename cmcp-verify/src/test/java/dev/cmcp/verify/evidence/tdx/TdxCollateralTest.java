package dev.cmcp.verify.evidence.tdx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cmcp.verify.base.CheckStatus;
import dev.cmcp.verify.evidence.TrustStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TdxCollateralTest {

  @TempDir Path dir;

  @Test
  void readsTheFixtureCollateralAndLeavesTheLicenceAlone() throws Exception {
    try (Stream<Path> files = Files.list(TdxFixtures.DIR)) {
      for (Path file : files.filter(f -> !f.getFileName().toString().endsWith(".dat")).toList()) {
        Files.copy(file, dir.resolve(file.getFileName()));
      }
    }

    TdxCollateral collateral = TdxCollateral.load(dir);

    assertThat(collateral.certificates()).hasSize(1);
    assertThat(CertificatePaths.commonName(collateral.certificates().get(0))).isEqualTo("Intel SGX Root CA");
    assertThat(collateral.crls()).hasSize(2);
    assertThat(collateral.tcbInfo()).map(TrustStore.Document::source).contains("sample_tcbInfo_response");
    assertThat(collateral.qeIdentity()).map(TrustStore.Document::source).contains("sample_qeIdentity_response");
  }

  @Test
  void aQuoteInTheCertsFolderIsRefusedByNameAndItsRootNeverTrusted() throws Exception {
    // The quote carries a root certificate of its own: it must not become a trust anchor.
    Files.copy(TdxFixtures.DIR.resolve("trusted_root.pem"), dir.resolve("trusted_root.pem"));
    Files.copy(TdxFixtures.DIR.resolve("tdx_prod_quote_SPR_E4.dat"), dir.resolve("quote.dat"));

    assertThatThrownBy(() -> TdxCollateral.load(dir)).isInstanceOf(TdxException.class)
        .hasMessageContaining("quote.dat").hasMessageContaining("neither an X.509 certificate nor a CRL");
  }

  @Test
  void readsCrlsAsPemOrHexAndCertificatesAsDer() throws Exception {
    byte[] rootCrl = TdxFixtures.read(TdxFixtures.DIR.resolve("rootcrl.der"));
    String pemCrl = "-----BEGIN X509 CRL-----\n" + Base64.getMimeEncoder().encodeToString(rootCrl) + "\n-----END X509 CRL-----\n";
    Files.writeString(dir.resolve("root.crl.pem"), pemCrl);
    Files.writeString(dir.resolve("pck.crl.hex"), HexFormat.of().formatHex(TdxFixtures.read(TdxFixtures.DIR.resolve("pckcrl"))) + "\n");
    String rootPem = Files.readString(TdxFixtures.DIR.resolve("trusted_root.pem"));
    byte[] rootDer = Base64.getMimeDecoder().decode(rootPem.replaceAll("-----[A-Z ]+-----", ""));
    Files.write(dir.resolve("root.der"), rootDer);

    TdxCollateral collateral = TdxCollateral.load(dir);

    assertThat(collateral.certificates()).hasSize(1);
    assertThat(collateral.crls()).hasSize(2);
    TdxVerification report = TdxVerifier.verify(TdxFixtures.quote(), collateral, Optional.empty(), TdxFixtures.NOW, TdxPolicy.defaults());
    assertThat(report.report().check(TdxCheck.PCK_REVOCATION).status()).isEqualTo(CheckStatus.PASS);
  }

  @Test
  void twoTcbInfoFilesAreRefused() throws Exception {
    Files.copy(TdxFixtures.DIR.resolve("sample_tcbInfo_response"), dir.resolve("a.json"));
    Files.copy(TdxFixtures.DIR.resolve("sample_tcbInfo_response"), dir.resolve("b.json"));

    assertThatThrownBy(() -> TdxCollateral.load(dir)).isInstanceOf(TdxException.class).hasMessageContaining("a.json, b.json");
  }

  @Test
  void collateralWithDuplicateKeysIsRefused() throws Exception {
    Files.writeString(dir.resolve("tcb.json"), "{\"tcbInfo\":{},\"tcbInfo\":{},\"signature\":\"00\"}");

    assertThatThrownBy(() -> TdxCollateral.load(dir)).isInstanceOf(TdxException.class).hasMessageContaining("tcb.json");
  }

  @Test
  void derThatIsNeitherCertificateNorCrlIsRefusedByName() throws Exception {
    Files.write(dir.resolve("broken.der"), new byte[] {0x30, 0x03, 0x02, 0x01, 0x00});

    assertThatThrownBy(() -> TdxCollateral.load(dir)).isInstanceOf(TdxException.class)
        .hasMessageContaining("broken.der").hasMessageContaining("neither");
  }

  @Test
  void aMissingFolderIsRefused() {
    assertThatThrownBy(() -> TdxCollateral.load(dir.resolve("nope"))).isInstanceOf(TdxException.class).hasMessageContaining("not found");
  }

  @Test
  void unrelatedTextFilesAreLeftAlone() throws Exception {
    Files.writeString(dir.resolve("README.md"), "certificates for the TDX check", StandardCharsets.UTF_8);

    assertThat(TdxCollateral.load(dir).certificates()).isEmpty();
  }

  @Test
  void thePckCertificateNamesItsPlatform() throws Exception {
    byte[] quote = TdxFixtures.quote();
    String pem = new String(quote, TdxFixtures.PCK_CHAIN_PEM, TdxFixtures.SIGNATURE_DATA_END - TdxFixtures.PCK_CHAIN_PEM, StandardCharsets.US_ASCII);
    Files.writeString(dir.resolve("chain.pem"), pem);
    X509Certificate pck = TdxCollateral.load(dir).certificates().get(0);

    PckExtensions extensions = PckExtensions.of(pck);

    assertThat(extensions.fmspc()).isEqualTo("50806f000000");
    assertThat(extensions.pceId()).isEqualTo("0000");
    assertThat(extensions.pceSvn()).isEqualTo(11);
    assertThat(extensions.cpuSvnComponents()).containsExactly(3, 3, 2, 2, 2, 1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0);
  }
}
