package dev.cmcp.verify.claim;

import static dev.cmcp.verify.claim.CheckName.AUDIT_LOG;
import static dev.cmcp.verify.claim.CheckName.BINDING;
import static dev.cmcp.verify.claim.CheckName.EVIDENCE;
import static dev.cmcp.verify.claim.CheckName.FRESHNESS;
import static dev.cmcp.verify.claim.CheckName.INCLUSION_PROOFS;
import static dev.cmcp.verify.claim.CheckName.MEASUREMENT;
import static dev.cmcp.verify.claim.CheckName.SIGNATURE;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.verify.base.CanonicalJson;
import dev.cmcp.verify.base.Check;
import dev.cmcp.verify.base.CheckStatus;
import dev.cmcp.verify.base.Verdict;
import dev.cmcp.verify.evidence.EvidenceReport;
import dev.cmcp.verify.evidence.TrustStore;
import dev.cmcp.verify.evidence.snp.SnpCheck;
import dev.cmcp.verify.evidence.snp.SnpPolicy;
import dev.cmcp.verify.evidence.tdx.TdxCheck;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Claims carrying the real SEV-SNP report and TDX quote of test-fixtures. Their user data
 * was set by whoever produced them, not by a cMCP gateway, so the binding of any claim fails:
 * that is the honest result, and every other check is shown to pass or fail on its own.
 */
class HardwareClaimTest {

  static final Path FIXTURES = Path.of(System.getProperty("cmcp.repo.root")).resolve("test-fixtures").normalize();

  /** Inside the fixture VCEK's validity (2022-09-24 to 2029-09-24). */
  static final Instant SNP_NOW = Instant.parse("2025-01-01T00:00:00Z");
  static final String SNP_MEASUREMENT =
      "b07af9620f3b839b47996422ddec6058338951d984e312115131ea82705eaf5b6bdf8a9ece31a5a608eb0cf2e4872b01";
  /** Inside the PCK chain's validity and that of the fixture's CRLs, TCB info and QE identity. */
  static final Instant TDX_NOW = Instant.parse("2023-06-20T00:00:00Z");
  static final String MRTD =
      "6363b8043668a3ad953278e10389574d326c6749fb78aa810ecd9336923db86f22fc00b8dcd404bc10d5e119d7215cbb";

  @TempDir Path dir;

  private TestGateway gateway;
  private Path certs;

  @BeforeEach
  void startAGatewayAndACertsFolder() throws IOException {
    gateway = TestGateway.withTwoSessions(dir);
    certs = Files.createDirectory(dir.resolve("certs"));
  }

  // ---- SEV-SNP

  private void milanCerts() throws IOException {
    Files.copy(FIXTURES.resolve("snp/ask_ark_milan.pem"), certs.resolve("ask_ark_milan.pem"));
    Files.copy(FIXTURES.resolve("snp/vcek.testcer"), certs.resolve("vcek.der"));
  }

  private static ObjectNode snpEvidence(byte[] report) {
    ObjectNode evidence = JsonNodeFactory.instance.objectNode();
    evidence.put("format", "cmcp-snp-evidence-v1");
    evidence.put("report", base64Url(report));
    evidence.putNull("certs");
    return evidence;
  }

  private ObjectNode snpClaim(String measurement) throws IOException {
    return claim("sev-snp", measurement, snpEvidence(Files.readAllBytes(FIXTURES.resolve("snp/attestation.bin"))), SNP_NOW);
  }

  private VerificationOptions snpOptions() throws Exception {
    return VerificationOptions.of(EvidencePolicy.HARDWARE_ONLY, SNP_NOW)
        .withTrustStore(TrustStore.load(certs))
        .withAuditLog(gateway.log());
  }

