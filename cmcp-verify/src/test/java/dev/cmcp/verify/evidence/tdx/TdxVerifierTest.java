package dev.cmcp.verify.evidence.tdx;

import static dev.cmcp.verify.base.CheckStatus.FAIL;
import static dev.cmcp.verify.base.CheckStatus.PASS;
import static dev.cmcp.verify.base.CheckStatus.SKIP;
import static dev.cmcp.verify.evidence.tdx.TdxFixtures.NOW;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cmcp.verify.base.CheckStatus;
import dev.cmcp.verify.base.Requirement;
import dev.cmcp.verify.base.Verdict;
import dev.cmcp.verify.evidence.EvidenceReport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TdxVerifierTest {

  private static final List<TdxCheck> GENUINENESS = List.of(TdxCheck.QUOTE_FORMAT, TdxCheck.QUOTE_SIGNATURE,
      TdxCheck.QE_REPORT_SIGNATURE, TdxCheck.QE_REPORT_BINDS_KEY, TdxCheck.PCK_CHAIN);

  @TempDir Path dir;

  private TdxVerification verify(byte[] quote, Path certs) throws TdxException {
    return verify(quote, certs, NOW);
  }

  private TdxVerification verify(byte[] quote, Path certs, Instant now) throws TdxException {
    return TdxVerifier.verify(quote, TdxCollateral.load(certs), Optional.empty(), now, TdxPolicy.defaults());
  }

  private static CheckStatus status(TdxVerification report, TdxCheck check) {
    return report.report().check(check).status();
  }

  @Test
  void genuineQuoteVerifiesToThePinnedRootWithItsCollateral() throws TdxException {
    TdxVerification report = verify(TdxFixtures.quote(), TdxFixtures.fullCertsFolder(dir));

    for (TdxCheck check : GENUINENESS) {
      assertThat(status(report, check)).as(check.label() + ": " + report.report().check(check).reason()).isEqualTo(PASS);
    }
    assertThat(report.report().check(TdxCheck.PCK_CHAIN).reason()).contains("Intel SGX Root CA", "FMSPC 50806f000000");
    assertThat(status(report, TdxCheck.PCK_REVOCATION)).isEqualTo(PASS);
    assertThat(report.report().check(TdxCheck.PCK_REVOCATION).reason())
        .contains("Intel SGX PCK Certificate per the CRL of Intel SGX PCK Platform CA")
        .contains("Intel SGX PCK Platform CA per the CRL of Intel SGX Root CA");
    assertThat(status(report, TdxCheck.TD_DEBUG)).isEqualTo(PASS);
    assertThat(status(report, TdxCheck.TCB_INFO)).as(report.report().check(TdxCheck.TCB_INFO).reason()).isEqualTo(PASS);
    assertThat(status(report, TdxCheck.QE_IDENTITY)).as(report.report().check(TdxCheck.QE_IDENTITY).reason()).isEqualTo(PASS);
    assertThat(report.report().check(TdxCheck.QE_IDENTITY).reason()).contains("UpToDate");
    // The sample TCB info is newer than the quote's platform: TEE_TCB_SVN 3.0.4 is below the
    // lowest TDX level listed (3.0.5), so no level covers it and the platform is not accepted.
    assertThat(status(report, TdxCheck.TCB_LEVEL)).isEqualTo(FAIL);
    assertThat(report.report().check(TdxCheck.TCB_LEVEL).reason()).contains("below every level");
    assertThat(status(report, TdxCheck.REPORT_DATA)).isEqualTo(SKIP);
    assertThat(status(report, TdxCheck.MEASUREMENT)).isEqualTo(SKIP);
  }

  @Test
  void theRootAloneShowsTheQuoteSignedUnderIntelsRootButNotThatThePlatformIsCurrent() throws TdxException {
    TdxVerification report = verify(TdxFixtures.quote(), TdxFixtures.certsFolder(dir));

    for (TdxCheck check : GENUINENESS) {
      assertThat(status(report, check)).as(check.label()).isEqualTo(PASS);
    }
    for (TdxCheck check : List.of(TdxCheck.PCK_REVOCATION, TdxCheck.TCB_INFO, TdxCheck.TCB_LEVEL, TdxCheck.QE_IDENTITY)) {
      assertThat(status(report, check)).as(check.label()).isEqualTo(SKIP);
      assertThat(check.requirement()).isEqualTo(Requirement.REQUIRED);
    }
    assertThat(report.report().check(TdxCheck.PCK_REVOCATION).reason()).contains(TdxCollateral.HOW_TO_SUPPLY);
    assertThat(report.report().check(TdxCheck.TCB_INFO).reason()).contains("--fetch-collateral", "--certs");
    assertThat(report.report().check(TdxCheck.QE_IDENTITY).reason()).contains("--fetch-collateral", "--certs");
    assertThat(report.report().passed()).isTrue();
    assertThat(report.report().result()).isEqualTo(Verdict.PARTIALLY_VERIFIED);
    assertThat(report.report().exitCode()).isEqualTo(3);
  }

  @Test
  void collateralWithoutItsSigningCertificateIsNotUsed() throws TdxException {
    Path certs = TdxFixtures.certsFolder(dir, "pckcrl", "rootcrl.der", "sample_tcbInfo_response", "sample_qeIdentity_response");
    TdxVerification report = verify(TdxFixtures.quote(), certs);

    assertThat(status(report, TdxCheck.PCK_CHAIN)).isEqualTo(PASS);
    assertThat(status(report, TdxCheck.PCK_REVOCATION)).isEqualTo(PASS);
    assertThat(status(report, TdxCheck.TCB_INFO)).isEqualTo(SKIP);
    assertThat(report.report().check(TdxCheck.TCB_INFO).reason()).contains("no Intel SGX TCB Signing certificate");
    assertThat(status(report, TdxCheck.TCB_LEVEL)).isEqualTo(SKIP);
    assertThat(status(report, TdxCheck.QE_IDENTITY)).isEqualTo(SKIP);
  }

  @Test
  void reportsTheTdMeasurements() throws TdxException {
    TdFields fields = verify(TdxFixtures.quote(), TdxFixtures.certsFolder(dir)).td().orElseThrow();

    assertThat(fields.mrTd()).isEqualTo(TdxFixtures.MRTD_HEX);
    assertThat(fields.rtmrs()).hasSize(4);
    assertThat(fields.rtmrs().get(0)).startsWith("2927da70461cd632");
    assertThat(fields.rtmrs().get(3)).isEqualTo("00".repeat(48));
    assertThat(fields.reportData()).startsWith("6c62dec1b8191749").hasSize(128);
    assertThat(fields.tdAttributes()).isEqualTo("0000004000000000");
    assertThat(fields.debug()).isFalse();
    assertThat(fields.teeTcbSvn()).isEqualTo("03000400000000000000000000000000");
  }

  @Test
  void aFlippedBitInTheTdReportBodyFailsTheQuoteSignature() throws TdxException {
    TdxVerification report = verify(TdxFixtures.flipBit(TdxFixtures.quote(), TdxFixtures.MRTD + 5), TdxFixtures.certsFolder(dir));

    assertThat(status(report, TdxCheck.QUOTE_SIGNATURE)).isEqualTo(FAIL);
    assertThat(status(report, TdxCheck.QE_REPORT_SIGNATURE)).isEqualTo(PASS);
    assertThat(status(report, TdxCheck.PCK_CHAIN)).isEqualTo(PASS);
    assertThat(report.report().exitCode()).isEqualTo(1);
  }

  @Test
  void aFlippedBitInTheHeaderFailsTheQuoteSignature() throws TdxException {
    TdxVerification report = verify(TdxFixtures.flipBit(TdxFixtures.quote(), 30), TdxFixtures.certsFolder(dir));

    assertThat(status(report, TdxCheck.QUOTE_SIGNATURE)).isEqualTo(FAIL);
  }

  @Test
  void aFlippedBitInTheQuoteSignatureFailsIt() throws TdxException {
    TdxVerification report = verify(TdxFixtures.flipBit(TdxFixtures.quote(), TdxFixtures.QUOTE_SIGNATURE + 40), TdxFixtures.certsFolder(dir));

    assertThat(status(report, TdxCheck.QUOTE_SIGNATURE)).isEqualTo(FAIL);
    assertThat(report.report().check(TdxCheck.QUOTE_SIGNATURE).reason()).contains("does not verify");
  }

  @Test
  void aFlippedBitInTheAttestationKeyBreaksBothTheSignatureAndTheBinding() throws TdxException {
    TdxVerification report = verify(TdxFixtures.flipBit(TdxFixtures.quote(), TdxFixtures.ATTESTATION_KEY + 3), TdxFixtures.certsFolder(dir));

    assertThat(status(report, TdxCheck.QUOTE_SIGNATURE)).isEqualTo(FAIL);
    assertThat(status(report, TdxCheck.QE_REPORT_BINDS_KEY)).isEqualTo(FAIL);
  }

  @Test
  void aFlippedBitInTheQeReportFailsItsSignature() throws TdxException {
    TdxVerification report = verify(TdxFixtures.flipBit(TdxFixtures.quote(), TdxFixtures.QE_REPORT + 70), TdxFixtures.certsFolder(dir));

    assertThat(status(report, TdxCheck.QE_REPORT_SIGNATURE)).isEqualTo(FAIL);
    assertThat(status(report, TdxCheck.QUOTE_SIGNATURE)).isEqualTo(PASS);
    assertThat(status(report, TdxCheck.QE_REPORT_BINDS_KEY)).isEqualTo(PASS);
  }

  @Test
  void aFlippedBitInTheQeReportDataFailsTheKeyBinding() throws TdxException {
    TdxVerification report = verify(TdxFixtures.flipBit(TdxFixtures.quote(), TdxFixtures.QE_REPORT_DATA + 2), TdxFixtures.certsFolder(dir));

    assertThat(status(report, TdxCheck.QE_REPORT_SIGNATURE)).isEqualTo(FAIL);
    assertThat(status(report, TdxCheck.QE_REPORT_BINDS_KEY)).isEqualTo(FAIL);
  }

  @Test
  void aChangedPckCertificateFailsThePckChain() throws TdxException {
    byte[] quote = TdxFixtures.quote();
    // A base64 letter inside the PCK certificate's issuer name, changed to another letter so that
    // the PEM still decodes: the certificate parses, but its CA's signature no longer matches.
    int offset = TdxFixtures.PCK_CHAIN_PEM + 200;
    while (!Character.isLetter(quote[offset]) || !Character.isLetter(quote[offset] ^ 1)) {
      offset++;
    }

    TdxVerification report = verify(TdxFixtures.flipBit(quote, offset), TdxFixtures.certsFolder(dir));

    assertThat(status(report, TdxCheck.QUOTE_FORMAT)).isEqualTo(PASS);
    assertThat(status(report, TdxCheck.PCK_CHAIN)).isEqualTo(FAIL);
    assertThat(status(report, TdxCheck.PCK_REVOCATION)).isEqualTo(SKIP);
  }

  @Test
  void aBrokenPemBlockFailsThePckChainByName() throws TdxException {
    byte[] quote = TdxFixtures.quote();
    quote[TdxFixtures.PCK_CHAIN_PEM + 100] = '!';

    TdxVerification report = verify(quote, TdxFixtures.certsFolder(dir));

    assertThat(status(report, TdxCheck.PCK_CHAIN)).isEqualTo(FAIL);
    assertThat(report.report().check(TdxCheck.PCK_CHAIN).reason()).contains("does not parse");
    assertThat(status(report, TdxCheck.QE_REPORT_SIGNATURE)).isEqualTo(SKIP);
  }

  @Test
  void aQuoteChainingToAnotherRootFailsThePckChain() throws Exception {
    // The certs folder pins an unrelated self-signed root (AMD's ARK, from the SNP fixtures) and
    // not Intel's: the quote's own copy of the Intel root must not stand in for it.
    Path ark = TdxFixtures.DIR.resolve("../snp/ask_ark_milan.pem").normalize();
    Files.copy(ark, dir.resolve("amd.pem"));

    TdxVerification report = verify(TdxFixtures.quote(), dir);

    assertThat(status(report, TdxCheck.PCK_CHAIN)).isEqualTo(FAIL);
    assertThat(report.report().check(TdxCheck.PCK_CHAIN).reason()).contains("none of the pinned roots");
  }

  @Test
  void withoutAPinnedRootThePckChainFails() throws TdxException {
    TdxVerification report = verify(TdxFixtures.quote(), dir);

    assertThat(status(report, TdxCheck.PCK_CHAIN)).isEqualTo(FAIL);
    assertThat(report.report().check(TdxCheck.PCK_CHAIN).reason()).contains("trusted_root.pem");
  }

  @Test
  void aTruncatedQuoteFailsTheFormatCheckWithoutThrowing() {
    byte[] quote = TdxFixtures.quote();
    for (int length : new int[] {0, 1, 47, 48, 300, 631, 632, 635, 700, 1000, TdxFixtures.PCK_CHAIN_PEM + 10, TdxFixtures.SIGNATURE_DATA_END - 1}) {
      TdxVerification report = TdxVerifier.verify(Arrays.copyOf(quote, length), TdxCollateral.of(List.of(), List.of()),
          Optional.empty(), NOW, TdxPolicy.defaults());

      assertThat(status(report, TdxCheck.QUOTE_FORMAT)).as("length " + length).isEqualTo(FAIL);
      assertThat(report.report().check(TdxCheck.QUOTE_FORMAT).reason()).as("length " + length).contains("truncated");
      assertThat(report.report().checks()).filteredOn(c -> c.name() != TdxCheck.QUOTE_FORMAT).allMatch(c -> c.status() == SKIP);
      assertThat(report.td()).isEmpty();
    }
  }

  @Test
  void aSignatureDataLengthBeyondTheQuoteFailsTheFormatCheck() throws TdxException {
    byte[] quote = TdxFixtures.quote();
    quote[632 + 3] = (byte) 0xff; // signature data length ~4 GiB

    TdxVerification report = verify(quote, TdxFixtures.certsFolder(dir));

    assertThat(status(report, TdxCheck.QUOTE_FORMAT)).isEqualTo(FAIL);
    assertThat(report.report().check(TdxCheck.QUOTE_FORMAT).reason()).contains("signature data");
  }

  /** A version 5 quote with a TD report 1.5 body from a TDX 1.5 platform (PCK issued 2026-01-27), go-tdx-guest's sample. */
  @Test
  void aRealVersion5QuoteWithATdReport15BodyVerifiesToIntelsRoot() throws TdxException {
    byte[] quote = TdxFixtures.read(TdxFixtures.DIR.resolve("quote_v5_sample.dat"));

    TdxVerification report = verify(quote, TdxFixtures.certsFolder(dir), Instant.parse("2026-03-01T00:00:00Z"));

    for (TdxCheck check : List.of(TdxCheck.QUOTE_FORMAT, TdxCheck.QUOTE_SIGNATURE, TdxCheck.QE_REPORT_SIGNATURE,
        TdxCheck.QE_REPORT_BINDS_KEY, TdxCheck.PCK_CHAIN)) {
      assertThat(status(report, check)).as(check + ": " + report.report().check(check).reason()).isEqualTo(PASS);
    }
    assertThat(report.report().check(TdxCheck.QUOTE_FORMAT).reason()).startsWith("TDX quote v5 (TD report 1.5)");
    assertThat(report.td().orElseThrow().mrTd()).matches("[0-9a-f]{96}");
  }

  @Test
  void aVersion5QuoteWithATdReport10BodyIsReadAndItsSignatureCoversTheDescriptor() throws TdxException {
    // Made here from the version 4 sample: header version 5, then a descriptor (type 2, 584 bytes).
    // The attestation key signed the version 4 header, so the quote signature must now fail.
    byte[] v4 = TdxFixtures.quote();
    byte[] v5 = new byte[v4.length + 6];
    System.arraycopy(v4, 0, v5, 0, 48);
    v5[0] = 5;
    v5[48] = 2;
    v5[50] = (byte) (584 & 0xff);
    v5[51] = (byte) (584 >> 8);
    System.arraycopy(v4, 48, v5, 54, v4.length - 48);

    TdxVerification report = verify(v5, TdxFixtures.certsFolder(dir));

    assertThat(status(report, TdxCheck.QUOTE_FORMAT)).as(report.report().check(TdxCheck.QUOTE_FORMAT).reason()).isEqualTo(PASS);
    assertThat(report.report().check(TdxCheck.QUOTE_FORMAT).reason()).startsWith("TDX quote v5 (TD report 1.0)");
    assertThat(report.td().orElseThrow().mrTd()).isEqualTo(TdxFixtures.MRTD_HEX);
    assertThat(status(report, TdxCheck.QUOTE_SIGNATURE)).isEqualTo(FAIL);
    assertThat(status(report, TdxCheck.QE_REPORT_SIGNATURE)).isEqualTo(PASS);
  }

  @Test
  void aVersion5QuoteWithAnSgxBodyIsRefusedByName() throws TdxException {
    byte[] quote = TdxFixtures.read(TdxFixtures.DIR.resolve("quote_v5_sample.dat"));
    quote[48] = 1;

    assertThat(verify(quote, TdxFixtures.certsFolder(dir)).report().check(TdxCheck.QUOTE_FORMAT).reason())
        .contains("body type 1").contains("SGX enclave");
  }

  @Test
  void anotherQuoteVersionOrTeeTypeIsRefusedByName() throws TdxException {
    byte[] version3 = TdxFixtures.quote();
    version3[0] = 3;
    byte[] sgx = TdxFixtures.quote();
    sgx[4] = 0;

    assertThat(verify(version3, TdxFixtures.certsFolder(dir)).report().check(TdxCheck.QUOTE_FORMAT).reason()).contains("version 3");
    assertThat(TdxVerifier.verify(sgx, TdxCollateral.of(List.of(), List.of()), Optional.empty(), NOW, TdxPolicy.defaults())
        .report().check(TdxCheck.QUOTE_FORMAT).reason()).contains("is not TDX");
  }

  @Test
  void everySampledFlipOfTheSignedQuoteFailsACheck() throws TdxException {
    byte[] quote = TdxFixtures.quote();
    TdxCollateral certs = TdxCollateral.load(TdxFixtures.certsFolder(dir));
    for (int offset = 0; offset < TdxFixtures.SIGNATURE_DATA_END; offset += 13) {
      if (Character.isWhitespace(quote[offset])) {
        continue; // a newline of the PEM chain turned into other whitespace changes no certificate
      }
      TdxVerification report = TdxVerifier.verify(TdxFixtures.flipBit(quote, offset), certs, Optional.empty(), NOW, TdxPolicy.defaults());
      assertThat(report.report().passed()).as("bit flipped at offset " + offset).isFalse();
    }
  }

  @Test
  void aTimeAfterThePckCertificateExpiredFailsThePckChain() throws TdxException {
    TdxVerification report = verify(TdxFixtures.quote(), TdxFixtures.certsFolder(dir), Instant.parse("2030-01-01T00:00:00Z"));

    assertThat(status(report, TdxCheck.PCK_CHAIN)).isEqualTo(FAIL);
    assertThat(status(report, TdxCheck.QUOTE_SIGNATURE)).isEqualTo(PASS);
  }

  @Test
  void aTimeBeforeThePckCertificateWasIssuedFailsThePckChain() throws TdxException {
    TdxVerification report = verify(TdxFixtures.quote(), TdxFixtures.certsFolder(dir), Instant.parse("2022-01-01T00:00:00Z"));

    assertThat(status(report, TdxCheck.PCK_CHAIN)).isEqualTo(FAIL);
  }

  @Test
  void staleCrlsAndCollateralFailTheirChecks() throws TdxException {
    // After the PCK CRL's and the QE identity's next update (2023-07-08), before the TCB info's (07-18).
    TdxVerification report = verify(TdxFixtures.quote(), TdxFixtures.fullCertsFolder(dir), Instant.parse("2023-07-10T00:00:00Z"));

    assertThat(status(report, TdxCheck.PCK_CHAIN)).isEqualTo(PASS);
    assertThat(status(report, TdxCheck.PCK_REVOCATION)).isEqualTo(FAIL);
    assertThat(report.report().check(TdxCheck.PCK_REVOCATION).reason()).contains("stale");
    assertThat(status(report, TdxCheck.QE_IDENTITY)).isEqualTo(FAIL);
    assertThat(report.report().check(TdxCheck.QE_IDENTITY).reason()).contains("stale");
    assertThat(status(report, TdxCheck.TCB_INFO)).isEqualTo(PASS);
  }

  @Test
  void aTamperedTcbInfoFailsItsSignature() throws Exception {
    Path certs = TdxFixtures.fullCertsFolder(dir);
    Path tcbInfo = certs.resolve("sample_tcbInfo_response");
    Files.writeString(tcbInfo, Files.readString(tcbInfo).replace("\"tcbStatus\":\"OutOfDate\"", "\"tcbStatus\":\"UpToDate\""));

    TdxVerification report = verify(TdxFixtures.quote(), certs);

    assertThat(status(report, TdxCheck.TCB_INFO)).isEqualTo(FAIL);
    assertThat(report.report().check(TdxCheck.TCB_INFO).reason()).contains("signature does not verify");
    assertThat(status(report, TdxCheck.TCB_LEVEL)).isEqualTo(SKIP);
  }

  @Test
  void aTamperedQeIdentityFailsItsSignature() throws Exception {
    Path certs = TdxFixtures.fullCertsFolder(dir);
    Path identity = certs.resolve("sample_qeIdentity_response");
    Files.writeString(identity, Files.readString(identity).replace("\"isvsvn\":4", "\"isvsvn\":3"));

    TdxVerification report = verify(TdxFixtures.quote(), certs);

    assertThat(status(report, TdxCheck.QE_IDENTITY)).isEqualTo(FAIL);
  }

  @Test
  void reportDataIsComparedWithTheExpectedBinding() throws TdxException {
    TdxCollateral certs = TdxCollateral.load(TdxFixtures.certsFolder(dir));
    byte[] actual = HexFormat.of().parseHex(
        "6c62dec1b8191749a31dab490be532a35944dea47caef1f980863993d9899545eb7406a38d1eed313b987a467dacead6f0c87a6d766c66f6f29f8acb281f1113");
    byte[] other = actual.clone();
    other[63] ^= 1;

    assertThat(TdxVerifier.verify(TdxFixtures.quote(), certs, Optional.of(actual), NOW, TdxPolicy.defaults())
        .report().check(TdxCheck.REPORT_DATA).status()).isEqualTo(PASS);
    assertThat(TdxVerifier.verify(TdxFixtures.quote(), certs, Optional.of(other), NOW, TdxPolicy.defaults())
        .report().check(TdxCheck.REPORT_DATA).status()).isEqualTo(FAIL);
    assertThat(TdxVerifier.verify(TdxFixtures.quote(), certs, Optional.of(new byte[32]), NOW, TdxPolicy.defaults())
        .report().check(TdxCheck.REPORT_DATA).reason()).contains("must be 64 bytes");
  }

  @Test
  void mrtdIsComparedWithTheExpectedMeasurement() throws TdxException {
    TdxCollateral certs = TdxCollateral.load(TdxFixtures.certsFolder(dir));
    TdxPolicy expectingFixture = TdxPolicy.defaults().withExpectedMrtd(TdxFixtures.MRTD_HEX.toUpperCase());
    TdxPolicy expectingOther = TdxPolicy.defaults().withExpectedMrtd("00".repeat(48));

    assertThat(TdxVerifier.verify(TdxFixtures.quote(), certs, Optional.empty(), NOW, expectingFixture)
        .report().check(TdxCheck.MEASUREMENT).status()).isEqualTo(PASS);
    assertThat(TdxVerifier.verify(TdxFixtures.quote(), certs, Optional.empty(), NOW, expectingOther)
        .report().check(TdxCheck.MEASUREMENT).status()).isEqualTo(FAIL);
  }

  @Test
  void aDebugTdIsRejectedUnlessThePolicyAllowsIt() throws TdxException {
    byte[] debugQuote = TdxFixtures.flipBit(TdxFixtures.quote(), TdxFixtures.TD_ATTRIBUTES);
    TdxCollateral certs = TdxCollateral.load(TdxFixtures.certsFolder(dir));

    TdxVerification strict = TdxVerifier.verify(debugQuote, certs, Optional.empty(), NOW, TdxPolicy.defaults());
    TdxVerification lenient = TdxVerifier.verify(debugQuote, certs, Optional.empty(), NOW, TdxPolicy.defaults().withDebugAllowed(true));

    assertThat(strict.report().check(TdxCheck.TD_DEBUG).status()).isEqualTo(FAIL);
    assertThat(strict.td().orElseThrow().debug()).isTrue();
    assertThat(lenient.report().check(TdxCheck.TD_DEBUG).status()).isEqualTo(PASS);
    // The flipped bit is not Intel's: the signature check still catches it.
    assertThat(lenient.report().check(TdxCheck.QUOTE_SIGNATURE).status()).isEqualTo(FAIL);
  }

  @Test
  void aPolicyAcceptingOutOfDateStillNeedsACoveringTcbLevel() throws TdxException {
    TdxPolicy lenient = TdxPolicy.defaults().withAcceptedTcbStatuses(EnumSet.allOf(TcbStatus.class));

    TdxVerification report = TdxVerifier.verify(TdxFixtures.quote(), TdxCollateral.load(TdxFixtures.fullCertsFolder(dir)),
        Optional.empty(), NOW, lenient);

    assertThat(report.report().check(TdxCheck.TCB_LEVEL).status()).isEqualTo(FAIL);
    assertThat(report.report().check(TdxCheck.QE_IDENTITY).status()).isEqualTo(PASS);
  }

  @Test
  void textAndJsonNameEveryCheckAndTheMeasurements() throws TdxException {
    EvidenceReport<TdxCheck> report = verify(TdxFixtures.quote(), TdxFixtures.certsFolder(dir)).report();

    String text = report.toText();
    JsonNode json = report.toJson();

    assertThat(text).contains("PASS quote_signature", "SKIP report_data", "  mrtd:                " + TdxFixtures.MRTD_HEX,
        "  rtmr3:", "result: partially_verified");
    assertThat(json.get("exit_code").asInt()).isEqualTo(3);
    assertThat(json.get("result").asText()).isEqualTo("partially_verified");
    assertThat(json.get("checks")).hasSize(TdxCheck.values().length);
    assertThat(json.get("checks").get(0).get("name").asText()).isEqualTo("quote_format");
    assertThat(json.at("/fields/mrtd").asText()).isEqualTo(TdxFixtures.MRTD_HEX);
    assertThat(json.at("/fields/rtmr2").asText()).startsWith("8652f0ca");
    assertThat(json.at("/fields/debug").asText()).isEqualTo("false");
  }

}
