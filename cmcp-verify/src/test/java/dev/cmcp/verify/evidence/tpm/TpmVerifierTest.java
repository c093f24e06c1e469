package dev.cmcp.verify.evidence.tpm;

import static dev.cmcp.verify.evidence.tpm.TpmCheck.AK_ATTRIBUTES;
import static dev.cmcp.verify.evidence.tpm.TpmCheck.AK_SIGNATURE;
import static dev.cmcp.verify.evidence.tpm.TpmCheck.AK_TRUST;
import static dev.cmcp.verify.evidence.tpm.TpmCheck.ATTEST_FORMAT;
import static dev.cmcp.verify.evidence.tpm.TpmCheck.MEASUREMENT;
import static dev.cmcp.verify.evidence.tpm.TpmCheck.PCR_DIGEST;
import static dev.cmcp.verify.evidence.tpm.TpmCheck.QUALIFYING_DATA;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cmcp.verify.base.CheckStatus;
import dev.cmcp.verify.base.Verdict;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TpmVerifierTest {

  private static final Instant NOW = Instant.parse("2026-11-26T00:00:00Z");
  private static final byte[] BINDING = TpmFixtures.binding();

  private static TpmVerification verify(byte[] json) {
    return TpmVerifier.verify(json, Optional.of(BINDING), Optional.empty(), TpmTrust.notConfigured(), NOW);
  }

  private static TpmVerification verify(TpmEvidence evidence) {
    return verify(evidence.toJson());
  }

  @ParameterizedTest
  @ValueSource(strings = {TpmFixtures.ECC, TpmFixtures.RSASSA, TpmFixtures.RSAPSS})
  void aRealQuoteOverItsBindingPassesEveryCheckButAkTrust(String fixture) {
    TpmVerification report = verify(TpmFixtures.json(fixture));

    for (TpmCheck check : List.of(ATTEST_FORMAT, AK_ATTRIBUTES, AK_SIGNATURE, QUALIFYING_DATA, PCR_DIGEST)) {
      assertThat(report.report().check(check).status()).as(check.label() + ": " + report.report().check(check).reason()).isEqualTo(CheckStatus.PASS);
    }
    assertThat(report.report().check(MEASUREMENT).status()).isEqualTo(CheckStatus.SKIP);
    assertThat(report.report().check(AK_TRUST).status()).isEqualTo(CheckStatus.SKIP);
    assertThat(report.report().check(AK_TRUST).reason()).startsWith("AK not certified: no EK certificate chain or AK certificate in the evidence");
    assertThat(report.report().result()).isEqualTo(Verdict.PARTIALLY_VERIFIED);
    assertThat(report.report().exitCode()).isEqualTo(3);
  }

  @Test
  void theReportCarriesTheQuoteFieldsAndTheSignatureKind() {
    TpmVerification ecc = verify(TpmFixtures.json(TpmFixtures.ECC));
    TpmVerification rsassa = verify(TpmFixtures.json(TpmFixtures.RSASSA));
    TpmVerification rsapss = verify(TpmFixtures.json(TpmFixtures.RSAPSS));

    QuoteFields quote = ecc.quote().orElseThrow();
    assertThat(quote.pcrSelection()).isEqualTo("sha256:0,1,2,3,4,5,6,7");
    assertThat(quote.extraData()).isEqualTo(dev.cmcp.verify.base.Digests.sha256Hex(BINDING));
    assertThat(quote.akKey()).isEqualTo("ECC NIST P-256");
    assertThat(quote.akName()).startsWith("000b").hasSize(68);
    assertThat(quote.pcrDigest()).matches("[0-9a-f]{64}");
    assertThat(ecc.report().check(AK_SIGNATURE).reason()).startsWith("ECDSA SHA-256");
    assertThat(rsassa.quote().orElseThrow().pcrSelection()).isEqualTo("sha1:7+sha256:0,7");
    assertThat(rsassa.report().check(AK_SIGNATURE).reason()).startsWith("RSASSA-PKCS1-v1_5 SHA-256");
    assertThat(rsapss.report().check(AK_SIGNATURE).reason()).startsWith("RSASSA-PSS SHA-256");
    assertThat(ecc.report().toJson().at("/fields/pcr_digest").asText()).isEqualTo(quote.pcrDigest());
    assertThat(ecc.report().toText()).contains("PASS ak_signature").contains("SKIP ak_trust").endsWith("result: partially_verified\n");
  }

  @Test
  void theSharedReportShapeKeepsEveryCheckAndTheQuotesFields() {
    TpmVerification report = verify(TpmFixtures.json(TpmFixtures.ECC));

    dev.cmcp.verify.evidence.EvidenceReport<TpmCheck> shared = report.report();

    assertThat(shared.platform()).isEqualTo("tpm");
    assertThat(shared.checks()).extracting(c -> c.label() + "=" + c.status().label()).containsExactly(
        "attest_format=pass", "ak_attributes=pass", "ak_signature=pass", "qualifying_data=pass", "pcr_digest=pass",
        "measurement=skip", "ak_trust=skip");
    // One verdict rule: ak_trust skipped leaves the shared shape partially verified too, never verified.
    assertThat(shared.result()).isEqualTo(report.report().result()).isEqualTo(dev.cmcp.verify.base.Verdict.PARTIALLY_VERIFIED);
    assertThat(shared.exitCode()).isEqualTo(3);
    assertThat(shared.fields()).containsEntry("pcr_digest", report.quote().orElseThrow().pcrDigest())
        .containsEntry("extra_data", dev.cmcp.verify.base.Digests.sha256Hex(BINDING))
        .containsEntry("pcr_selection", "sha256:0,1,2,3,4,5,6,7")
        .containsKeys("ak_name", "reset_count", "firmware_version");
  }

  @Test
  void theMeasurementIsThePcrDigestTheQuoteSigned() {
    byte[] json = TpmFixtures.json(TpmFixtures.ECC);
    String digest = verify(json).quote().orElseThrow().pcrDigest();

    TpmVerification matching = TpmVerifier.verify(json, Optional.of(BINDING), Optional.of(digest.toUpperCase()), TpmTrust.notConfigured(), NOW);
    TpmVerification other = TpmVerifier.verify(json, Optional.of(BINDING), Optional.of("00".repeat(32)), TpmTrust.notConfigured(), NOW);

    assertThat(matching.report().check(MEASUREMENT).status()).isEqualTo(CheckStatus.PASS);
    assertThat(other.report().check(MEASUREMENT).status()).isEqualTo(CheckStatus.FAIL);
    assertThat(other.report().check(MEASUREMENT).reason()).contains("pcrDigest is " + digest);
    assertThat(other.report().result()).isEqualTo(Verdict.UNVERIFIED);
  }

  @Test
  void aQuoteOverOtherQualifyingDataFailsQualifyingData() {
    byte[] otherBinding = BINDING.clone();
    otherBinding[0] ^= 1;

    TpmVerification report = TpmVerifier.verify(TpmFixtures.json(TpmFixtures.ECC), Optional.of(otherBinding), Optional.empty(),
        TpmTrust.notConfigured(), NOW);

    assertThat(report.report().check(QUALIFYING_DATA).status()).isEqualTo(CheckStatus.FAIL);
    assertThat(report.report().check(QUALIFYING_DATA).reason()).contains("is not SHA-256 of the expected binding");
    assertThat(report.report().check(AK_SIGNATURE).status()).isEqualTo(CheckStatus.PASS);
    assertThat(report.report().result()).isEqualTo(Verdict.UNVERIFIED);
  }

  @Test
  void withoutAnExpectedBindingQualifyingDataIsSkipped() {
    TpmVerification report = TpmVerifier.verify(TpmFixtures.json(TpmFixtures.ECC), Optional.empty(), Optional.empty(), TpmTrust.notConfigured(), NOW);

    assertThat(report.report().check(QUALIFYING_DATA).status()).isEqualTo(CheckStatus.SKIP);
  }

  @Test
  void aFlippedBitInTheSignedClockFailsAkSignature() {
    TpmEvidence evidence = TpmFixtures.evidence(TpmFixtures.ECC);
    byte[] attest = evidence.attest();
    // After magic (4), type (2), qualifiedSigner (2 + 34) and extraData (2 + 32) comes the clock.
    attest[4 + 2 + 36 + 34 + 7] ^= 0x01;

    TpmVerification report = verify(new TpmEvidence(attest, evidence.signature(), evidence.akPublic(), evidence.pcrs()));

    assertThat(report.report().check(ATTEST_FORMAT).status()).isEqualTo(CheckStatus.PASS);
    assertThat(report.report().check(AK_SIGNATURE).status()).isEqualTo(CheckStatus.FAIL);
    assertThat(report.report().check(AK_SIGNATURE).reason()).contains("does not verify with the AK");
    assertThat(report.report().check(PCR_DIGEST).status()).isEqualTo(CheckStatus.PASS);
  }

  @Test
  void aChangedPcrValueFailsPcrDigest() {
    TpmEvidence evidence = TpmFixtures.evidence(TpmFixtures.ECC);
    List<TpmEvidence.PcrValue> pcrs = new ArrayList<>(evidence.pcrs());
    byte[] value = pcrs.get(3).value();
    value[31] ^= 0x01;
    pcrs.set(3, new TpmEvidence.PcrValue("sha256", pcrs.get(3).index(), value));

    TpmVerification report = verify(new TpmEvidence(evidence.attest(), evidence.signature(), evidence.akPublic(), pcrs));

    assertThat(report.report().check(PCR_DIGEST).status()).isEqualTo(CheckStatus.FAIL);
    assertThat(report.report().check(PCR_DIGEST).reason()).contains("the quote signed");
    assertThat(report.report().check(AK_SIGNATURE).status()).isEqualTo(CheckStatus.PASS);
  }

  @Test
  void aMissingOrAnExtraPcrFailsPcrDigest() {
    TpmEvidence evidence = TpmFixtures.evidence(TpmFixtures.ECC);
    List<TpmEvidence.PcrValue> fewer = evidence.pcrs().subList(0, 7);
    List<TpmEvidence.PcrValue> more = new ArrayList<>(evidence.pcrs());
    more.add(new TpmEvidence.PcrValue("sha256", 8, new byte[32]));

    TpmVerification missing = verify(new TpmEvidence(evidence.attest(), evidence.signature(), evidence.akPublic(), fewer));
    TpmVerification extra = verify(new TpmEvidence(evidence.attest(), evidence.signature(), evidence.akPublic(), more));

    assertThat(missing.report().check(PCR_DIGEST).status()).isEqualTo(CheckStatus.FAIL);
    assertThat(missing.report().check(PCR_DIGEST).reason()).contains("sha256:7, whose value the evidence does not report");
    assertThat(extra.report().check(PCR_DIGEST).status()).isEqualTo(CheckStatus.FAIL);
    assertThat(extra.report().check(PCR_DIGEST).reason()).contains("sha256:8, which the quote does not cover");
  }

  @Test
  void evidenceCannotListAPcrTwice() {
    TpmEvidence evidence = TpmFixtures.evidence(TpmFixtures.ECC);
    List<TpmEvidence.PcrValue> twice = new ArrayList<>(evidence.pcrs());
    twice.add(evidence.pcrs().get(0));

    assertThatThrownBy(() -> new TpmEvidence(evidence.attest(), evidence.signature(), evidence.akPublic(), twice))
        .hasMessage("PCR sha256:0 is listed twice");
  }

  @Test
  void theFixtureIsCanonicalAndSurvivesARoundTrip() throws Exception {
    for (String fixture : List.of(TpmFixtures.ECC, TpmFixtures.RSASSA, TpmFixtures.RSAPSS)) {
      byte[] json = TpmFixtures.json(fixture);
      TpmEvidence evidence = TpmEvidence.fromJson(json);

      assertThat(new String(evidence.toJson(), StandardCharsets.UTF_8)).isEqualTo(new String(json, StandardCharsets.UTF_8).strip());
    }
  }

  @Test
  void everyTruncationOfEachStructureFailsAttestFormat() {
    TpmEvidence evidence = TpmFixtures.evidence(TpmFixtures.ECC);
    byte[][] parts = {evidence.attest(), evidence.signature(), evidence.akPublic()};
    for (int part = 0; part < parts.length; part++) {
      for (int length = 0; length < parts[part].length; length++) {
        byte[][] cut = {evidence.attest(), evidence.signature(), evidence.akPublic()};
        cut[part] = Arrays.copyOf(parts[part], length);
        TpmVerification report = verify(new TpmEvidence(cut[0], cut[1], cut[2], evidence.pcrs()));

        assertThat(report.report().check(ATTEST_FORMAT).status()).as("part %d cut to %d bytes", part, length).isEqualTo(CheckStatus.FAIL);
        assertThat(report.report().checks()).filteredOn(c -> c.name() != ATTEST_FORMAT).allMatch(c -> c.status() == CheckStatus.SKIP);
        assertThat(report.quote()).isEmpty();
      }
    }
  }

  @Test
  void trailingBytesFailAttestFormat() {
    TpmEvidence evidence = TpmFixtures.evidence(TpmFixtures.ECC);
    byte[] longer = Arrays.copyOf(evidence.attest(), evidence.attest().length + 1);

    TpmVerification report = verify(new TpmEvidence(longer, evidence.signature(), evidence.akPublic(), evidence.pcrs()));

    assertThat(report.report().check(ATTEST_FORMAT).reason()).isEqualTo("TPMS_ATTEST: 1 unexpected bytes after the end at offset 145");
  }

  @Test
  void aWrongMagicOrTypeFailsAttestFormatByName() {
    TpmEvidence evidence = TpmFixtures.evidence(TpmFixtures.ECC);
    byte[] magic = evidence.attest();
    magic[0] = 0x7F;
    byte[] type = evidence.attest();
    type[5] = 0x17;

    TpmVerification badMagic = verify(new TpmEvidence(magic, evidence.signature(), evidence.akPublic(), evidence.pcrs()));
    TpmVerification badType = verify(new TpmEvidence(type, evidence.signature(), evidence.akPublic(), evidence.pcrs()));

    assertThat(badMagic.report().check(ATTEST_FORMAT).reason()).contains("magic is 0x7f544347, not TPM_GENERATED_VALUE");
    assertThat(badType.report().check(ATTEST_FORMAT).reason()).contains("type is 0x8017, not TPM_ST_ATTEST_QUOTE");
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "",
      "not json",
      "[]",
      "{}",
      "{\"format\":\"cmcp-tpm-evidence-v0\",\"attest\":\"\",\"signature\":\"\",\"ak_public\":\"\",\"pcrs\":{}}",
      "{\"format\":\"cmcp-tpm-evidence-v1\",\"attest\":\"/w==\",\"signature\":\"\",\"ak_public\":\"\",\"pcrs\":{}}",
      "{\"format\":\"cmcp-tpm-evidence-v1\",\"attest\":\"_w==\",\"signature\":\"\",\"ak_public\":\"\",\"pcrs\":{}}",
      "{\"format\":\"cmcp-tpm-evidence-v1\",\"attest\":\"_x\",\"signature\":\"\",\"ak_public\":\"\",\"pcrs\":{}}",
      "{\"format\":\"cmcp-tpm-evidence-v1\",\"attest\":\"\",\"signature\":\"\",\"ak_public\":\"\",\"pcrs\":{},\"x\":1}",
      "{\"format\":\"cmcp-tpm-evidence-v1\",\"attest\":\"\",\"signature\":\"\",\"ak_public\":\"\",\"pcrs\":[]}",
      "{\"format\":\"cmcp-tpm-evidence-v1\",\"attest\":\"\",\"signature\":\"\",\"ak_public\":\"\",\"pcrs\":{\"md5\":{}}}",
      "{\"format\":\"cmcp-tpm-evidence-v1\",\"attest\":\"\",\"signature\":\"\",\"ak_public\":\"\",\"pcrs\":{\"sha1\":{\"07\":\"00\"}}}",
      "{\"format\":\"cmcp-tpm-evidence-v1\",\"attest\":\"\",\"signature\":\"\",\"ak_public\":\"\",\"pcrs\":{\"sha1\":{\"7\":\"00\"}}}",
      "{\"format\":\"cmcp-tpm-evidence-v1\",\"attest\":\"\",\"signature\":\"\",\"ak_public\":\"\",\"pcrs\":{\"sha1\":{\"99\":\"00\"}}}",
      "{\"format\":\"cmcp-tpm-evidence-v1\",\"attest\":\"\",\"signature\":\"\",\"ak_public\":\"\",\"pcrs\":{},\"pcrs\":{}}",
      "{\"format\":\"cmcp-tpm-evidence-v1\",\"attest\":\"\",\"signature\":\"\",\"ak_public\":\"\",\"pcrs\":{}}",
  })
  void garbageEvidenceFailsAttestFormatWithoutAnException(String json) {
    TpmVerification report = verify(json.getBytes(StandardCharsets.UTF_8));

    assertThat(report.report().check(ATTEST_FORMAT).status()).isEqualTo(CheckStatus.FAIL);
    assertThat(report.report().result()).isEqualTo(Verdict.UNVERIFIED);
  }

  @Test
  void uppercaseHexPcrValuesAreRefused() {
    String json = new String(TpmFixtures.json(TpmFixtures.ECC), StandardCharsets.UTF_8).replace("d2e5f7", "D2E5F7");

    assertThat(verify(json.getBytes(StandardCharsets.UTF_8)).report().check(ATTEST_FORMAT).reason())
        .contains("evidence.pcrs.sha256.0: expected 64 lower-case hex digits");
  }

  /** One bit in every byte, a different bit from byte to byte: every field is touched. */
  @Test
  void noBitFlipOfTheSignedBytesOrTheSignatureStillPasses() {
    TpmEvidence evidence = TpmFixtures.evidence(TpmFixtures.ECC);
    for (int part = 0; part < 2; part++) {
      byte[] original = part == 0 ? evidence.attest() : evidence.signature();
      for (int i = 0; i < original.length; i++) {
        byte[] flipped = original.clone();
        flipped[i] ^= (byte) (1 << (i % 8));
        TpmEvidence tampered = part == 0
            ? new TpmEvidence(flipped, evidence.signature(), evidence.akPublic(), evidence.pcrs())
            : new TpmEvidence(evidence.attest(), flipped, evidence.akPublic(), evidence.pcrs());

        assertThat(verify(tampered).report().result()).as("part %d byte %d", part, i).isEqualTo(Verdict.UNVERIFIED);
      }
    }
  }

  @Test
  void noBitFlipOfTheAkPublicAreaThrows() {
    TpmEvidence evidence = TpmFixtures.evidence(TpmFixtures.RSASSA);
    byte[] original = evidence.akPublic();
    for (int i = 0; i < original.length; i++) {
      byte[] flipped = original.clone();
      flipped[i] ^= (byte) (1 << (i % 8));

      TpmVerification report = verify(new TpmEvidence(evidence.attest(), evidence.signature(), flipped, evidence.pcrs()));

      assertThat(report.report().checks()).hasSize(TpmCheck.values().length);
    }
  }

  @Test
  void aSoftwareKeyThatIsNotRestrictedFailsAkAttributes() throws Exception {
    TpmEvidence real = TpmFixtures.evidence(TpmFixtures.ECC);
    TpmEvidence forged = TpmFixtures.signedBySoftwareKey(real, 0x00040072L);

    TpmVerification report = verify(forged);

    assertThat(report.report().check(AK_SIGNATURE).status()).isEqualTo(CheckStatus.PASS);
    assertThat(report.report().check(AK_ATTRIBUTES).status()).isEqualTo(CheckStatus.FAIL);
    assertThat(report.report().check(AK_ATTRIBUTES).reason()).startsWith("not an attestation key: lacks restricted (");
  }

  /**
   * Why ak_trust exists: a key made in software can claim every attribute of a TPM attestation
   * key and sign a well-formed quote. Nothing in the quote tells it apart, so it is never
   * verified, only partially.
   */
  @Test
  void aSoftwareKeyPosingAsAnAkIsOnlyPartiallyVerified() throws Exception {
    TpmEvidence forged = TpmFixtures.signedBySoftwareKey(TpmFixtures.evidence(TpmFixtures.ECC), TpmFixtures.AK_ATTRIBUTES);

    TpmVerification report = verify(forged);

    assertThat(report.report().check(AK_ATTRIBUTES).status()).isEqualTo(CheckStatus.PASS);
    assertThat(report.report().check(AK_TRUST).status()).isEqualTo(CheckStatus.SKIP);
    assertThat(report.report().result()).isEqualTo(Verdict.PARTIALLY_VERIFIED);
    assertThat(report.report().exitCode()).isEqualTo(3);
  }

  @Test
  void anEcdsaSignatureWithAnRsaAkFailsAkSignature() {
    TpmEvidence ecc = TpmFixtures.evidence(TpmFixtures.ECC);
    TpmEvidence rsa = TpmFixtures.evidence(TpmFixtures.RSASSA);

    TpmVerification report = verify(new TpmEvidence(ecc.attest(), ecc.signature(), rsa.akPublic(), ecc.pcrs()));

    assertThat(report.report().check(AK_SIGNATURE).status()).isEqualTo(CheckStatus.FAIL);
    assertThat(report.report().check(AK_SIGNATURE).reason()).isEqualTo("an ECDSA signature cannot come from the RSA 2048 AK");
  }

  @Test
  void anAkPointOffTheCurveFailsAttestFormat() {
    TpmEvidence evidence = TpmFixtures.evidence(TpmFixtures.ECC);
    byte[] ak = evidence.akPublic();
    ak[ak.length - 1] ^= 0x01; // the last byte of y

    TpmVerification report = verify(new TpmEvidence(evidence.attest(), evidence.signature(), ak, evidence.pcrs()));

    assertThat(report.report().check(ATTEST_FORMAT).reason()).isEqualTo("TPMT_PUBLIC: the AK's point is not on NIST P-256");
  }
}