  @Test
  void aClaimWithTheRealSnpReportIsGenuineButNotBoundToThisClaim() throws Exception {
    milanCerts();

    VerificationReport report = verify(snpClaim(SNP_MEASUREMENT), snpOptions());

    EvidenceReport<?> platform = report.platformEvidence().orElseThrow();
    for (SnpCheck check : List.of(SnpCheck.REPORT_FORMAT, SnpCheck.VCEK_SIGNATURE, SnpCheck.VCEK_CHAIN, SnpCheck.VCEK_TCB, SnpCheck.VCEK_CHIP_ID)) {
      assertThat(platform.check(check).status()).as(check.label() + ": " + platform.check(check).reason()).isEqualTo(CheckStatus.PASS);
    }
    // The fixture guest allows debugging: rejected by the default policy, and named.
    assertThat(report.check(EVIDENCE).status()).isEqualTo(CheckStatus.FAIL);
    assertThat(report.check(EVIDENCE).reason()).startsWith("sev-snp evidence fails policy_debug: DEBUG policy bit set");
    // Its REPORT_DATA is 01 02 03 04 05 and zeros, not this claim's binding.
    assertThat(report.check(BINDING).status()).isEqualTo(CheckStatus.FAIL);
    assertThat(report.check(BINDING).reason()).contains("REPORT_DATA is 0102030405" + "0".repeat(118));
    assertThat(report.check(MEASUREMENT).status()).as(report.check(MEASUREMENT).reason()).isEqualTo(CheckStatus.PASS);
    for (CheckName name : List.of(SIGNATURE, FRESHNESS, INCLUSION_PROOFS, AUDIT_LOG)) {
      assertThat(report.check(name).status()).as(name.label()).isEqualTo(CheckStatus.PASS);
    }
    assertThat(report.result()).isEqualTo(Verdict.UNVERIFIED);
    assertThat(report.exitCode()).isEqualTo(1);
  }

  @Test
  void withDebugGuestsAllowedOnlyTheBindingFails() throws Exception {
    milanCerts();

    VerificationReport report = verify(snpClaim(SNP_MEASUREMENT), snpOptions().withSnpPolicy(SnpPolicy.defaults().allowingDebug()));

    assertThat(report.check(EVIDENCE).status()).as(report.toText()).isEqualTo(CheckStatus.PASS);
    assertThat(report.check(EVIDENCE).reason()).startsWith("sev-snp evidence verifies to the vendor's root")
        .endsWith("not checked: minimum_tcb");
    assertThat(report.checks()).filteredOn(c -> c.status() == CheckStatus.FAIL).extracting(Check::name)
        .containsExactly(BINDING);
    assertThat(report.result()).isEqualTo(Verdict.UNVERIFIED);
  }

  @Test
  void aClaimStatingAnotherMeasurementThanItsReportFails() throws Exception {
    milanCerts();

    VerificationReport report = verify(snpClaim("ab".repeat(48)), snpOptions());

    assertThat(report.check(MEASUREMENT).status()).isEqualTo(CheckStatus.FAIL);
    assertThat(report.check(MEASUREMENT).reason())
        .isEqualTo("trace.runtime.measurement is " + "ab".repeat(48) + ", but the evidence's MEASUREMENT is " + SNP_MEASUREMENT);
  }

  @Test
  void theExpectedMeasurementIsComparedWithTheReportsMeasurement() throws Exception {
    milanCerts();
    ObjectNode claim = snpClaim(SNP_MEASUREMENT);

    VerificationReport expected = verify(claim, snpOptions().withExpectedMeasurement(SNP_MEASUREMENT.toUpperCase()));
    VerificationReport other = verify(claim, snpOptions().withExpectedMeasurement("cd".repeat(48)));

    assertThat(expected.check(MEASUREMENT).status()).isEqualTo(CheckStatus.PASS);
    assertThat(expected.check(MEASUREMENT).reason()).contains("and the expected value");
    assertThat(other.check(MEASUREMENT).status()).isEqualTo(CheckStatus.FAIL);
    assertThat(other.check(MEASUREMENT).reason()).isEqualTo("the evidence's MEASUREMENT is " + SNP_MEASUREMENT + ", expected " + "cd".repeat(48));
  }

  @Test
  void withoutTheVcekTheEvidenceFailsNamingIt() throws Exception {
    VerificationReport report = verify(snpClaim(SNP_MEASUREMENT), snpOptions());

    assertThat(report.check(EVIDENCE).status()).isEqualTo(CheckStatus.FAIL);
    assertThat(report.check(EVIDENCE).reason()).startsWith("sev-snp evidence fails vcek_signature, policy_debug");
    assertThat(report.platformEvidence().orElseThrow().check(SnpCheck.VCEK_SIGNATURE).reason()).contains("no VCEK certificate");
  }

