package dev.cmcp.verify.claim;

import static dev.cmcp.verify.claim.CheckName.AUDIT_LOG;
import static dev.cmcp.verify.claim.CheckName.BINDING;
import static dev.cmcp.verify.claim.CheckName.BUNDLE_HASH;
import static dev.cmcp.verify.claim.CheckName.CLAIM_FORMAT;
import static dev.cmcp.verify.claim.CheckName.EVIDENCE;
import static dev.cmcp.verify.claim.CheckName.FRESHNESS;
import static dev.cmcp.verify.claim.CheckName.INCLUSION_PROOFS;
import static dev.cmcp.verify.claim.CheckName.MEASUREMENT;
import static dev.cmcp.verify.claim.CheckName.SIGNATURE;
import static dev.cmcp.verify.claim.CheckName.TLS_KEY_BOUND;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.verify.base.CanonicalJson;
import dev.cmcp.verify.base.CheckStatus;
import dev.cmcp.verify.base.Verdict;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClaimVerifierTest {

  @TempDir Path dir;

  private TestGateway gateway;
  private ObjectNode claim;

  @BeforeEach
  void issueAClaimForSessionOne() {
    gateway = TestGateway.withTwoSessions(dir);
    claim = gateway.claim("s1");
  }

  private static VerificationOptions allowSoftware() {
    return VerificationOptions.of(EvidencePolicy.ALLOW_SOFTWARE, TestGateway.ISSUED.plusSeconds(5));
  }

  private VerificationOptions withLog() {
    return allowSoftware().withAuditLog(gateway.log());
  }

  private static VerificationReport verify(ObjectNode claim, VerificationOptions options) {
    return ClaimVerifier.verify(TestGateway.bytes(claim), options);
  }

  private static void assertFails(VerificationReport report, CheckName check, String reasonPart) {
    assertThat(report.check(check).status()).as(report.toText()).isEqualTo(CheckStatus.FAIL);
    assertThat(report.check(check).reason()).contains(reasonPart);
    assertThat(report.result()).isEqualTo(Verdict.UNVERIFIED);
    assertThat(report.exitCode()).isEqualTo(1);
  }

  // --- an honest gateway's claim ---

  @Test
  void softwareClaimIsPartiallyVerifiedWithAllowSoftwareAndNeverExitsZero() {
    VerificationReport report = verify(claim, withLog()
        .withExpectedBundleHash(TestGateway.BUNDLE_HASH)
        .withExpectedMeasurement(TestGateway.MEASUREMENT));

    assertThat(report.result()).as(report.toText()).isEqualTo(Verdict.PARTIALLY_VERIFIED);
    assertThat(report.exitCode()).isEqualTo(3);
    assertThat(report.notEstablished()).singleElement().asString().startsWith("evidence: no offline root of trust");
    assertThat(report.verifiedClaim()).isEmpty();
    assertThat(report.check(EVIDENCE).status()).isEqualTo(CheckStatus.SKIP);
    assertThat(report.check(EVIDENCE).reason()).contains("software evidence: no hardware root of trust");
    for (CheckName name : List.of(SIGNATURE, CLAIM_FORMAT, BINDING, BUNDLE_HASH, MEASUREMENT, FRESHNESS, INCLUSION_PROOFS, AUDIT_LOG)) {
      assertThat(report.check(name).status()).as(name.label()).isEqualTo(CheckStatus.PASS);
    }
    assertThat(report.checks()).extracting(c -> c.name()).containsExactly(CheckName.values());
  }

  @Test
  void softwareClaimIsUnverifiedWithoutAllowSoftware() {
    VerificationReport report = verify(claim, VerificationOptions.of(EvidencePolicy.HARDWARE_ONLY, TestGateway.ISSUED));

    assertThat(report.check(EVIDENCE).status()).isEqualTo(CheckStatus.FAIL);
    assertThat(report.check(EVIDENCE).reason()).contains("software evidence: no hardware root of trust");
    assertThat(report.result()).isEqualTo(Verdict.UNVERIFIED);
    assertThat(report.exitCode()).isEqualTo(1);
  }

  /**
   * The attack the rule is for: anyone can make a key, sign a claim naming the expected bundle
   * with software evidence bound to that key, and pass every check. Such a claim must never
   * exit 0, whatever expectations are given: software evidence is at most partial, exit 3.
   */
  @Test
  void aSoftwareClaimForgedWithAnyonesKeyPassesEveryCheckButIsNeverASuccess() throws IOException {
    TestGateway attacker = TestGateway.withTwoSessions(Files.createDirectories(dir.resolve("attacker")));
    ObjectNode forged = attacker.claim("s1");
    assertThat(forged.at("/trace/cnf/jwk")).isNotEqualTo(claim.at("/trace/cnf/jwk"));

    VerificationReport report = verify(forged, allowSoftware().withAuditLog(attacker.log())
        .withExpectedBundleHash(TestGateway.BUNDLE_HASH)
        .withExpectedMeasurement(TestGateway.MEASUREMENT));

    assertThat(report.checks()).noneMatch(c -> c.status() == CheckStatus.FAIL);
    assertThat(report.result()).isEqualTo(Verdict.PARTIALLY_VERIFIED);
    assertThat(report.exitCode()).isNotZero().isEqualTo(3);
    assertThat(report.verifiedClaim()).isEmpty();
    assertThat(report.toText()).contains("NOT ESTABLISHED evidence: no offline root of trust")
        .contains("a forged claim passes every other check");
  }

  @Test
  void checksThatWereNotRequestedAreSkippedAndNamedAsNotEstablished() {
    VerificationReport report = verify(claim, allowSoftware());

    assertThat(report.check(BUNDLE_HASH).status()).isEqualTo(CheckStatus.SKIP);
    assertThat(report.check(MEASUREMENT).status()).isEqualTo(CheckStatus.SKIP);
    assertThat(report.check(AUDIT_LOG).status()).isEqualTo(CheckStatus.SKIP);
    assertThat(report.notEstablished()).hasSize(2).last().asString()
        .startsWith("bundle_hash: no --expected-bundle-hash given, so any policy bundle would pass");
    assertThat(report.exitCode()).isEqualTo(3);
  }

  @Test
  void anAcceptedRiskReplacesTheMissingExpectationInTheReport() {
    VerificationReport report = verify(claim, allowSoftware().accepting(AcceptedRisk.ANY_BUNDLE));

    assertThat(report.acceptedRisks()).containsExactly(AcceptedRisk.ANY_BUNDLE);
    assertThat(report.notEstablished()).noneMatch(gap -> gap.startsWith("bundle_hash"));
    assertThat(report.toJson().at("/accepted_risks/0/risk").asText()).isEqualTo("any_bundle");
  }

  @Test
  void anExpectationAndItsAcceptedAbsenceTogetherAreRefused() {
    assertThatThrownBy(() -> allowSoftware().withExpectedBundleHash(TestGateway.BUNDLE_HASH).accepting(AcceptedRisk.ANY_BUNDLE))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not both");
  }

  @Test
  void anAuditFolderIsReplayedWholeAndTheClaimsEpochComparedWithTheClaim() throws IOException {
    VerificationReport report = verify(claim, allowSoftware().withAuditDir(dir));

    assertThat(report.check(AUDIT_LOG).status()).as(report.toText()).isEqualTo(CheckStatus.PASS);
    assertThat(report.check(AUDIT_LOG).reason()).contains("the folder's 1 epochs link up");

    Path empty = Files.createDirectories(dir.resolve("empty"));
    Files.writeString(empty.resolve("audit-20261125T090000Z-00000000.jsonl.quarantined"), "x\n");
    VerificationReport noEpoch = verify(claim, allowSoftware().withAuditDir(empty));
    assertThat(noEpoch.check(AUDIT_LOG).status()).isEqualTo(CheckStatus.FAIL);
    assertThat(noEpoch.check(AUDIT_LOG).reason()).contains("holds no audit-*.jsonl epoch file")
        .contains("is quarantined, but no epoch's quarantine entry names it");
  }

  @Test
  void aClaimOverAPrefixOfALogThatKeptGrowingVerifies() {
    gateway.decide("s2", "crm.contacts", "allow", "forwarded", "allow-contacts");

    VerificationReport report = verify(claim, withLog());

    assertThat(report.check(AUDIT_LOG).status()).as(report.toText()).isEqualTo(CheckStatus.PASS);
    assertThat(report.check(AUDIT_LOG).reason()).contains("replayed 9 entries").contains("the first 8");
  }

  // --- the claim altered ---

  @Test
  void flippingAnyByteOfTheClaimLeavesItUnverified() {
    // Session s2's claim has one call with an outcome: every kind of field, in fewer bytes.
    byte[] original = CanonicalJson.bytes(gateway.claim("s2"));
    assertThat(ClaimVerifier.verify(original, allowSoftware()).result()).isEqualTo(Verdict.PARTIALLY_VERIFIED);
    VerificationOptions options = allowSoftware();
    for (int i = 0; i < original.length; i++) {
      byte[] altered = original.clone();
      altered[i] ^= 0x01;
      VerificationReport report = ClaimVerifier.verify(altered, options);
      assertThat(report.result()).as("byte %d ('%c')", i, (char) original[i]).isEqualTo(Verdict.UNVERIFIED);
      assertThat(report.exitCode()).isEqualTo(1);
    }
  }

  @Test
  void anAlteredSignatureFailsTheSignatureCheck() {
    String signature = claim.get("signature").asText();
    char last = signature.charAt(10);
    claim.put("signature", signature.substring(0, 10) + (last == 'A' ? 'B' : 'A') + signature.substring(11));

    assertFails(verify(claim, allowSoftware()), SIGNATURE, "does not verify");
  }

  @Test
  void aSignatureByAnotherKeyFailsTheSignatureCheck() {
    ObjectNode other = new TestGateway(dir.resolve("..")).claim("s1");
    claim.set("signature", other.get("signature"));

    assertFails(verify(claim, allowSoftware()), SIGNATURE, "does not verify");
  }

  @Test
  void anAlteredToolFailsTheSignatureAndTheAuditLog() {
    call(0).put("tool", "crm.export_all");

    VerificationReport report = verify(claim, withLog());

    assertFails(report, SIGNATURE, "does not verify");
    assertFails(report, AUDIT_LOG, "line 2: tool is \"crm.contacts\" in the log, \"crm.export_all\" in gateway.calls[0]");
  }

  @Test
  void aToolChangedAndReSignedIsCaughtOnlyByTheAuditLog() {
    call(2).put("decision", "deny");
    claim = gateway.sign(claim);

    VerificationReport report = verify(claim, withLog());

    assertThat(report.check(SIGNATURE).status()).isEqualTo(CheckStatus.PASS);
    assertThat(report.check(INCLUSION_PROOFS).status()).isEqualTo(CheckStatus.PASS);
    assertFails(report, AUDIT_LOG, "line 7: decision is \"allow\" in the log, \"deny\" in gateway.calls[2]");
  }

  @Test
  void anAlteredBundleHashFailsTheSignatureAndTheBinding() {
    policy().put("bundle_hash", "sha256:" + "99".repeat(32));

    VerificationReport report = verify(claim, allowSoftware());

    assertFails(report, SIGNATURE, "does not verify");
    assertFails(report, BINDING, "is not the binding of the claim's policy and key");
  }

  @Test
  void aPolicyChangedAndReSignedOverTheSameEvidenceFailsTheBinding() {
    policy().put("enforcement_mode", "advisory");
    claim = gateway.sign(claim);

    VerificationReport report = verify(claim, allowSoftware());

    assertThat(report.check(SIGNATURE).status()).isEqualTo(CheckStatus.PASS);
    assertFails(report, BINDING, "is not the binding of the claim's policy and key");
  }

  @Test
  void anAlteredRootFailsTheSignatureAndTheInclusionProofs() {
    chain().put("root", "00".repeat(32));

    VerificationReport report = verify(claim, allowSoftware());

    assertFails(report, SIGNATURE, "does not verify");
    assertFails(report, INCLUSION_PROOFS, "gateway.calls[0]: the inclusion proof of entry 1 does not lead to audit_chain.root");
  }

  @Test
  void aRootReSignedOverAnotherLogFailsTheInclusionProofsAndTheAuditLog() {
    chain().put("root", "00".repeat(32));
    claim = gateway.sign(claim);

    VerificationReport report = verify(claim, withLog());

    assertFails(report, INCLUSION_PROOFS, "does not lead to audit_chain.root");
    assertFails(report, AUDIT_LOG, "the Merkle root of the first 8 entries is");
  }

  @Test
  void evidenceForAnotherBindingFailsTheBinding() {
    Binding other = Binding.of(TestGateway.BUNDLE_HASH, TestGateway.CATALOG_HASH, "advisory", "someone-else");
    runtime().setAll(SoftwareEvidence.create(other, TestGateway.MEASUREMENT, TestGateway.BOOT));
    claim = gateway.sign(claim);

    assertFails(verify(claim, allowSoftware()), BINDING, "is not the binding");
  }

  /** Makes the claim one of a gateway serving TLS with the key {@code spki}: named in trace.tls and bound by the evidence. */
  private void serveTlsWithKey(String spki) throws Exception {
    String thumbprint = GatewayClaim.fromJson(claim).trace().cnf().thumbprint();
    ((ObjectNode) claim.get("trace")).putObject("tls").put("spki_sha256", spki);
    Binding bound = Binding.of(TestGateway.BUNDLE_HASH, TestGateway.CATALOG_HASH, "enforcing", thumbprint, Optional.of(spki));
    runtime().setAll(SoftwareEvidence.create(bound, TestGateway.MEASUREMENT, TestGateway.BOOT));
  }

  @Test
  void aClaimNamingTheTlsKeyItsEvidenceBindsPassesTlsKeyBound() throws Exception {
    serveTlsWithKey("5a".repeat(32));
    claim = gateway.sign(claim);

    VerificationReport report = verify(claim, withLog().withExpectedBundleHash(TestGateway.BUNDLE_HASH));

    assertThat(report.check(TLS_KEY_BOUND).status()).as(report.toText()).isEqualTo(CheckStatus.PASS);
    assertThat(report.check(TLS_KEY_BOUND).reason()).isEqualTo("the evidence binds TLS key SPKI sha256 " + "5a".repeat(32));
    assertThat(report.check(BINDING).status()).isEqualTo(CheckStatus.PASS);
    assertThat(report.result()).isEqualTo(Verdict.PARTIALLY_VERIFIED);
    assertThat(report.checks()).noneMatch(c -> c.status() == CheckStatus.FAIL);
  }

  @Test
  void aClaimWhoseTlsKeyHashWasChangedFailsTheBindingAndTlsKeyBound() throws Exception {
    serveTlsWithKey("5a".repeat(32));
    ((ObjectNode) claim.at("/trace/tls")).put("spki_sha256", "66".repeat(32));
    claim = gateway.sign(claim);

    VerificationReport report = verify(claim, allowSoftware());

    assertFails(report, BINDING, "is not the binding");
    assertFails(report, TLS_KEY_BOUND, "the evidence does not bind trace.tls.spki_sha256 " + "66".repeat(32));
  }

  @Test
  void aClaimWhoseTlsKeyWasAddedAfterTheEvidenceFailsTheBinding() {
    ((ObjectNode) claim.get("trace")).putObject("tls").put("spki_sha256", "5a".repeat(32));
    claim = gateway.sign(claim);

    VerificationReport report = verify(claim, allowSoftware());

    assertFails(report, BINDING, "is not the binding");
    assertFails(report, TLS_KEY_BOUND, "the evidence does not bind");
  }

  @Test
  void aClaimOfAGatewayWithoutTlsSkipsTlsKeyBoundAndStillVerifies() {
    VerificationReport report = verify(claim, allowSoftware());

    assertThat(report.check(TLS_KEY_BOUND).status()).isEqualTo(CheckStatus.SKIP);
    assertThat(report.check(TLS_KEY_BOUND).reason()).contains("tls.mode: off");
    assertThat(report.checks()).noneMatch(c -> c.status() == CheckStatus.FAIL);
  }

  @Test
  void aMalformedTlsMemberIsAFormatError() {
    ((ObjectNode) claim.get("trace")).putObject("tls").put("spki_sha256", "not-hex");
    claim = gateway.sign(claim);

    assertFails(verify(claim, allowSoftware()), CLAIM_FORMAT, "trace.tls.spki_sha256: expected 64 lower-case hex digits");
  }

  @Test
  void unreadableEvidenceFailsTheEvidenceCheckEvenWithAllowSoftware() {
    runtime().put("evidence", "bm90IGpzb24");
    claim = gateway.sign(claim);

    VerificationReport report = verify(claim, allowSoftware());

    assertFails(report, EVIDENCE, "trace.runtime.evidence: not JSON");
    assertThat(report.check(BINDING).status()).isEqualTo(CheckStatus.SKIP);
  }

  @Test
  void evidenceWhoseMeasurementDiffersFromTheClaimsFailsTheEvidenceCheck() {
    runtime().put("measurement", "77".repeat(32));
    claim = gateway.sign(claim);

    assertFails(verify(claim, allowSoftware()), EVIDENCE, "does not match the measurement inside the evidence");
  }

  @Test
  void theTpmPlatformWithSoftwareEvidenceFailsByItsFormat() {
    runtime().put("platform", "tpm");
    runtime().put("assurance", "measured-boot");
    claim = gateway.sign(claim);

    VerificationReport report = verify(claim, allowSoftware());

    assertFails(report, EVIDENCE, "trace.runtime.evidence.format: tpm evidence is \"cmcp-tpm-evidence-v1\", found \"cmcp-software-evidence-v1\"");
    assertThat(report.check(BINDING).status()).isEqualTo(CheckStatus.SKIP);
    assertThat(report.result()).isEqualTo(Verdict.UNVERIFIED);
  }

  @Test
  void aHardwarePlatformWithSoftwareEvidenceFailsByItsFormat() {
    runtime().put("platform", "sev-snp");
    runtime().put("assurance", "confidential-vm");
    claim = gateway.sign(claim);

    VerificationReport report = verify(claim, allowSoftware());

    assertFails(report, EVIDENCE, "trace.runtime.evidence.format: sev-snp evidence is \"cmcp-snp-evidence-v1\", found \"cmcp-software-evidence-v1\"");
    assertThat(report.check(BINDING).status()).isEqualTo(CheckStatus.SKIP);
  }

  // --- the auditor's expectations ---

  @Test
  void anotherExpectedBundleHashFailsTheBundleHashCheck() {
    VerificationReport report = verify(claim, allowSoftware().withExpectedBundleHash("sha256:" + "12".repeat(32)));

    assertFails(report, BUNDLE_HASH, "trace.policy.bundle_hash is " + TestGateway.BUNDLE_HASH);
  }

  @Test
  void aCallDecidedUnderAnotherBundleFailsTheBundleHashCheck() {
    call(1).put("bundle_hash", "sha256:" + "12".repeat(32));
    claim = gateway.sign(claim);

    assertFails(verify(claim, allowSoftware().withExpectedBundleHash(TestGateway.BUNDLE_HASH)),
        BUNDLE_HASH, "gateway.calls[1] was decided under sha256:1212");
  }

  @Test
  void anotherExpectedMeasurementFailsTheMeasurementCheck() {
    assertFails(verify(claim, allowSoftware().withExpectedMeasurement("AA".repeat(32))),
        MEASUREMENT, "expected " + "aa".repeat(32));
  }

  @Test
  void anExpiredClaimFailsFreshness() {
    VerificationOptions late = VerificationOptions.of(EvidencePolicy.ALLOW_SOFTWARE, TestGateway.EXPIRES.plusSeconds(1));

    assertFails(verify(claim, late), FRESHNESS, "expired at " + TestGateway.EXPIRES);
  }

  @Test
  void aClaimFromTheFutureFailsFreshness() {
    VerificationOptions early = VerificationOptions.of(EvidencePolicy.ALLOW_SOFTWARE, TestGateway.ISSUED.minusSeconds(1));

    assertFails(verify(claim, early), FRESHNESS, "after now");
  }

  @Test
  void freshnessIncludesBothEndsOfTheValidityWindow() {
    for (Instant now : List.of(TestGateway.ISSUED, TestGateway.EXPIRES)) {
      VerificationReport report = verify(claim, VerificationOptions.of(EvidencePolicy.ALLOW_SOFTWARE, now));
      assertThat(report.check(FRESHNESS).status()).isEqualTo(CheckStatus.PASS);
    }
  }

  // --- inclusion proofs ---

  @Test
  void theProofOfAnotherSessionsEntryFailsTheInclusionProofs() {
    call(0).set("inclusion_proof", strings(gateway.proof(2, 8)));
    call(0).put("entry_sha256", gateway.entryHash(2));
    claim = gateway.sign(claim);

    assertFails(verify(claim, allowSoftware()), INCLUSION_PROOFS, "gateway.calls[0]: the inclusion proof of entry 1");
  }

  @Test
  void aWrongIndexFailsTheInclusionProofs() {
    call(2).put("index", 4);
    claim = gateway.sign(claim);

    assertFails(verify(claim, allowSoftware()), INCLUSION_PROOFS, "gateway.calls[2]: the inclusion proof of entry 4");
  }

  @Test
  void anotherSessionsEntryClaimedConsistentlyFailsTheAuditLog() {
    ObjectNode foreign = (ObjectNode) gateway.unsignedClaim("s2").at("/gateway/calls/0");
    ((ArrayNode) claim.at("/gateway/calls")).add(foreign);
    claim = gateway.sign(claim);

    VerificationReport report = verify(claim, withLog());

    assertThat(report.check(INCLUSION_PROOFS).status()).isEqualTo(CheckStatus.PASS);
    assertFails(report, AUDIT_LOG, "line 3: session_id is \"s2\" in the log, \"s1\" in gateway.calls[3]");
  }

  @Test
  void anOutcomeEntryOfAnotherCallFailsTheAuditLog() {
    call(0).put("outcome_index", 4);
    call(0).put("outcome_entry_sha256", gateway.entryHash(4));
    call(0).set("outcome_inclusion_proof", strings(gateway.proof(4, 8)));
    claim = gateway.sign(claim);

    assertFails(verify(claim, withLog()), AUDIT_LOG, "line 5: the outcome entry is not the outcome of entry 1");
  }

  // --- the audit log altered ---

  @Test
  void aTamperedLogLineFailsTheAuditLogAtTheNextLine() throws IOException {
    List<String> lines = lines();
    lines.set(1, lines.get(1).replace("crm.contacts", "crm.contactz"));
    write(lines);

    assertFails(verify(claim, withLog()), AUDIT_LOG, "line 3: prev does not match the hash of line 2");
  }

  @Test
  void aTamperedLastLineFailsTheAuditLogAtTheTip() throws IOException {
    List<String> lines = lines();
    lines.set(7, lines.get(7).replace("upstream_error", "ok"));
    write(lines);

    assertFails(verify(claim, withLog()), AUDIT_LOG, "the Merkle root of the first 8 entries");
  }

  @Test
  void aBrokenPrevLinkFailsTheAuditLog() throws IOException {
    List<String> lines = lines();
    lines.set(4, lines.get(4).replaceFirst("\"prev\":\"[0-9a-f]{64}\"", "\"prev\":\"" + "00".repeat(32) + "\""));
    write(lines);

    assertFails(verify(claim, withLog()), AUDIT_LOG, "line 5: prev does not match the hash of line 4");
  }

  @Test
  void aTruncatedLogFailsTheAuditLogNamingTheMissingLine() throws IOException {
    write(lines().subList(0, 6));

    assertFails(verify(claim, withLog()), AUDIT_LOG, "line 7: missing: the claim covers 8 entries");
  }

  @Test
  void aTornLastLineFailsTheAuditLog() throws IOException {
    byte[] log = Files.readAllBytes(gateway.log());
    Files.write(gateway.log(), Arrays.copyOf(log, log.length - 10));

    assertFails(verify(claim, withLog()), AUDIT_LOG, "line 8: not terminated by a newline");
  }

  @Test
  void reorderedLinesFailTheAuditLog() throws IOException {
    List<String> lines = lines();
    String third = lines.get(2);
    lines.set(2, lines.get(3));
    lines.set(3, third);
    write(lines);

    assertFails(verify(claim, withLog()), AUDIT_LOG, "line 3: index is 3, expected 2");
  }

  @Test
  void aNonCanonicalLineFailsTheAuditLog() throws IOException {
    List<String> lines = lines();
    lines.set(3, lines.get(3).replace("{\"decision_index\":", "{ \"decision_index\":"));
    write(lines);

    assertFails(verify(claim, withLog()), AUDIT_LOG, "line 4: not in canonical form");
  }

  @Test
  void aClaimOnAnotherEpochsChainFailsTheAuditLog() {
    chain().put("epoch", "20261125T100000Z-deadbeef");
    claim = gateway.sign(claim);

    assertFails(verify(claim, withLog()), AUDIT_LOG,
        "the log holds epoch " + TestGateway.EPOCH + ", the claim's audit_chain names epoch 20261125T100000Z-deadbeef");
  }

  @Test
  void aMissingLogFailsTheAuditLog() {
    VerificationReport report = verify(claim, allowSoftware().withAuditLog(dir.resolve("nowhere.jsonl")));

    assertFails(report, AUDIT_LOG, "not found");
  }

  // --- unreadable claims ---

  @Test
  void aClaimThatIsNotJsonFailsClaimFormatAndSkipsTheRest() {
    VerificationReport report = ClaimVerifier.verify("{\"trace\":".getBytes(StandardCharsets.UTF_8), allowSoftware());

    assertFails(report, CLAIM_FORMAT, "not well-formed JSON");
    assertThat(report.checks()).filteredOn(c -> c.name() != CLAIM_FORMAT).allMatch(c -> c.status() == CheckStatus.SKIP);
  }

  @Test
  void anUnknownFieldIsNamed() {
    call(1).put("note", "trust me");
    claim = gateway.sign(claim);

    assertFails(verify(claim, allowSoftware()), CLAIM_FORMAT, "gateway.calls[1].note: unknown field");
  }

  @Test
  void aDuplicateKeyIsRejected() {
    String json = new String(TestGateway.bytes(claim), StandardCharsets.UTF_8)
        .replaceFirst("\"session_id\" : \"s1\"", "\"session_id\" : \"s1\", \"session_id\" : \"s2\"");

    assertFails(ClaimVerifier.verify(json.getBytes(StandardCharsets.UTF_8), allowSoftware()), CLAIM_FORMAT, "Duplicate field");
  }

  @Test
  void aBlockedCallWithAnOutcomeIsMalformed() {
    call(1).put("outcome_index", 7);
    call(1).put("outcome_entry_sha256", gateway.entryHash(7));
    call(1).set("outcome_inclusion_proof", strings(gateway.proof(7, 8)));
    claim = gateway.sign(claim);

    assertFails(verify(claim, allowSoftware()), CLAIM_FORMAT, "a blocked call was never forwarded");
  }

  // --- rendering ---

  @Test
  void theTextReportHasOneLinePerCheckAndTheResult() {
    String text = verify(claim, allowSoftware()).toText();

    // Every check, the two things not established (no root of trust, no expected bundle), the result.
    assertThat(text.lines()).hasSize(CheckName.values().length + 3);
    assertThat(text).contains("PASS signature        Ed25519 signature over the claim verifies with cnf.jwk\n");
    assertThat(text).endsWith("result: partially_verified\n");
  }

  @Test
  void theJsonReportNamesEveryCheck() {
    ObjectNode json = verify(claim, VerificationOptions.of(EvidencePolicy.HARDWARE_ONLY, TestGateway.ISSUED)).toJson();

    assertThat(json.get("result").asText()).isEqualTo("unverified");
    assertThat(json.get("exit_code").asInt()).isEqualTo(1);
    assertThat(json.get("checks")).hasSize(CheckName.values().length);
    assertThat(json.at("/checks/2/name").asText()).isEqualTo("evidence");
    assertThat(json.at("/checks/2/status").asText()).isEqualTo("fail");
  }

  // --- helpers ---

  private ObjectNode call(int position) {
    return (ObjectNode) claim.at("/gateway/calls/" + position);
  }

  private ObjectNode policy() {
    return (ObjectNode) claim.at("/trace/policy");
  }

  private ObjectNode runtime() {
    return (ObjectNode) claim.at("/trace/runtime");
  }

  private ObjectNode chain() {
    return (ObjectNode) claim.at("/gateway/audit_chain");
  }

  private List<String> lines() throws IOException {
    return new ArrayList<>(Files.readAllLines(gateway.log(), StandardCharsets.UTF_8));
  }

  private void write(List<String> lines) throws IOException {
    Files.writeString(gateway.log(), String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
  }

  private static ArrayNode strings(List<String> values) {
    ArrayNode array = JsonNodeFactory.instance.arrayNode();
    values.forEach(array::add);
    return array;
  }
}
