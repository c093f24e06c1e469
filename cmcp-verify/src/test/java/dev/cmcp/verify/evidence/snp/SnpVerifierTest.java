package dev.cmcp.verify.evidence.snp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cmcp.verify.base.Check;
import dev.cmcp.verify.base.CheckStatus;
import dev.cmcp.verify.evidence.EvidenceReport;
import dev.cmcp.verify.evidence.TrustStore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class SnpVerifierTest {

  /** Inside the fixture VCEK's validity (2022-09-24 to 2029-09-24). */
  static final Instant NOW = Instant.parse("2025-01-01T00:00:00Z");
  static final String MEASUREMENT =
      "b07af9620f3b839b47996422ddec6058338951d984e312115131ea82705eaf5b6bdf8a9ece31a5a608eb0cf2e4872b01";

  static Path fixtures() {
    String root = System.getProperty("cmcp.repo.root", ".");
    return Path.of(root).resolve("test-fixtures/snp").normalize();
  }

  static byte[] fixture(String name) throws IOException {
    return Files.readAllBytes(fixtures().resolve(name));
  }

  static byte[] report() throws IOException {
    return fixture("attestation.bin");
  }

  /** The VCEK plus AMD's Milan ASK and ARK, as an auditor's certificates folder would hold them. */
  static TrustStore milanCerts() throws Exception {
    return TrustStore.parse("vcek.testcer", fixture("vcek.testcer"))
        .plus(TrustStore.parse("ask_ark_milan.pem", fixture("ask_ark_milan.pem")));
  }

  static byte[] expectedReportData() {
    byte[] data = new byte[64];
    System.arraycopy(new byte[] {1, 2, 3, 4, 5}, 0, data, 0, 5);
    return data;
  }

  static EvidenceReport<SnpCheck> verify(byte[] evidence, TrustStore certs) {
    return SnpVerifier.verify(evidence, certs, Optional.empty(), NOW, SnpPolicy.defaults());
  }

  static CheckStatus status(EvidenceReport<SnpCheck> report, SnpCheck check) {
    return report.check(check).status();
  }

  static byte[] flipped(byte[] bytes, int index, int bit) {
    byte[] copy = bytes.clone();
    copy[index] ^= (byte) (1 << bit);
    return copy;
  }

  // ---- the genuine fixture

  @Test
  void realReportVerifiesToAmdsMilanRoot() throws Exception {
    EvidenceReport<SnpCheck> report = verify(report(), milanCerts());

    assertThat(report.checks()).extracting(Check::label)
        .containsExactly("report_format", "vcek_signature", "vcek_chain", "vcek_tcb", "vcek_chip_id",
            "report_data", "policy_debug", "minimum_tcb", "measurement");
    assertThat(status(report, SnpCheck.REPORT_FORMAT)).isEqualTo(CheckStatus.PASS);
    assertThat(status(report, SnpCheck.VCEK_SIGNATURE)).isEqualTo(CheckStatus.PASS);
    assertThat(status(report, SnpCheck.VCEK_CHAIN)).isEqualTo(CheckStatus.PASS);
    assertThat(report.check(SnpCheck.VCEK_CHAIN).reason()).contains("CN=SEV-Milan", "CN=ARK-Milan", "no CRL supplied");
    assertThat(status(report, SnpCheck.VCEK_TCB)).isEqualTo(CheckStatus.PASS);
    assertThat(status(report, SnpCheck.VCEK_CHIP_ID)).isEqualTo(CheckStatus.PASS);
    assertThat(status(report, SnpCheck.REPORT_DATA)).isEqualTo(CheckStatus.SKIP);
    assertThat(status(report, SnpCheck.MINIMUM_TCB)).isEqualTo(CheckStatus.SKIP);
    assertThat(status(report, SnpCheck.MEASUREMENT)).isEqualTo(CheckStatus.SKIP);
  }

  @Test
  void realReportsFieldsAreReported() throws Exception {
    EvidenceReport<SnpCheck> report = verify(report(), milanCerts());

    assertThat(report.fields())
        .containsEntry("product", "Milan (VCEK product name Milan-B0)")
        .containsEntry("version", "2")
        .containsEntry("debug", "true")
        .containsEntry("policy", "0x00000000000b0000 (abi 0.0, smt, debug)")
        .containsEntry("signing_key", "vcek")
        .containsEntry("reported_tcb", "bootloader=2 tee=0 snp=5 microcode=68 (0x4405000000000002)")
        .containsEntry("measurement", MEASUREMENT)
        .containsEntry("report_data", "0102030405" + "0".repeat(118))
        .containsEntry("chip_id", HexFormat.of().formatHex(Arrays.copyOfRange(report(), 0x1A0, 0x1E0)));
  }

  @Test
  void debugPolicyBitIsRejectedByDefault() throws Exception {
    EvidenceReport<SnpCheck> report = verify(report(), milanCerts());

    assertThat(status(report, SnpCheck.POLICY_DEBUG)).isEqualTo(CheckStatus.FAIL);
    assertThat(report.check(SnpCheck.POLICY_DEBUG).reason()).contains("DEBUG policy bit set");
    assertThat(report.passed()).isFalse();
    assertThat(report.exitCode()).isEqualTo(1);
  }

  @Test
  void debugPolicyBitPassesOnlyWhenExplicitlyAllowed() throws Exception {
    EvidenceReport<SnpCheck> report = SnpVerifier.verify(report(), milanCerts(), Optional.of(expectedReportData()), NOW,
        SnpPolicy.defaults().allowingDebug());

    assertThat(status(report, SnpCheck.POLICY_DEBUG)).isEqualTo(CheckStatus.PASS);
    assertThat(report.checks()).extracting(Check::status).doesNotContain(CheckStatus.FAIL);
    assertThat(report.exitCode()).isZero();
  }

  // ---- expectations

  @Test
  void reportDataPassesWhenItIsTheExpectedBytes() throws Exception {
    EvidenceReport<SnpCheck> report = SnpVerifier.verify(report(), milanCerts(), Optional.of(expectedReportData()), NOW,
        SnpPolicy.defaults());

    assertThat(status(report, SnpCheck.REPORT_DATA)).isEqualTo(CheckStatus.PASS);
  }

  @Test
  void reportDataFailsWhenOtherBytesAreExpected() throws Exception {
    byte[] other = expectedReportData();
    other[63] = 1;

    EvidenceReport<SnpCheck> report = SnpVerifier.verify(report(), milanCerts(), Optional.of(other), NOW,
        SnpPolicy.defaults().allowingDebug());

    assertThat(status(report, SnpCheck.REPORT_DATA)).isEqualTo(CheckStatus.FAIL);
    assertThat(report.exitCode()).isEqualTo(1);
  }

  @Test
  void expectedReportDataOfTheWrongLengthIsACallerError() throws Exception {
    byte[] report = report();
    TrustStore certs = milanCerts();

    assertThatThrownBy(() -> SnpVerifier.verify(report, certs, Optional.of(new byte[] {1, 2, 3, 4, 5}), NOW,
        SnpPolicy.defaults()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("64 bytes");
  }

  @Test
  void measurementIsComparedWhenExpected() throws Exception {
    EvidenceReport<SnpCheck> same = SnpVerifier.verify(report(), milanCerts(), Optional.empty(), NOW,
        SnpPolicy.defaults().withExpectedMeasurement(MEASUREMENT.toUpperCase()));
    EvidenceReport<SnpCheck> other = SnpVerifier.verify(report(), milanCerts(), Optional.empty(), NOW,
        SnpPolicy.defaults().withExpectedMeasurement("00" + MEASUREMENT.substring(2)));

    assertThat(status(same, SnpCheck.MEASUREMENT)).isEqualTo(CheckStatus.PASS);
    assertThat(status(other, SnpCheck.MEASUREMENT)).isEqualTo(CheckStatus.FAIL);
  }

  @Test
  void minimumTcbIsCheckedLevelByLevelWhenConfigured() throws Exception {
    EvidenceReport<SnpCheck> atReported = SnpVerifier.verify(report(), milanCerts(), Optional.empty(), NOW,
        SnpPolicy.defaults().withMinimumTcb(TcbVersion.of(2, 0, 5, 68)));
    EvidenceReport<SnpCheck> newerSnp = SnpVerifier.verify(report(), milanCerts(), Optional.empty(), NOW,
        SnpPolicy.defaults().withMinimumTcb(TcbVersion.parse("bl=1,tee=0,snp=8,ucode=60")));

    assertThat(status(atReported, SnpCheck.MINIMUM_TCB)).isEqualTo(CheckStatus.PASS);
    assertThat(status(newerSnp, SnpCheck.MINIMUM_TCB)).isEqualTo(CheckStatus.FAIL);
    assertThat(newerSnp.check(SnpCheck.MINIMUM_TCB).reason()).contains("below the minimum");
  }

  // ---- tampering

  @Test
  void aFlippedBitInTheMeasurementFailsTheSignature() throws Exception {
    EvidenceReport<SnpCheck> report = verify(flipped(report(), 0x90, 0), milanCerts());

    assertThat(status(report, SnpCheck.VCEK_SIGNATURE)).isEqualTo(CheckStatus.FAIL);
    assertThat(status(report, SnpCheck.VCEK_CHAIN)).isEqualTo(CheckStatus.PASS);
  }

  @Test
  void aFlippedBitAnywhereInTheSignedBodyIsNeverAccepted() throws Exception {
    byte[] genuine = report();
    // The VCEK alone: the signature check does not depend on the chain, and the sweep stays fast.
    TrustStore certs = TrustStore.parse("vcek", fixture("vcek.testcer"));
    for (int index = 0; index < SnpReport.SIGNED_LENGTH; index++) {
      EvidenceReport<SnpCheck> report = SnpVerifier.verify(flipped(genuine, index, index % 8), certs,
          Optional.empty(), NOW, SnpPolicy.defaults().allowingDebug());

      // A few header bits make the report unreadable before any signature is checked.
      boolean rejected = status(report, SnpCheck.VCEK_SIGNATURE) == CheckStatus.FAIL
          || status(report, SnpCheck.REPORT_FORMAT) == CheckStatus.FAIL;
      assertThat(rejected).as("bit %d of byte 0x%03x", index % 8, index).isTrue();
    }
  }

  @Test
  void aFlippedBitAnywhereInTheSignatureFieldFailsTheSignature() throws Exception {
    byte[] genuine = report();
    TrustStore certs = TrustStore.parse("vcek", fixture("vcek.testcer"));
    for (int index = SnpReport.SIGNED_LENGTH; index < SnpReport.SIZE; index++) {
      EvidenceReport<SnpCheck> report = verify(flipped(genuine, index, index % 8), certs);

      assertThat(status(report, SnpCheck.VCEK_SIGNATURE)).as("byte 0x%03x", index).isEqualTo(CheckStatus.FAIL);
    }
  }

  @Test
  void aFlippedBitInTheVceksSignatureFailsTheChain() throws Exception {
    byte[] vcek = fixture("vcek.testcer");
    TrustStore certs = TrustStore.parse("vcek", flipped(vcek, vcek.length - 1, 0))
        .plus(TrustStore.parse("chain", fixture("ask_ark_milan.pem")));

    EvidenceReport<SnpCheck> report = verify(report(), certs);

    assertThat(status(report, SnpCheck.VCEK_SIGNATURE)).isEqualTo(CheckStatus.PASS);
    assertThat(status(report, SnpCheck.VCEK_CHAIN)).isEqualTo(CheckStatus.FAIL);
  }

  @Test
  void aFlippedBitInTheVceksHardwareIdFailsTheChainAndTheChipId() throws Exception {
    byte[] vcek = fixture("vcek.testcer");
    int hwIdStart = indexOf(vcek, Arrays.copyOfRange(report(), 0x1A0, 0x1A8));
    TrustStore certs = TrustStore.parse("vcek", flipped(vcek, hwIdStart, 3))
        .plus(TrustStore.parse("chain", fixture("ask_ark_milan.pem")));

    EvidenceReport<SnpCheck> report = verify(report(), certs);

    assertThat(status(report, SnpCheck.VCEK_CHAIN)).isEqualTo(CheckStatus.FAIL);
    assertThat(status(report, SnpCheck.VCEK_CHIP_ID)).isEqualTo(CheckStatus.FAIL);
  }

  @Test
  void aFlippedBitInTheArkFailsThePin() throws Exception {
    TrustStore askArk = TrustStore.parse("chain", fixture("ask_ark_milan.pem"));
    X509Certificate ask = askArk.certificates().get(0);
    byte[] ark = askArk.certificates().get(1).getEncoded();
    TrustStore certs = TrustStore.parse("vcek", fixture("vcek.testcer"))
        .plus(new TrustStore(List.of(ask), List.of()))
        .plus(TrustStore.parse("ark", flipped(ark, ark.length - 1, 0)));

    EvidenceReport<SnpCheck> report = verify(report(), certs);

    assertThat(status(report, SnpCheck.VCEK_CHAIN)).isEqualTo(CheckStatus.FAIL);
  }

  @Test
  void genoasRootsDoNotVouchForAMilanVcek() throws Exception {
    TrustStore genoa = TrustStore.parse("vcek", fixture("vcek.testcer"))
        .plus(TrustStore.parse("genoa", fixture("ask_ark_genoa.pem")));
    TrustStore milanAskGenoaArk = TrustStore.parse("vcek", fixture("vcek.testcer"))
        .plus(new TrustStore(List.of(TrustStore.parse("milan", fixture("ask_ark_milan.pem")).certificates().get(0)),
            List.of()))
        .plus(new TrustStore(List.of(genoa.certificates().get(2)), List.of()));

    EvidenceReport<SnpCheck> withGenoaChain = verify(report(), genoa);
    EvidenceReport<SnpCheck> withGenoaArk = verify(report(), milanAskGenoaArk);

    assertThat(status(withGenoaChain, SnpCheck.VCEK_CHAIN)).isEqualTo(CheckStatus.FAIL);
    assertThat(withGenoaChain.check(SnpCheck.VCEK_CHAIN).reason()).contains("CN=SEV-Milan");
    assertThat(status(withGenoaArk, SnpCheck.VCEK_CHAIN)).isEqualTo(CheckStatus.FAIL);
    assertThat(withGenoaArk.check(SnpCheck.VCEK_CHAIN).reason()).contains("CN=ARK-Milan");
  }

  @Test
  void aProductLineGivenByTheCallerPinsThatLinesRoot() throws Exception {
    EvidenceReport<SnpCheck> report = SnpVerifier.verify(report(), milanCerts(), Optional.empty(), NOW,
        SnpPolicy.defaults().withProduct(SnpProduct.GENOA));

    assertThat(status(report, SnpCheck.VCEK_CHAIN)).isEqualTo(CheckStatus.FAIL);
    assertThat(report.check(SnpCheck.VCEK_CHAIN).reason()).contains("not AMD's published Genoa ARK");
  }

  @Test
  void theChainFailsOutsideTheVceksValidity() throws Exception {
    EvidenceReport<SnpCheck> before = SnpVerifier.verify(report(), milanCerts(), Optional.empty(),
        Instant.parse("2022-09-23T00:00:00Z"), SnpPolicy.defaults());
    EvidenceReport<SnpCheck> after = SnpVerifier.verify(report(), milanCerts(), Optional.empty(),
        Instant.parse("2029-09-25T00:00:00Z"), SnpPolicy.defaults());

    assertThat(status(before, SnpCheck.VCEK_CHAIN)).isEqualTo(CheckStatus.FAIL);
    assertThat(before.check(SnpCheck.VCEK_CHAIN).reason()).contains("VCEK is not valid at 2022-09-23T00:00:00Z");
    assertThat(status(after, SnpCheck.VCEK_CHAIN)).isEqualTo(CheckStatus.FAIL);
  }

  @Test
  void withoutAVcekTheSignatureFailsAndSaysWhatToSupply() throws Exception {
    EvidenceReport<SnpCheck> report = verify(report(), TrustStore.parse("chain", fixture("ask_ark_milan.pem")));

    assertThat(status(report, SnpCheck.VCEK_SIGNATURE)).isEqualTo(CheckStatus.FAIL);
    assertThat(report.check(SnpCheck.VCEK_SIGNATURE).reason()).contains("no VCEK certificate", "vcek.der");
    assertThat(status(report, SnpCheck.VCEK_CHAIN)).isEqualTo(CheckStatus.SKIP);
  }

  // ---- revocation

  static TrustStore resource(String name) throws Exception {
    try (var in = SnpVerifierTest.class.getResourceAsStream("/dev/cmcp/verify/evidence/" + name)) {
      assertThat(in).as(name).isNotNull();
      return TrustStore.parse(name, in.readAllBytes());
    }
  }

  @Test
  void aCrlBearingAmdsRootNameButNotItsSignatureFailsTheChain() throws Exception {
    EvidenceReport<SnpCheck> report = verify(report(), milanCerts().plus(resource("forged-ark-milan.crl.der")));

    assertThat(status(report, SnpCheck.VCEK_CHAIN)).isEqualTo(CheckStatus.FAIL);
    assertThat(report.check(SnpCheck.VCEK_CHAIN).reason()).contains("CN=ARK-Milan", "does not verify");
  }

  @Test
  void aCrlOfAnUnrelatedIssuerDoesNotAffectTheChain() throws Exception {
    EvidenceReport<SnpCheck> report = verify(report(), milanCerts().plus(resource("test-issuer.crl.der")));

    assertThat(status(report, SnpCheck.VCEK_CHAIN)).isEqualTo(CheckStatus.PASS);
  }

  @Test
  void aRevokedCertificateIsReportedWithItsSerial() throws Exception {
    X509Certificate issuer = resource("test-crl-issuer.pem").certificates().get(0);
    X509Certificate revoked = resource("test-revoked-leaf.pem").certificates().get(0);

    Optional<String> problem = SnpVerifier.revocationProblem(revoked, issuer,
        resource("test-issuer.crl.pem").crls(), NOW);

    assertThat(problem).hasValueSatisfying(reason -> assertThat(reason).contains("serial 1000", "revoked"));
  }

  @Test
  void aCertificateTheCrlDoesNotListIsNotRevoked() throws Exception {
    X509Certificate issuer = resource("test-crl-issuer.pem").certificates().get(0);
    X509Certificate good = resource("test-good-leaf.der").certificates().get(0);

    assertThat(SnpVerifier.revocationProblem(good, issuer, resource("test-issuer.crl.der").crls(), NOW)).isEmpty();
  }

  @Test
  void aCrlPastItsNextUpdateIsRefused() throws Exception {
    X509Certificate issuer = resource("test-crl-issuer.pem").certificates().get(0);
    X509Certificate good = resource("test-good-leaf.der").certificates().get(0);

    Optional<String> problem = SnpVerifier.revocationProblem(good, issuer, resource("test-issuer.crl.der").crls(),
        Instant.parse("2200-01-01T00:00:00Z"));

    assertThat(problem).hasValueSatisfying(reason -> assertThat(reason).contains("due for renewal"));
  }

  // ---- unreadable evidence

  @Test
  void aTruncatedReportFailsTheFormatWithItsLength() throws Exception {
    EvidenceReport<SnpCheck> report = verify(Arrays.copyOf(report(), 1000), milanCerts());

    assertThat(status(report, SnpCheck.REPORT_FORMAT)).isEqualTo(CheckStatus.FAIL);
    assertThat(report.check(SnpCheck.REPORT_FORMAT).reason()).contains("1000 bytes", "1184");
    assertThat(report.checks().subList(1, report.checks().size())).extracting(Check::status).containsOnly(CheckStatus.SKIP);
    assertThat(verify(new byte[0], milanCerts()).exitCode()).isEqualTo(1);
  }

  @Test
  void anUnknownReportVersionFailsTheFormat() throws Exception {
    byte[] version9 = report();
    version9[0] = 9;

    EvidenceReport<SnpCheck> report = verify(version9, milanCerts());

    assertThat(status(report, SnpCheck.REPORT_FORMAT)).isEqualTo(CheckStatus.FAIL);
    assertThat(report.check(SnpCheck.REPORT_FORMAT).reason()).contains("VERSION is 9");
  }

  @Test
  void arbitraryBytesAfterTheReportNeverEscapeAsAnException() throws Exception {
    byte[] genuine = report();
    byte[] vcek = fixture("vcek.testcer");
    TrustStore certs = milanCerts();
    Random random = new Random(4);
    for (int round = 0; round < 100; round++) {
      byte[] evidence = withTable(genuine, entry("63da758d-e664-4564-adc5-f4b93be8accd", vcek));
      // Scramble a few bytes of the table's header or its certificate, or cut the evidence short.
      for (int i = 0; i < 3; i++) {
        int at = SnpReport.SIZE + random.nextInt(evidence.length - SnpReport.SIZE);
        evidence[at] = (byte) random.nextInt(256);
      }
      byte[] tried = random.nextBoolean() ? evidence
          : Arrays.copyOf(evidence, SnpReport.SIZE + random.nextInt(evidence.length - SnpReport.SIZE));

      EvidenceReport<SnpCheck> report = verify(tried, certs);

      assertThat(report.checks()).hasSize(SnpCheck.values().length);
    }
  }

  // ---- certificates carried in the evidence

  @Test
  void certificatesInTheEvidencesTableNeedNoFolder() throws Exception {
    TrustStore askArk = TrustStore.parse("chain", fixture("ask_ark_milan.pem"));
    byte[] evidence = withTable(report(),
        entry("63da758d-e664-4564-adc5-f4b93be8accd", fixture("vcek.testcer")),
        entry("4ab7b379-bbac-4fe4-a02f-05aef327c782", askArk.certificates().get(0).getEncoded()),
        entry("c0b406a4-a803-4952-9743-3fb6014cd0ae", askArk.certificates().get(1).getEncoded()),
        entry("ecae0c0f-9502-43b1-afa2-0ae2e0d565b6", new byte[] {1, 2, 3}));

    EvidenceReport<SnpCheck> report = SnpVerifier.verify(evidence, TrustStore.empty(), Optional.of(expectedReportData()), NOW,
        SnpPolicy.defaults().allowingDebug());

    assertThat(report.check(SnpCheck.REPORT_FORMAT).reason()).contains("3 certificate(s)");
    assertThat(report.exitCode()).as(report.toText()).isZero();
  }

  @Test
  void aTableEntryPointingOutsideTheTableFailsTheFormat() throws Exception {
    byte[] evidence = withTable(report(), entry("63da758d-e664-4564-adc5-f4b93be8accd", fixture("vcek.testcer")));
    // Lengthen the VCEK entry past the end of the table.
    ByteBuffer.wrap(evidence).order(ByteOrder.LITTLE_ENDIAN).putInt(SnpReport.SIZE + 20, 1_000_000);

    EvidenceReport<SnpCheck> report = verify(evidence, milanCerts());

    assertThat(status(report, SnpCheck.REPORT_FORMAT)).isEqualTo(CheckStatus.FAIL);
    assertThat(report.check(SnpCheck.REPORT_FORMAT).reason()).contains("VCEK", "outside the table");
  }

  // ---- output

  @Test
  void textAndJsonNameEveryCheckAndTheMeasurement() throws Exception {
    EvidenceReport<SnpCheck> report = verify(report(), milanCerts());

    assertThat(report.toText()).contains("PASS vcek_chain", "FAIL policy_debug", MEASUREMENT, "result: unverified");
    assertThat(report.toJson().get("checks")).hasSize(9);
    assertThat(report.toJson().get("platform").asText()).isEqualTo("sev-snp");
    assertThat(report.toJson().get("fields").get("measurement").asText()).isEqualTo(MEASUREMENT);
    assertThat(report.toJson().get("exit_code").asInt()).isEqualTo(1);
  }

  // ---- helpers building a certificate table

  record Entry(UUID guid, byte[] content) {}

  static Entry entry(String guid, byte[] content) {
    return new Entry(UUID.fromString(guid), content);
  }

  static byte[] withTable(byte[] report, Entry... entries) throws IOException {
    int header = (entries.length + 1) * 24;
    ByteBuffer table = ByteBuffer.allocate(header).order(ByteOrder.LITTLE_ENDIAN);
    ByteArrayOutputStream contents = new ByteArrayOutputStream();
    for (Entry entry : entries) {
      table.order(ByteOrder.BIG_ENDIAN).putLong(entry.guid().getMostSignificantBits())
          .putLong(entry.guid().getLeastSignificantBits());
      table.order(ByteOrder.LITTLE_ENDIAN).putInt(header + contents.size()).putInt(entry.content().length);
      contents.write(entry.content());
    }
    ByteArrayOutputStream evidence = new ByteArrayOutputStream();
    evidence.write(report);
    evidence.write(table.array());
    evidence.write(contents.toByteArray());
    return evidence.toByteArray();
  }

  static int indexOf(byte[] haystack, byte[] needle) {
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      if (Arrays.equals(Arrays.copyOfRange(haystack, i, i + needle.length), needle)) {
        return i;
      }
    }
    throw new AssertionError("not found");
  }
}
