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
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.verify.base.Check;
import dev.cmcp.verify.base.CheckStatus;
import dev.cmcp.verify.base.Digests;
import dev.cmcp.verify.base.Verdict;
import dev.cmcp.verify.evidence.EvidenceReport;
import dev.cmcp.verify.evidence.TrustStore;
import dev.cmcp.verify.evidence.tpm.TestPki;
import dev.cmcp.verify.evidence.tpm.TpmCheck;
import dev.cmcp.verify.evidence.tpm.TpmEvidence;
import dev.cmcp.verify.evidence.tpm.TpmFixtures;
import dev.cmcp.verify.evidence.tpm.TpmTrust;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Claims carrying TPM quotes. The real swtpm quotes of the tpm fixtures were made over a fixed
 * binding, not over any claim's (a binding is a hash of the claim's policy and key), so their
 * binding fails honestly. A quote over this claim's binding is made here the way an uncertified
 * AK allows anyone to: by a key made in software. Every check of it passes, and that is why a
 * TPM claim is never more than partially verified.
 */
class TpmClaimTest {

  /** The PCR digest of quote-ecc.json. */
  static final String PCR_DIGEST = "51c424c46ccd8f6328410351c9b033c5f6eb2c5966741ac8f461f873e1c6e1cc";

  @TempDir Path dir;

  private TestGateway gateway;

  @BeforeEach
  void startAGateway() {
    gateway = TestGateway.withTwoSessions(dir);
  }

  private VerificationOptions options(EvidencePolicy policy) {
    return VerificationOptions.of(policy, TestGateway.ISSUED).withAuditLog(gateway.log());
  }

  @Test
  void theRealQuoteVerifiesAsAQuoteButIsNotBoundToThisClaim() {
    VerificationReport report = verify(claim(PCR_DIGEST, TpmFixtures.evidence(TpmFixtures.ECC)), options(EvidencePolicy.ALLOW_SOFTWARE));

    EvidenceReport<?> platform = report.platformEvidence().orElseThrow();
    for (TpmCheck check : List.of(TpmCheck.ATTEST_FORMAT, TpmCheck.AK_ATTRIBUTES, TpmCheck.AK_SIGNATURE, TpmCheck.PCR_DIGEST)) {
      assertThat(platform.check(check).status()).as(check.label() + ": " + platform.check(check).reason()).isEqualTo(CheckStatus.PASS);
    }
    assertThat(platform.check(TpmCheck.AK_TRUST).status()).isEqualTo(CheckStatus.SKIP);
    assertThat(report.check(EVIDENCE).status()).isEqualTo(CheckStatus.SKIP);
    assertThat(report.check(BINDING).status()).isEqualTo(CheckStatus.FAIL);
    assertThat(report.check(BINDING).reason()).startsWith("extraData " + Digests.sha256Hex(TpmFixtures.binding())
        + " is not SHA-256 of the expected binding");
    assertThat(report.check(MEASUREMENT).status()).as(report.check(MEASUREMENT).reason()).isEqualTo(CheckStatus.PASS);
    assertThat(report.check(MEASUREMENT).reason()).contains("PCR digest " + PCR_DIGEST);
    for (CheckName name : List.of(SIGNATURE, FRESHNESS, INCLUSION_PROOFS, AUDIT_LOG)) {
      assertThat(report.check(name).status()).as(name.label()).isEqualTo(CheckStatus.PASS);
    }
    assertThat(report.result()).isEqualTo(Verdict.UNVERIFIED);
    assertThat(report.exitCode()).isEqualTo(1);
  }

  @Test
  void aQuoteOverThisClaimsBindingIsPartiallyVerifiedAndAcceptedOnlyOnRequest() throws Exception {
    ObjectNode claim = claim(PCR_DIGEST, quoteOverBindingOf(gateway.unsignedClaim("s1")));

    VerificationReport accepted = verify(claim, options(EvidencePolicy.ALLOW_SOFTWARE));
    VerificationReport refused = verify(claim, options(EvidencePolicy.HARDWARE_ONLY));

    assertThat(accepted.check(BINDING).status()).as(accepted.toText()).isEqualTo(CheckStatus.PASS);
    assertThat(accepted.check(BINDING).reason()).contains("qualifying data (extraData) is SHA-256 of the binding");
    assertThat(accepted.check(EVIDENCE).status()).isEqualTo(CheckStatus.SKIP);
    assertThat(accepted.check(EVIDENCE).reason()).startsWith("tpm evidence: AK not certified: no EK certificate chain")
        .endsWith("(accepted by --allow-software; at best partially_verified)");
    assertThat(accepted.checks()).filteredOn(c -> c.status() == CheckStatus.FAIL).isEmpty();
    assertThat(accepted.result()).isEqualTo(Verdict.PARTIALLY_VERIFIED);
    assertThat(accepted.exitCode()).isEqualTo(3);

    assertThat(refused.check(EVIDENCE).status()).isEqualTo(CheckStatus.FAIL);
    assertThat(refused.check(EVIDENCE).reason()).startsWith("tpm evidence: AK not certified: no EK certificate chain")
        .endsWith("(accepted only with --allow-software, as partially_verified)");
    assertThat(refused.checks()).filteredOn(c -> c.status() == CheckStatus.FAIL).extracting(Check::name)
        .containsExactly(EVIDENCE);
    assertThat(refused.result()).isEqualTo(Verdict.UNVERIFIED);
    assertThat(refused.exitCode()).isEqualTo(1);
  }