  @Test
  void aFlippedBitInTheSignedReportFailsTheSignatureNotTheClaimSignature() throws Exception {
    milanCerts();
    byte[] report = Files.readAllBytes(FIXTURES.resolve("snp/attestation.bin"));
    report[0x90] ^= 1; // inside MEASUREMENT
    String measurement = HexFormat.of().formatHex(Arrays.copyOfRange(report, 0x90, 0x90 + 48));

    VerificationReport verified = verify(claim("sev-snp", measurement, snpEvidence(report), SNP_NOW), snpOptions());

    assertThat(verified.check(SIGNATURE).status()).isEqualTo(CheckStatus.PASS);
    assertThat(verified.check(EVIDENCE).reason()).contains("vcek_signature");
    assertThat(verified.platformEvidence().orElseThrow().check(SnpCheck.VCEK_SIGNATURE).status()).isEqualTo(CheckStatus.FAIL);
  }

  @Test
  void theTextAndJsonReportsCarryThePlatformsChecksAndFields() throws Exception {
    milanCerts();

    VerificationReport report = verify(snpClaim(SNP_MEASUREMENT), snpOptions());

    assertThat(report.toText()).contains("\n       PASS vcek_chain ").contains("\n       FAIL policy_debug ");
    JsonNode json = report.toJson().get("platform_evidence");
    assertThat(json.get("platform").asText()).isEqualTo("sev-snp");
    assertThat(json.get("checks")).extracting(c -> c.get("name").asText())
        .containsExactly("report_format", "vcek_signature", "vcek_chain", "vcek_tcb", "vcek_chip_id",
            "report_data", "policy_debug", "minimum_tcb", "measurement");
    assertThat(json.at("/fields/measurement").asText()).isEqualTo(SNP_MEASUREMENT);
  }

  @Test
  void malformedSnpEvidenceFailsNamingTheMember() throws Exception {
    byte[] report = Files.readAllBytes(FIXTURES.resolve("snp/attestation.bin"));
    ObjectNode shortReport = snpEvidence(Arrays.copyOf(report, report.length - 1));
    ObjectNode extraMember = snpEvidence(report).put("vcek", "");
    ObjectNode padded = snpEvidence(report).put("report", Base64.getUrlEncoder().encodeToString(report));
    ObjectNode notBase64 = snpEvidence(report).put("certs", "not base64!");

    assertEvidenceFails(shortReport, "trace.runtime.evidence.report: expected 1184 bytes, found 1183");
    assertEvidenceFails(extraMember, "trace.runtime.evidence.vcek: unknown field");
    assertEvidenceFails(padded, "trace.runtime.evidence.report: not canonical base64url without padding");
    assertEvidenceFails(notBase64, "trace.runtime.evidence.certs: not base64url");
  }

  private void assertEvidenceFails(ObjectNode evidence, String reason) {
    VerificationReport report = verify(claim("sev-snp", SNP_MEASUREMENT, evidence, SNP_NOW),
        VerificationOptions.of(EvidencePolicy.HARDWARE_ONLY, SNP_NOW));
    assertThat(report.check(EVIDENCE).status()).isEqualTo(CheckStatus.FAIL);
    assertThat(report.check(EVIDENCE).reason()).isEqualTo(reason);
    assertThat(report.check(BINDING).status()).isEqualTo(CheckStatus.SKIP);
    assertThat(report.platformEvidence()).isEmpty();
  }

  // ---- TDX

  private ObjectNode tdxClaim(String measurement) throws IOException {
    ObjectNode evidence = JsonNodeFactory.instance.objectNode();
    evidence.put("format", "cmcp-tdx-evidence-v1");
    evidence.put("quote", base64Url(Files.readAllBytes(FIXTURES.resolve("tdx/tdx_prod_quote_SPR_E4.dat"))));
    return claim("tdx", measurement, evidence, TDX_NOW);
  }

  private VerificationOptions tdxOptions() throws Exception {
    return VerificationOptions.of(EvidencePolicy.HARDWARE_ONLY, TDX_NOW).withTrustStore(TrustStore.load(certs));
  }

