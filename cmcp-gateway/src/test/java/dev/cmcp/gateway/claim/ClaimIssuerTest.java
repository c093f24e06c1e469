package dev.cmcp.gateway.claim;

import static dev.cmcp.gateway.audit.AuditFixtures.BUNDLE_HASH;
import static dev.cmcp.gateway.audit.AuditFixtures.CATALOG_HASH;
import static dev.cmcp.gateway.audit.AuditFixtures.CLOCK;
import static dev.cmcp.gateway.audit.AuditFixtures.MEASUREMENT;
import static dev.cmcp.gateway.audit.AuditFixtures.NOW;
import static dev.cmcp.gateway.audit.AuditFixtures.advisoryDenied;
import static dev.cmcp.gateway.audit.AuditFixtures.allowed;
import static dev.cmcp.gateway.audit.AuditFixtures.blocked;
import static dev.cmcp.gateway.audit.AuditFixtures.genesis;
import static dev.cmcp.gateway.audit.AuditFixtures.ok;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.gateway.audit.AuditLog;
import dev.cmcp.gateway.audit.CheckpointPolicy;
import dev.cmcp.gateway.audit.RotationPolicy;
import dev.cmcp.verify.audit.AuditFolder;
import dev.cmcp.verify.audit.AuditRecord.Decision;
import dev.cmcp.verify.base.CanonicalJson;
import dev.cmcp.verify.base.CheckStatus;
import dev.cmcp.verify.base.Verdict;
import dev.cmcp.verify.claim.Binding;
import dev.cmcp.verify.claim.CheckName;
import dev.cmcp.verify.claim.ClaimSigner;
import dev.cmcp.verify.claim.ClaimVerifier;
import dev.cmcp.verify.claim.EvidencePolicy;
import dev.cmcp.verify.claim.SoftwareEvidence;
import dev.cmcp.verify.claim.VerificationOptions;
import dev.cmcp.verify.claim.VerificationReport;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClaimIssuerTest {

  private static final long VALIDITY_SECONDS = 300;

  @TempDir Path dir;

  private AuditLog log;
  private ClaimIssuer issuer;

  /** Wired as Gateway.start wires it: a fresh Ed25519 key, bound into software evidence. */
  @BeforeEach
  void startAGateway() throws Exception {
    ClaimSigner signer = new ClaimSigner(KeyPairGenerator.getInstance("Ed25519").generateKeyPair());
    Binding binding = Binding.of(BUNDLE_HASH, CATALOG_HASH, "enforcing", signer.jwk().thumbprint());
    ObjectNode runtime = SoftwareEvidence.create(binding, MEASUREMENT, CLOCK.instant());
    log = AuditLog.open(dir, genesis(signer.jwk().thumbprint()), CLOCK);
    issuer = new ClaimIssuer(signer, () -> runtime, BUNDLE_HASH, CATALOG_HASH, "enforcing", VALIDITY_SECONDS, log,
        dir.resolve("claims"), CLOCK);
  }

  @Test
  void aGatewayServingTlsNamesItsKeyInEveryClaimAndTheEvidenceBindsIt() throws Exception {
    ClaimSigner signer = new ClaimSigner(KeyPairGenerator.getInstance("Ed25519").generateKeyPair());
    String spki = "5a".repeat(32);
    Binding binding = Binding.of(BUNDLE_HASH, CATALOG_HASH, "enforcing", signer.jwk().thumbprint(), java.util.Optional.of(spki));
    ObjectNode runtime = SoftwareEvidence.create(binding, MEASUREMENT, CLOCK.instant());
    log.close();
    log = AuditLog.open(dir.resolve("tls"), genesis(signer.jwk().thumbprint()), CLOCK);
    ClaimIssuer tlsIssuer = new ClaimIssuer(signer, () -> new ClaimIssuer.Attested(BUNDLE_HASH, CATALOG_HASH, runtime), "enforcing",
        VALIDITY_SECONDS, log, dir.resolve("claims"), CLOCK, java.util.Optional.of(spki));
    log.appendDecision(blocked("s1", "crm.delete"));

    ObjectNode claim = tlsIssuer.issue("s1");

    assertThat(claim.at("/trace/tls/spki_sha256").asText()).isEqualTo(spki);
    VerificationReport report = verify(claim);
    assertThat(report.check(CheckName.TLS_KEY_BOUND).status()).as(report.toText()).isEqualTo(CheckStatus.PASS);
    assertThat(report.checks()).noneMatch(c -> c.status() == CheckStatus.FAIL);
  }

  @AfterEach
  void stop() {
    log.close();
  }

  @Test
  void aClaimOverAllowedAdvisoryDeniedAndBlockedCallsVerifiesAgainstTheLog() throws Exception {
    long read = log.appendDecision(allowed("s1", "crm.read"));
    log.appendOutcome(ok(read, "s1", "crm.read"));
    long export = log.appendDecision(advisoryDenied("s1", "crm.export"));
    long delete = log.appendDecision(blocked("s1", "crm.delete"));

    ObjectNode claim = issuer.issue("s1");

    VerificationReport report = verify(claim);
    assertThat(report.result()).as(report.toText()).isEqualTo(Verdict.PARTIALLY_VERIFIED);
    for (CheckName check : CheckName.values()) {
      // This gateway serves no TLS, so no TLS key is bound.
      CheckStatus expected = check == CheckName.EVIDENCE || check == CheckName.TLS_KEY_BOUND ? CheckStatus.SKIP : CheckStatus.PASS;
      assertThat(report.check(check).status()).as(report.toText()).isEqualTo(expected);
    }

    JsonNode gateway = claim.path("gateway");
    assertThat(gateway.path("session_id").asText()).isEqualTo("s1");
    assertThat(gateway.path("workflow_id").asText()).isEqualTo("wf-s1");
    assertThat(gateway.at("/audit_chain/length").asLong()).isEqualTo(log.snapshot().length()).isEqualTo(5);
    assertThat(gateway.at("/audit_chain/epoch").asText()).isEqualTo(log.epoch());
    JsonNode calls = gateway.path("calls");
    assertThat(calls).hasSize(3);
    assertThat(calls.get(0).path("index").asLong()).isEqualTo(read);
    assertThat(calls.get(0).path("outcome_index").asLong()).isEqualTo(read + 1);
    assertThat(calls.get(0).path("result_sha256").asText()).isEqualTo("d".repeat(64));
    assertThat(calls.get(1).path("index").asLong()).isEqualTo(export);
    assertThat(calls.get(1).path("decision").asText()).isEqualTo("deny");
    assertThat(calls.get(1).path("enforced").asText()).isEqualTo("forwarded");
    assertThat(calls.get(1).get("outcome_index").isNull()).as("not answered yet").isTrue();
    assertThat(calls.get(2).path("index").asLong()).isEqualTo(delete);
    assertThat(calls.get(2).path("enforced").asText()).isEqualTo("blocked");
    assertThat(calls.get(2).get("result_sha256").isNull()).isTrue();
    assertThat(claim.at("/trace/exp").asLong() - claim.at("/trace/iat").asLong()).isEqualTo(VALIDITY_SECONDS);
  }

  @Test
  void aTaskCallShowsItsLatestOutcomeAndTheClaimVerifies() throws Exception {
    // An MCP 2025-11-25 task: the outcome task_created, then the result fetched later, both of one decision.
    long created = log.appendDecision(allowed("s1", "crm.research"));
    log.appendOutcome(new dev.cmcp.verify.audit.AuditRecord.Outcome(created, "s1", "crm.research", "task_created",
        java.util.Optional.of("a".repeat(64)), java.util.Optional.empty(), java.util.Optional.empty()));
    long between = log.appendDecision(allowed("s1", "crm.read"));
    log.appendOutcome(ok(between, "s1", "crm.read"));
    long fetched = log.appendOutcome(ok(created, "s1", "crm.research"));

    ObjectNode claim = issuer.issue("s1");

    VerificationReport report = verify(claim);
    assertThat(report.result()).as(report.toText()).isEqualTo(Verdict.PARTIALLY_VERIFIED);
    JsonNode task = claim.at("/gateway/calls/0");
    assertThat(task.path("index").asLong()).isEqualTo(created);
    assertThat(task.path("outcome_index").asLong()).isEqualTo(fetched);
    assertThat(task.path("result_sha256").asText()).isEqualTo("d".repeat(64));
  }

  @Test
  void aCallAPersonApprovedSaysSoInTheClaimAndTheVerifierHoldsItToTheLog() throws Exception {
    Decision plain = allowed("s1", "crm.read");
    Decision approved = new Decision(plain.sessionId(), plain.workflowId(), "crm.export", plain.decision(), plain.enforced(),
        plain.cause(), plain.policies(), plain.argumentsSha256(), plain.bundleHash(), plain.mode(), plain.action(),
        plain.requestId(), plain.traceId(), plain.principal(), Optional.of("accepted"));
    log.appendDecision(plain);
    log.appendDecision(approved);

    ObjectNode claim = issuer.issue("s1");

    assertThat(claim.at("/gateway/calls/0").has("approval")).isFalse();
    assertThat(claim.at("/gateway/calls/1/approval").asText()).isEqualTo("accepted");
    VerificationReport report = verify(claim);
    assertThat(report.result()).as(report.toText()).isEqualTo(Verdict.PARTIALLY_VERIFIED);
  }

  @Test
  void theClaimIsWrittenUnderTheClaimsFolderExactlyAsReturned() throws Exception {
    log.appendDecision(allowed("s1", "crm.read"));

    ObjectNode claim = issuer.issue("s1");

    List<Path> written = claimFiles();
    assertThat(written).singleElement().satisfies(file -> {
      assertThat(file.getFileName().toString()).startsWith(log.epoch() + "-000001-").endsWith("-s1.json");
      assertThat(Files.readString(file, StandardCharsets.UTF_8)).isEqualTo(CanonicalJson.string(claim) + "\n");
      assertThat(verify(Files.readAllBytes(file)).result()).isEqualTo(Verdict.PARTIALLY_VERIFIED);
    });
  }

  @Test
  void aClaimListsOnlyItsOwnSessionsCallsWhenOthersInterleave() throws Exception {
    List<Long> own = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      long mine = log.appendDecision(allowed("s1", "crm.read"));
      own.add(mine);
      long theirs = log.appendDecision(allowed("s2", "crm.read"));
      log.appendOutcome(ok(theirs, "s2", "crm.read"));
      log.appendOutcome(ok(mine, "s1", "crm.read"));
    }
    log.appendDecision(blocked("s2", "crm.delete"));

    ObjectNode claim = issuer.issue("s1");

    List<Long> listed = new ArrayList<>();
    claim.at("/gateway/calls").forEach(call -> listed.add(call.path("index").asLong()));
    assertThat(listed).containsExactlyElementsOf(own);
    VerificationReport report = verify(claim);
    assertThat(report.result()).as(report.toText()).isEqualTo(Verdict.PARTIALLY_VERIFIED);
  }

  @Test
  void aSessionIsKnownOnlyOnceItHasACall() throws Exception {
    assertThat(issuer.knows("s1")).isFalse();
    log.appendDecision(blocked("s1", "crm.delete"));

    assertThat(issuer.knows("s1")).isTrue();
    assertThat(issuer.knows("s2")).isFalse();
  }

  @Test
  void claimsIssuedAtTheSameTimeForOneSessionAreAllWritten() throws Exception {
    long read = log.appendDecision(allowed("s1", "crm.read"));
    log.appendOutcome(ok(read, "s1", "crm.read"));

    List<Future<ObjectNode>> claims = new ArrayList<>();
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < 16; i++) {
        claims.add(pool.submit(() -> issuer.issue("s1")));
      }
    }
    for (Future<ObjectNode> claim : claims) {
      assertThat(verify(claim.get()).result()).isEqualTo(Verdict.PARTIALLY_VERIFIED);
    }
    assertThat(claimFiles()).as("one file per claim, numbered in issue order, no temporary left").hasSize(16);
  }

  @Test
  void anEpochClosedByRotationHasItsSessionsClaimedAgainstItsOwnFileAndTheClaimsVerify() throws Exception {
    ClaimSigner signer = new ClaimSigner(KeyPairGenerator.getInstance("Ed25519").generateKeyPair());
    ObjectNode runtime = SoftwareEvidence.create(Binding.of(BUNDLE_HASH, CATALOG_HASH, "enforcing", signer.jwk().thumbprint()),
        MEASUREMENT, CLOCK.instant());
    Path folder = dir.resolve("rotating");
    MovingClock logClock = new MovingClock();
    List<ClaimIssuer.Unclaimed> atRotation = new ArrayList<>();
    Path first;
    Path second;
    try (AuditLog rotating = AuditLog.open(folder, genesis(signer.jwk().thumbprint()), logClock, (nanos, entries) -> { },
        new CheckpointPolicy(1_000, Duration.ZERO), signer, Duration.ZERO, new RotationPolicy(0, Duration.ofHours(1)))) {
      ClaimIssuer rotatingIssuer = new ClaimIssuer(signer, () -> runtime, BUNDLE_HASH, CATALOG_HASH, "enforcing",
          VALIDITY_SECONDS, rotating, folder.resolve("claims"), CLOCK);
      rotating.onRotation(closed -> atRotation.add(rotatingIssuer.issueUnclaimed(closed, 100)));
      first = rotating.file();
      AuditLog.Position read = rotating.recordDecision(allowed("s1", "crm.read"));
      rotating.appendOutcome(ok(read.index(), "s1", "crm.read").inEpoch(Optional.of(read.epoch())));

      logClock.now = logClock.now.plus(Duration.ofHours(2));
      rotating.appendDecision(blocked("s2", "crm.delete"));
      second = rotating.file();
      assertThat(second).isNotEqualTo(first);
      assertThat(atRotation).singleElement().satisfies(done -> assertThat(done.written()).isEqualTo(1));
      assertThat(rotatingIssuer.knows("s1")).as("the current epoch indexes only its own calls").isFalse();
      assertThat(rotatingIssuer.issueUnclaimed(100).written()).as("s2, at the stop").isEqualTo(1);
    }

    try (Stream<Path> files = Files.list(folder.resolve("claims"))) {
      List<Path> claims = files.sorted().toList();
      assertThat(claims).hasSize(2);
      String firstEpoch = first.getFileName().toString().replace("audit-", "").replace(".jsonl", "");
      assertThat(claims.get(0).getFileName().toString()).startsWith(firstEpoch).endsWith("-s1.json");
      VerificationReport report = verify(Files.readAllBytes(claims.get(0)), first);
      assertThat(report.result()).as(report.toText()).isEqualTo(Verdict.PARTIALLY_VERIFIED);
      assertThat(verify(Files.readAllBytes(claims.get(1)), second).result()).isEqualTo(Verdict.PARTIALLY_VERIFIED);
      // As cmcp verify --audit-dir: the folder's rotated files link up, and the claim's epoch is found among them.
      VerificationReport inFolder = ClaimVerifier.verify(Files.readAllBytes(claims.get(0)),
          VerificationOptions.of(EvidencePolicy.ALLOW_SOFTWARE, NOW.plusSeconds(1)).withAuditDir(folder)
              .withExpectedBundleHash(BUNDLE_HASH).withExpectedMeasurement(MEASUREMENT));
      assertThat(inFolder.check(CheckName.AUDIT_LOG).status()).as(inFolder.toText()).isEqualTo(CheckStatus.PASS);
      assertThat(inFolder.check(CheckName.AUDIT_LOG).reason()).contains("2 epochs link up");
    }
    assertThat(AuditFolder.verify(folder).faults()).isEmpty();
  }

  private static VerificationReport verify(byte[] claim, Path auditLog) {
    return ClaimVerifier.verify(claim, VerificationOptions.of(EvidencePolicy.ALLOW_SOFTWARE, NOW.plusSeconds(1))
        .withAuditLog(auditLog).withExpectedBundleHash(BUNDLE_HASH).withExpectedMeasurement(MEASUREMENT));
  }

  /** A clock a test moves. */
  private static final class MovingClock extends java.time.Clock {
    volatile java.time.Instant now = NOW;

    @Override
    public java.time.ZoneId getZone() {
      return java.time.ZoneOffset.UTC;
    }

    @Override
    public java.time.Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public java.time.Instant instant() {
      return now;
    }
  }

  private VerificationReport verify(ObjectNode claim) {
    return verify(CanonicalJson.bytes(claim));
  }

  private VerificationReport verify(byte[] claim) {
    VerificationOptions options = VerificationOptions.of(EvidencePolicy.ALLOW_SOFTWARE, NOW.plusSeconds(1))
        .withAuditLog(log.file())
        .withExpectedBundleHash(BUNDLE_HASH)
        .withExpectedMeasurement(MEASUREMENT);
    return ClaimVerifier.verify(claim, options);
  }

  private List<Path> claimFiles() throws IOException {
    try (Stream<Path> files = Files.list(dir.resolve("claims"))) {
      return files.toList();
    }
  }
}
