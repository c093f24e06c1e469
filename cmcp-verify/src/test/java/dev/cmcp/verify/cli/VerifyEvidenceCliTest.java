package dev.cmcp.verify.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cmcp.verify.collateral.CollateralFetcher;
import dev.cmcp.verify.evidence.tpm.TestPki;
import dev.cmcp.verify.evidence.tpm.TpmEvidence;
import dev.cmcp.verify.evidence.tpm.TpmFixtures;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VerifyEvidenceCliTest {

  static final Path FIXTURES = Path.of(System.getProperty("cmcp.repo.root")).resolve("test-fixtures").normalize();
  static final Path SNP_REPORT = FIXTURES.resolve("snp/attestation.bin");
  static final Path TDX_QUOTE = FIXTURES.resolve("tdx/tdx_prod_quote_SPR_E4.dat");
  static final Instant SNP_NOW = Instant.parse("2025-01-01T00:00:00Z");
  static final Instant TDX_NOW = Instant.parse("2023-06-20T00:00:00Z");
  static final String SNP_REPORT_DATA = "0102030405" + "0".repeat(118);
  static final String SNP_MEASUREMENT =
      "b07af9620f3b839b47996422ddec6058338951d984e312115131ea82705eaf5b6bdf8a9ece31a5a608eb0cf2e4872b01";

  /** The binding quote-ecc.json was made over, and its PCR digest. */
  static final String TPM_BINDING = HexFormat.of().formatHex(TpmFixtures.binding());
  static final String TPM_PCR_DIGEST = "51c424c46ccd8f6328410351c9b033c5f6eb2c5966741ac8f461f873e1c6e1cc";
  static final Instant TPM_NOW = Instant.parse("2026-11-26T00:00:00Z");

  @TempDir Path certs;
  @TempDir Path quotes;

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String platform, Path evidence, Optional<String> reportData, Optional<String> measurement,
      Instant now, boolean json) {
    VerifyEvidenceCli.Arguments arguments =
        new VerifyEvidenceCli.Arguments(platform, evidence, certs, reportData, measurement, Optional.of(now), json);
    return VerifyEvidenceCli.run(arguments, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private int snp(Optional<String> reportData, Optional<String> measurement) {
    return run("sev-snp", SNP_REPORT, reportData, measurement, SNP_NOW, false);
  }

  private void milanCerts() throws IOException {
    Files.copy(FIXTURES.resolve("snp/ask_ark_milan.pem"), certs.resolve("ask_ark_milan.pem"));
    Files.copy(FIXTURES.resolve("snp/vcek.testcer"), certs.resolve("vcek.testcer"));
  }

  private String out() {
    return out.toString(StandardCharsets.UTF_8);
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void theSnpFixtureWithItsReportDataFailsOnlyItsDebugPolicy() throws IOException {
    milanCerts();

    int exit = snp(Optional.of(SNP_REPORT_DATA), Optional.empty());

    assertThat(exit).as(out() + err()).isEqualTo(VerifyCli.FAILED);
    assertThat(out()).contains("PASS vcek_signature", "PASS vcek_chain", "PASS vcek_tcb", "PASS vcek_chip_id",
        "PASS report_data", "FAIL policy_debug ");
    assertThat(out().lines().filter(line -> line.startsWith("FAIL"))).hasSize(1);
    assertThat(out()).contains("  measurement:         " + SNP_MEASUREMENT).endsWith("result: unverified\n");
    assertThat(out()).contains("NOT GIVEN --expected-measurement: the measurement was not compared").doesNotContain("NOT GIVEN --report-data");
  }

  private int withTcbOptions(String platform, Path evidence, Optional<String> minTcb, Optional<String> statuses, Instant now) {
    VerifyEvidenceCli.Arguments arguments = new VerifyEvidenceCli.Arguments(platform, evidence, certs, Optional.empty(),
        Optional.empty(), Optional.of(now), false, minTcb, statuses);
    return VerifyEvidenceCli.run(arguments, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @Test
  void theMinimumTcbIsComparedWithReportedTcb() throws IOException {
    milanCerts();

    withTcbOptions("sev-snp", SNP_REPORT, Optional.of("bootloader=2,tee=0,snp=5,microcode=68"), Optional.empty(), SNP_NOW);
    assertThat(out()).contains("PASS minimum_tcb ");
    out.reset();
    withTcbOptions("sev-snp", SNP_REPORT, Optional.of("bl=2,tee=0,snp=6,ucode=68"), Optional.empty(), SNP_NOW);
    assertThat(out()).contains("FAIL minimum_tcb ").contains("below the minimum");
  }

  @Test
  void aMalformedMinimumTcbOrTcbStatusIsAUsageError() {
    assertThat(withTcbOptions("sev-snp", SNP_REPORT, Optional.of("snp=5"), Optional.empty(), SNP_NOW)).isEqualTo(VerifyCli.USAGE);
    assertThat(withTcbOptions("tdx", SNP_REPORT, Optional.empty(), Optional.of("Revoked"), SNP_NOW)).isEqualTo(VerifyCli.USAGE);
    assertThat(withTcbOptions("tdx", SNP_REPORT, Optional.empty(), Optional.of("Fine"), SNP_NOW)).isEqualTo(VerifyCli.USAGE);
    assertThat(err()).contains("bootloader missing").contains("a Revoked TCB is never accepted")
        .contains("TCB status \"Fine\" is not one of Intel's");
  }

  @Test
  void anEndlessEvidenceFileFailsFastAtTheLimit() throws IOException {
    milanCerts();

    // /dev/zero has size 0 and never ends: the limit holds on what is read.
    assertThat(run("sev-snp", Path.of("/dev/zero"), Optional.empty(), Optional.empty(), SNP_NOW, false)).isEqualTo(VerifyCli.FAILED);
    assertThat(err()).contains("/dev/zero holds more than " + VerifyEvidenceCli.MAX_EVIDENCE_BYTES + " bytes");
    assertThat(out()).isEmpty();
  }

  @Test
  void anotherReportDataFailsTheReportDataCheck() throws IOException {
    milanCerts();

    assertThat(snp(Optional.of("ff" + "0".repeat(126)), Optional.empty())).isEqualTo(VerifyCli.FAILED);
    assertThat(out()).contains("FAIL report_data ");
  }

  @Test
  void theExpectedMeasurementIsCheckedWhenGiven() throws IOException {
    milanCerts();

    snp(Optional.empty(), Optional.of(SNP_MEASUREMENT.toUpperCase()));
    assertThat(out()).contains("PASS measurement ").contains("SKIP report_data ");

    out.reset();
    snp(Optional.empty(), Optional.of("00".repeat(48)));
    assertThat(out()).contains("FAIL measurement ");
  }

  @Test
  void theTdxFixtureWithTheRootAloneIsPartiallyVerifiedAndSaysHowToSupplyTheCollateral() throws IOException {
    Files.copy(FIXTURES.resolve("tdx/trusted_root.pem"), certs.resolve("trusted_root.pem"));

    int exit = run("tdx", TDX_QUOTE, Optional.empty(), Optional.empty(), TDX_NOW, false);

    // Genuine, but without Intel's CRLs, TCB info and QE identity a revoked or out-of-date platform looks the same.
    assertThat(exit).as(out() + err()).isEqualTo(VerifyCli.PARTIAL);
    assertThat(out()).contains("PASS quote_signature", "PASS pck_chain", "SKIP pck_revocation", "SKIP tcb_info",
            "SKIP tcb_level", "SKIP qe_identity", "--fetch-collateral", "--certs folder")
        .contains("  mrtd:").endsWith("result: partially_verified\n");
  }

  @Test
  void theTdxFixtureWithItsCrlsButNoTcbInfoIsStillPartiallyVerified() throws IOException {
    for (String file : List.of("trusted_root.pem", "pckcrl", "rootcrl.der")) {
      Files.copy(FIXTURES.resolve("tdx").resolve(file), certs.resolve(file));
    }

    int exit = run("tdx", TDX_QUOTE, Optional.empty(), Optional.empty(), TDX_NOW, false);

    assertThat(exit).as(out() + err()).isEqualTo(VerifyCli.PARTIAL);
    assertThat(out()).contains("PASS pck_revocation", "SKIP tcb_info", "SKIP qe_identity")
        .endsWith("result: partially_verified\n");
  }

  @Test
  void aTimeAfterThePckCertificateExpiredFailsTheTdxFixture() throws IOException {
    Files.copy(FIXTURES.resolve("tdx/trusted_root.pem"), certs.resolve("trusted_root.pem"));

    int exit = run("tdx", TDX_QUOTE, Optional.empty(), Optional.empty(), Instant.parse("2030-01-01T00:00:00Z"), false);

    assertThat(exit).isEqualTo(VerifyCli.FAILED);
    assertThat(out()).contains("FAIL pck_chain ");
  }

  @Test
  void jsonOutputNamesEveryCheckAndTheFields() throws IOException {
    milanCerts();

    int exit = run("sev-snp", SNP_REPORT, Optional.of(SNP_REPORT_DATA), Optional.empty(), SNP_NOW, true);

    JsonNode report = new ObjectMapper().readTree(out());
    assertThat(exit).isEqualTo(VerifyCli.FAILED);
    assertThat(report.get("platform").asText()).isEqualTo("sev-snp");
    assertThat(report.get("exit_code").asInt()).isEqualTo(1);
    assertThat(report.get("checks")).extracting(c -> c.get("name").asText() + "=" + c.get("status").asText())
        .contains("vcek_chain=pass", "report_data=pass", "policy_debug=fail");
    assertThat(report.at("/fields/measurement").asText()).isEqualTo(SNP_MEASUREMENT);
  }

  @Test
  void malformedReportDataIsAUsageError() throws IOException {
    milanCerts();

    assertThat(snp(Optional.of("zz" + "0".repeat(126)), Optional.empty())).isEqualTo(VerifyCli.USAGE);
    assertThat(err()).contains("--report-data must be 128 hex digits");
    assertThat(snp(Optional.of("0102030405"), Optional.empty())).isEqualTo(VerifyCli.USAGE);
    assertThat(out()).isEmpty();
  }

  @Test
  void aMalformedMeasurementIsAUsageError() throws IOException {
    milanCerts();

    assertThat(snp(Optional.empty(), Optional.of("abc"))).isEqualTo(VerifyCli.USAGE);
    assertThat(err()).contains("96 hex digits");
  }

  @Test
  void anUnknownPlatformIsAUsageError() {
    assertThat(run("sgx", SNP_REPORT, Optional.empty(), Optional.empty(), SNP_NOW, false)).isEqualTo(VerifyCli.USAGE);
    assertThat(err()).contains("unknown platform \"sgx\"; expected sev-snp, tdx or tpm");
  }

  @Test
  void aMissingCertsFolderIsAUsageError() throws IOException {
    Files.delete(certs);

    assertThat(snp(Optional.empty(), Optional.empty())).isEqualTo(VerifyCli.USAGE);
    assertThat(err()).contains("not found");
  }

  @Test
  void evidenceInsideTheCertsFolderIsAUsageErrorNamingIt() throws IOException {
    milanCerts();
    Path report = Files.copy(SNP_REPORT, certs.resolve("attestation.bin"));

    assertThat(run("sev-snp", report, Optional.empty(), Optional.empty(), SNP_NOW, false)).isEqualTo(VerifyCli.USAGE);
    assertThat(err()).contains("attestation.bin").contains("remove it from the certificates folder");
  }

  // ---- TPM: verified (exit 0) only for an enrolled AK checked with both anchors

  private Path tpmQuote() throws IOException {
    return Files.write(quotes.resolve("quote.json"), TpmFixtures.json(TpmFixtures.ECC));
  }

  private int tpm(Path quote, Optional<String> reportData, Optional<String> measurement, boolean json) {
    return run("tpm", quote, reportData, measurement, TPM_NOW, json);
  }

  @Test
  void aTpmQuoteThatHoldsUpIsPartiallyVerifiedAndExitsThree() throws IOException {
    int exit = tpm(tpmQuote(), Optional.of(TPM_BINDING), Optional.of(TPM_PCR_DIGEST.toUpperCase()), false);

    assertThat(exit).as(out() + err()).isEqualTo(VerifyCli.PARTIAL);
    assertThat(out()).contains("PASS ak_signature", "PASS qualifying_data", "PASS pcr_digest", "PASS measurement",
        "SKIP ak_trust         AK not certified: no EK certificate chain").doesNotContain("FAIL")
        .contains("  pcr_digest:          " + TPM_PCR_DIGEST).endsWith("result: partially_verified\n");
  }

  @Test
  void anEnrolledAksQuoteWithBothAnchorsIsVerifiedAndExitsZero() throws Exception {
    TestPki.Ca enrollmentCa = TestPki.Ca.root("CN=enrollment CA");
    TestPki.Ca manufacturer = TestPki.Ca.root("CN=TPM manufacturer");
    TpmEvidence enrolled = TestPki.enroll(TpmFixtures.evidence(TpmFixtures.ECC), enrollmentCa, manufacturer.ekCertificate());
    Path quote = Files.write(quotes.resolve("enrolled.json"), enrolled.toJson());
    Path akCa = Files.writeString(quotes.resolve("ak-ca.pem"), pem(enrollmentCa.certificate()));
    Path ekRoots = Files.writeString(quotes.resolve("ek-roots.pem"), pem(manufacturer.certificate()));

    int exit = VerifyEvidenceCli.run(new VerifyEvidenceCli.Arguments("tpm", quote, Optional.of(certs), Optional.of(TPM_BINDING),
        Optional.of(TPM_PCR_DIGEST), Optional.of(TPM_NOW), false, Optional.empty(), Optional.empty(), CollateralFetcher.offline(),
        Optional.of(akCa), Optional.of(ekRoots)), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    int oneAnchor = VerifyEvidenceCli.run(new VerifyEvidenceCli.Arguments("tpm", quote, Optional.of(certs), Optional.of(TPM_BINDING),
        Optional.of(TPM_PCR_DIGEST), Optional.of(TPM_NOW), false, Optional.empty(), Optional.empty(), CollateralFetcher.offline(),
        Optional.of(akCa), Optional.empty()), new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));

    assertThat(exit).as(out() + err()).isEqualTo(VerifyCli.OK);
    assertThat(out()).contains("PASS ak_trust         AK certified by enrollment CA CN=enrollment CA").doesNotContain("FAIL")
        .endsWith("result: verified\n");
    assertThat(oneAnchor).isEqualTo(VerifyCli.USAGE);
    assertThat(err()).contains("give --tpm-ak-ca and --tpm-ek-roots together");
  }

  private static String pem(java.security.cert.X509Certificate certificate) throws Exception {
    return "-----BEGIN CERTIFICATE-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(certificate.getEncoded())
        + "\n-----END CERTIFICATE-----\n";
  }

  @Test
  void aTpmQuoteOverOtherQualifyingDataOrMeasurementFailsByName() throws IOException {
    Path quote = tpmQuote();

    assertThat(tpm(quote, Optional.of("ff".repeat(64)), Optional.empty(), false)).isEqualTo(VerifyCli.FAILED);
    assertThat(out()).contains("FAIL qualifying_data ").endsWith("result: unverified\n");
    out.reset();
    assertThat(tpm(quote, Optional.empty(), Optional.of("00".repeat(32)), false)).isEqualTo(VerifyCli.FAILED);
    assertThat(out()).contains("SKIP qualifying_data ").contains("FAIL measurement ");
  }

  @Test
  void theTpmEvidenceIsAlsoReadAsTheBase64urlAClaimCarries() throws IOException {
    String base64url = Base64.getUrlEncoder().withoutPadding().encodeToString(TpmFixtures.json(TpmFixtures.ECC));
    Path quote = Files.writeString(quotes.resolve("evidence.txt"), base64url + "\n");

    int exit = tpm(quote, Optional.of(TPM_BINDING), Optional.empty(), true);

    JsonNode report = new ObjectMapper().readTree(out());
    assertThat(exit).isEqualTo(VerifyCli.PARTIAL);
    assertThat(report.get("platform").asText()).isEqualTo("tpm");
    assertThat(report.get("result").asText()).isEqualTo("partially_verified");
    assertThat(report.get("exit_code").asInt()).isEqualTo(VerifyCli.PARTIAL);
    assertThat(report.get("not_given").get(0).asText()).startsWith("--expected-measurement");
    assertThat(report.at("/fields/pcr_digest").asText()).isEqualTo(TPM_PCR_DIGEST);
  }

  @Test
  void aFileThatIsNoTpmEvidenceFailsAttestFormat() throws IOException {
    assertThat(tpm(SNP_REPORT, Optional.empty(), Optional.empty(), false)).isEqualTo(VerifyCli.FAILED);
    assertThat(out()).contains("FAIL attest_format    evidence: not JSON").endsWith("result: unverified\n");
  }

  @Test
  void aTpmMeasurementThatIsNoDigestIsAUsageError() throws IOException {
    assertThat(tpm(tpmQuote(), Optional.empty(), Optional.of("ab".repeat(48 + 1)), false)).isEqualTo(VerifyCli.USAGE);
    assertThat(err()).contains("PCR digest: 64, 96 or 128 hex digits");
    assertThat(out()).isEmpty();
  }

  @Test
  void aMissingEvidenceFileFailsWithItsName() {
    assertThat(run("tdx", certs.resolve("quote.dat"), Optional.empty(), Optional.empty(), TDX_NOW, false))
        .isEqualTo(VerifyCli.FAILED);
    assertThat(err()).contains("evidence file").contains("quote.dat not found");
  }
}