  /**
   * With an enrolled AK (here a software key the test's enrollment CA certified, which is what an
   * enrollment CA vouches for) and both anchors, the quote counts as a TPM's: the claim is
   * verified once the bundle and measurement are expected too, and not without the anchors.
   */
  @Test
  void anEnrolledAkWithBothAnchorsAndTheExpectationsMakesTheClaimVerified() throws Exception {
    TestPki.Ca enrollmentCa = TestPki.Ca.root("CN=enrollment CA");
    TestPki.Ca manufacturer = TestPki.Ca.root("CN=TPM manufacturer");
    TpmEvidence enrolled = TestPki.enroll(quoteOverBindingOf(gateway.unsignedClaim("s1")), enrollmentCa,
        manufacturer.ekCertificate());
    ObjectNode claim = claim(PCR_DIGEST, enrolled);
    TpmTrust.Anchors anchors = new TpmTrust.Anchors(new TrustStore(List.of(enrollmentCa.certificate()), List.of()),
        new TrustStore(List.of(manufacturer.certificate()), List.of()));
    VerificationOptions expecting = options(EvidencePolicy.HARDWARE_ONLY).withExpectedBundleHash(TestGateway.BUNDLE_HASH);

    VerificationReport verified = verify(claim, expecting.withExpectedMeasurement(PCR_DIGEST).withTpmTrust(anchors));
    VerificationReport anyMeasurement = verify(claim, expecting.withTpmTrust(anchors));
    VerificationReport noAnchors = verify(claim, expecting.withExpectedMeasurement(PCR_DIGEST));

    assertThat(verified.result()).as(verified.toText()).isEqualTo(Verdict.VERIFIED);
    assertThat(verified.exitCode()).isZero();
    assertThat(verified.check(EVIDENCE).reason()).startsWith("tpm evidence verifies to the vendor's root");
    assertThat(verified.platformEvidence().orElseThrow().check(TpmCheck.AK_TRUST).reason())
        .startsWith("AK certified by enrollment CA CN=enrollment CA");
    assertThat(anyMeasurement.result()).isEqualTo(Verdict.PARTIALLY_VERIFIED);
    assertThat(noAnchors.check(EVIDENCE).status()).isEqualTo(CheckStatus.FAIL);
    assertThat(noAnchors.check(EVIDENCE).reason()).contains("--tpm-ak-ca", "--tpm-ek-roots");
    assertThat(noAnchors.result()).isEqualTo(Verdict.UNVERIFIED);
  }

  /**
   * An attestation document has no session content to hand out: verified, its report carries no
   * {@code VerifiedClaim}, and that is no contradiction (it was one: the report refused to exist).
   */
  @Test
  void anEnrolledTpmGatewaysAttestationDocumentIsVerifiedWithoutClaimContent() throws Exception {
    TestPki.Ca enrollmentCa = TestPki.Ca.root("CN=enrollment CA");
    TestPki.Ca manufacturer = TestPki.Ca.root("CN=TPM manufacturer");
    TpmEvidence enrolled = TestPki.enroll(quoteOverBindingOf(gateway.unsignedClaim("s1")), enrollmentCa,
        manufacturer.ekCertificate());
    GatewayClaim.Trace trace = GatewayClaim.fromJson(claim(PCR_DIGEST, enrolled)).trace();
    ObjectNode document = gateway.sign(GatewayAttestation.unsignedJson(trace));
    TpmTrust.Anchors anchors = new TpmTrust.Anchors(new TrustStore(List.of(enrollmentCa.certificate()), List.of()),
        new TrustStore(List.of(manufacturer.certificate()), List.of()));
    VerificationOptions expecting = options(EvidencePolicy.HARDWARE_ONLY).withExpectedBundleHash(TestGateway.BUNDLE_HASH)
        .withExpectedMeasurement(PCR_DIGEST).withTpmTrust(anchors);

    VerificationReport report = ClaimVerifier.verifyAttestation(TestGateway.bytes(document), expecting, Optional.empty());

    assertThat(report.result()).as(report.toText()).isEqualTo(Verdict.VERIFIED);
    assertThat(report.verifiedClaim()).isEmpty();
  }