  @Test
  void aClaimWithTheRealTdxQuoteIsGenuineButNotBoundToThisClaim() throws Exception {
    Files.copy(FIXTURES.resolve("tdx/trusted_root.pem"), certs.resolve("trusted_root.pem"));

    VerificationReport report = verify(tdxClaim(MRTD), tdxOptions());

    EvidenceReport<?> platform = report.platformEvidence().orElseThrow();
    for (TdxCheck check : List.of(TdxCheck.QUOTE_FORMAT, TdxCheck.QUOTE_SIGNATURE, TdxCheck.QE_REPORT_SIGNATURE,
        TdxCheck.QE_REPORT_BINDS_KEY, TdxCheck.PCK_CHAIN, TdxCheck.TD_DEBUG)) {
      assertThat(platform.check(check).status()).as(check.label() + ": " + platform.check(check).reason()).isEqualTo(CheckStatus.PASS);
    }
    // Without Intel's collateral a revoked or out-of-date platform cannot be told apart: evidence is skipped, not passed.
    assertThat(report.check(EVIDENCE).status()).as(report.toText()).isEqualTo(CheckStatus.SKIP);
    assertThat(report.check(EVIDENCE).reason())
        .startsWith("tdx evidence: 6 checks pass, but pck_revocation, tcb_info, tcb_level, qe_identity were not checked")
        .contains("at best partially_verified", "--fetch-collateral", "--certs");
    assertThat(report.check(BINDING).status()).isEqualTo(CheckStatus.FAIL);
    assertThat(report.check(BINDING).reason()).contains("REPORTDATA ").contains("is not the expected");
    assertThat(report.check(MEASUREMENT).status()).as(report.check(MEASUREMENT).reason()).isEqualTo(CheckStatus.PASS);
    assertThat(report.check(MEASUREMENT).reason()).contains("MRTD " + MRTD);
    assertThat(report.result()).isEqualTo(Verdict.UNVERIFIED);
  }

  @Test
  void aTdxClaimStatingAnotherMeasurementThanMrtdFails() throws Exception {
    Files.copy(FIXTURES.resolve("tdx/trusted_root.pem"), certs.resolve("trusted_root.pem"));

    VerificationReport report = verify(tdxClaim("00".repeat(48)), tdxOptions());

    assertThat(report.check(MEASUREMENT).status()).isEqualTo(CheckStatus.FAIL);
    assertThat(report.check(MEASUREMENT).reason()).endsWith("but the evidence's MRTD is " + MRTD);
  }

  @Test
  void theTdxCollateralInTheCertsFolderIsUsed() throws Exception {
    for (String file : List.of("trusted_root.pem", "pckcrl", "rootcrl.der", "sample_tcbInfo_response", "sample_qeIdentity_response")) {
      Files.copy(FIXTURES.resolve("tdx").resolve(file), certs.resolve(file));
    }
    try (InputStream signing = HardwareClaimTest.class.getResourceAsStream("/dev/cmcp/verify/evidence/tdx/intel_sgx_tcb_signing.pem")) {
      Files.write(certs.resolve("tcb_signing.pem"), Objects.requireNonNull(signing).readAllBytes());
    }

    VerificationReport report = verify(tdxClaim(MRTD), tdxOptions());

    EvidenceReport<?> platform = report.platformEvidence().orElseThrow();
    assertThat(platform.check(TdxCheck.PCK_REVOCATION).status()).isEqualTo(CheckStatus.PASS);
    assertThat(platform.check(TdxCheck.QE_IDENTITY).status()).isEqualTo(CheckStatus.PASS);
    // The sample TCB info is newer than the quote's platform: no level covers it, so the
    // default policy (UpToDate only) cannot accept it.
    assertThat(report.check(EVIDENCE).status()).isEqualTo(CheckStatus.FAIL);
    assertThat(report.check(EVIDENCE).reason()).startsWith("tdx evidence fails tcb_level");
  }

  @Test
  void twoTcbInfoFilesFailTheTdxChecksThatUseTheCollateral() throws Exception {
    Files.copy(FIXTURES.resolve("tdx/trusted_root.pem"), certs.resolve("trusted_root.pem"));
    Files.copy(FIXTURES.resolve("tdx/sample_tcbInfo_response"), certs.resolve("a.json"));
    Files.copy(FIXTURES.resolve("tdx/sample_tcbInfo_response"), certs.resolve("b.json"));

    VerificationReport report = verify(tdxClaim(MRTD), tdxOptions());

    // The quote is still checked; the collateral it could not be checked against fails by name.
    EvidenceReport<?> platform = report.platformEvidence().orElseThrow();
    for (TdxCheck check : List.of(TdxCheck.TCB_INFO, TdxCheck.QE_IDENTITY)) {
      assertThat(platform.check(check).status()).isEqualTo(CheckStatus.FAIL);
      assertThat(platform.check(check).reason())
          .isEqualTo("the TDX collateral in the certs folder cannot be read: certs: two TCB info files (a.json, b.json):"
              + " keep the one for this platform");
    }
    assertThat(platform.check(TdxCheck.QUOTE_SIGNATURE).status()).isEqualTo(CheckStatus.PASS);
    assertThat(report.check(EVIDENCE).status()).isEqualTo(CheckStatus.FAIL);
    assertThat(report.check(EVIDENCE).reason()).isEqualTo("tdx evidence fails tcb_info, qe_identity (see each check's reason)");
    assertThat(report.result()).isEqualTo(Verdict.UNVERIFIED);
  }

  // ---- opaque

  private ObjectNode opaqueClaim() {
    ObjectNode evidence = JsonNodeFactory.instance.objectNode();
    evidence.put("format", "cmcp-opaque-evidence-v1");
    evidence.put("token", "eyJhbGciOiJFUzI1NiJ9.e30.sig");
    return claim("opaque", TestGateway.MEASUREMENT, evidence, TestGateway.ISSUED);
  }

  @Test
  void opaqueEvidenceFailsUnderTheHardwareOnlyPolicy() {
    VerificationReport report = verify(opaqueClaim(), VerificationOptions.of(EvidencePolicy.HARDWARE_ONLY, TestGateway.ISSUED));

    assertThat(report.check(EVIDENCE).status()).isEqualTo(CheckStatus.FAIL);
    assertThat(report.check(EVIDENCE).reason()).startsWith("opaque evidence cannot be verified offline");
    assertThat(report.exitCode()).isEqualTo(1);
    assertThat(report.result()).isEqualTo(Verdict.UNVERIFIED);
  }

  @Test
  void opaqueEvidenceIsAtBestPartiallyVerifiedWhenAccepted() {
    VerificationReport report = verify(opaqueClaim(), VerificationOptions.of(EvidencePolicy.ALLOW_SOFTWARE, TestGateway.ISSUED));

    assertThat(report.check(EVIDENCE).status()).isEqualTo(CheckStatus.SKIP);
    assertThat(report.check(EVIDENCE).reason()).startsWith("opaque evidence cannot be verified offline");
    assertThat(report.check(BINDING).status()).isEqualTo(CheckStatus.SKIP);
    assertThat(report.result()).isEqualTo(Verdict.PARTIALLY_VERIFIED);
    assertThat(report.exitCode()).isEqualTo(3);
  }

  // ---- helpers

  /** Session s1's claim, issued a minute before {@code now}, carrying {@code evidence}. */
  private ObjectNode claim(String platform, String measurement, ObjectNode evidence, Instant now) {
    ObjectNode claim = gateway.unsignedClaim("s1");
    ObjectNode trace = (ObjectNode) claim.get("trace");
    trace.put("iat", now.minusSeconds(60).getEpochSecond());
    trace.put("exp", now.plusSeconds(3600).getEpochSecond());
    ObjectNode runtime = (ObjectNode) trace.get("runtime");
    runtime.put("platform", platform);
    runtime.put("assurance", "confidential-vm");
    runtime.put("measurement", measurement);
    runtime.put("evidence", base64Url(CanonicalJson.bytes(evidence)));
    return gateway.sign(claim);
  }

  private static VerificationReport verify(ObjectNode claim, VerificationOptions options) {
    return ClaimVerifier.verify(TestGateway.bytes(claim), options);
  }

  private static String base64Url(byte[] bytes) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

}