  @Test
  void aQuoteWhoseSignatureFailsIsUnverifiedEvenWhenUncertifiedAksAreAccepted() throws Exception {
    TpmEvidence genuine = quoteOverBindingOf(gateway.unsignedClaim("s1"));
    byte[] attest = genuine.attest();
    // After magic (4), type (2), qualifiedSigner (2 + 34) and extraData (2 + 32) comes the clock.
    attest[4 + 2 + 36 + 34 + 7] ^= 0x01;
    TpmEvidence broken = new TpmEvidence(attest, genuine.signature(), genuine.akPublic(), genuine.pcrs());

    VerificationReport report = verify(claim(PCR_DIGEST, broken), options(EvidencePolicy.ALLOW_SOFTWARE));

    assertThat(report.check(EVIDENCE).status()).isEqualTo(CheckStatus.FAIL);
    assertThat(report.check(EVIDENCE).reason()).startsWith("tpm evidence fails ak_signature");
    assertThat(report.result()).isEqualTo(Verdict.UNVERIFIED);
    assertThat(report.exitCode()).isEqualTo(1);
  }

  @Test
  void aClaimStatingAnotherMeasurementThanThePcrDigestFails() {
    VerificationReport report = verify(claim("00".repeat(32), TpmFixtures.evidence(TpmFixtures.ECC)), options(EvidencePolicy.ALLOW_SOFTWARE));

    assertThat(report.check(MEASUREMENT).status()).isEqualTo(CheckStatus.FAIL);
    assertThat(report.check(MEASUREMENT).reason())
        .isEqualTo("trace.runtime.measurement is " + "00".repeat(32) + ", but the evidence's PCR digest is " + PCR_DIGEST);
  }

  @Test
  void theExpectedMeasurementIsComparedWithThePcrDigest() {
    ObjectNode claim = claim(PCR_DIGEST, TpmFixtures.evidence(TpmFixtures.ECC));

    VerificationReport expected = verify(claim, options(EvidencePolicy.ALLOW_SOFTWARE).withExpectedMeasurement(PCR_DIGEST.toUpperCase()));
    VerificationReport other = verify(claim, options(EvidencePolicy.ALLOW_SOFTWARE).withExpectedMeasurement("ab".repeat(32)));

    assertThat(expected.check(MEASUREMENT).status()).isEqualTo(CheckStatus.PASS);
    assertThat(expected.check(MEASUREMENT).reason()).endsWith("is trace.runtime.measurement and the expected value");
    assertThat(other.check(MEASUREMENT).status()).isEqualTo(CheckStatus.FAIL);
    assertThat(other.check(MEASUREMENT).reason()).isEqualTo("the evidence's PCR digest is " + PCR_DIGEST + ", expected " + "ab".repeat(32));
  }

  @Test
  void theReportsCarryTheQuotesChecksAndFields() {
    VerificationReport report = verify(claim(PCR_DIGEST, TpmFixtures.evidence(TpmFixtures.ECC)), options(EvidencePolicy.HARDWARE_ONLY));

    assertThat(report.toText()).contains("\n       PASS ak_signature ").contains("\n       SKIP ak_trust ")
        .contains("\n       FAIL qualifying_data ");
    JsonNode json = report.toJson().get("platform_evidence");
    assertThat(json.get("platform").asText()).isEqualTo("tpm");
    assertThat(json.at("/fields/pcr_digest").asText()).isEqualTo(PCR_DIGEST);
    assertThat(json.at("/fields/pcr_selection").asText()).isEqualTo("sha256:0,1,2,3,4,5,6,7");
  }

  @Test
  void malformedTpmEvidenceFailsNamingTheMember() {
    String real = new String(TpmFixtures.evidence(TpmFixtures.ECC).toJson(), StandardCharsets.UTF_8);

    assertEvidenceFails(real.replace("\"format\":", "\"extra\":1,\"format\":"),
        "trace.runtime.evidence: fields are [ak_public, attest, extra, format, pcrs, signature], expected exactly"
            + " [ak_public, attest, format, pcrs, signature], or those and [ak_certificate, ek_certificate] together");
    assertEvidenceFails(real.replace("cmcp-tpm-evidence-v1", "cmcp-snp-evidence-v1"),
        "trace.runtime.evidence.format: tpm evidence is \"cmcp-tpm-evidence-v1\", found \"cmcp-snp-evidence-v1\"");
    assertEvidenceFails(real.replaceFirst("\"attest\":\"", "\"attest\":\"!"), "trace.runtime.evidence.attest: not base64url");
  }

  private void assertEvidenceFails(String evidenceJson, String reason) {
    VerificationReport report = verify(claim(PCR_DIGEST, evidenceJson.getBytes(StandardCharsets.UTF_8)),
        options(EvidencePolicy.ALLOW_SOFTWARE));

    assertThat(report.check(EVIDENCE).status()).isEqualTo(CheckStatus.FAIL);
    assertThat(report.check(EVIDENCE).reason()).isEqualTo(reason);
    assertThat(report.check(BINDING).status()).isEqualTo(CheckStatus.SKIP);
    assertThat(report.platformEvidence()).isEmpty();
    assertThat(report.result()).isEqualTo(Verdict.UNVERIFIED);
  }

  @Test
  void aQuoteOverABindingWithTheTlsKeyBindsThatKeyAndNoOther() throws Exception {
    ObjectNode unsigned = gateway.unsignedClaim("s1");
    ((ObjectNode) unsigned.get("trace")).putObject("tls").put("spki_sha256", "5a".repeat(32));
    TpmEvidence quote = quoteOverBindingOf(unsigned);
    ObjectNode bound = claim(PCR_DIGEST, quote);
    ((ObjectNode) bound.get("trace")).putObject("tls").put("spki_sha256", "5a".repeat(32));
    ObjectNode otherKey = bound.deepCopy();
    ((ObjectNode) otherKey.at("/trace/tls")).put("spki_sha256", "66".repeat(32));

    VerificationReport report = verify(gateway.sign(bound), options(EvidencePolicy.ALLOW_SOFTWARE));
    VerificationReport changed = verify(gateway.sign(otherKey), options(EvidencePolicy.ALLOW_SOFTWARE));

    assertThat(report.check(BINDING).status()).as(report.toText()).isEqualTo(CheckStatus.PASS);
    assertThat(report.check(CheckName.TLS_KEY_BOUND).status()).isEqualTo(CheckStatus.PASS);
    assertThat(report.checks()).noneMatch(c -> c.status() == CheckStatus.FAIL);
    assertThat(changed.check(BINDING).status()).isEqualTo(CheckStatus.FAIL);
    assertThat(changed.check(CheckName.TLS_KEY_BOUND).status()).isEqualTo(CheckStatus.FAIL);
  }

  // ---- helpers

  /** The fixture's quote, re-made over the binding of {@code claim} and signed by a software key posing as an AK. */
  private static TpmEvidence quoteOverBindingOf(ObjectNode claim) throws Exception {
    GatewayClaim.Trace trace = GatewayClaim.fromJson(claim.deepCopy().put("signature", "AA")).trace();
    Binding binding = Binding.of(trace);
    TpmEvidence real = TpmFixtures.evidence(TpmFixtures.ECC);
    TpmEvidence overBinding = new TpmEvidence(
        TpmFixtures.attestOver(real.attest(), binding.bytes()), real.signature(), real.akPublic(), real.pcrs());
    return TpmFixtures.signedBySoftwareKey(overBinding, TpmFixtures.AK_ATTRIBUTES);
  }

  private ObjectNode claim(String measurement, TpmEvidence evidence) {
    return claim(measurement, evidence.toJson());
  }

  /** Session s1's claim, carrying {@code evidenceJson} as a TPM gateway would. */
  private ObjectNode claim(String measurement, byte[] evidenceJson) {
    ObjectNode claim = gateway.unsignedClaim("s1");
    ObjectNode runtime = (ObjectNode) claim.get("trace").get("runtime");
    runtime.put("platform", "tpm");
    runtime.put("assurance", "measured-boot");
    runtime.put("measurement", measurement);
    runtime.put("evidence", Base64.getUrlEncoder().withoutPadding().encodeToString(evidenceJson));
    return gateway.sign(claim);
  }

  private static VerificationReport verify(ObjectNode claim, VerificationOptions options) {
    return ClaimVerifier.verify(TestGateway.bytes(claim), options);
  }
}
