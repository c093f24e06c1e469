package dev.cmcp.gateway.audit;

import static dev.cmcp.gateway.audit.AuditFixtures.BUNDLE_HASH;
import static dev.cmcp.gateway.audit.AuditFixtures.CATALOG_HASH;
import static dev.cmcp.gateway.audit.AuditFixtures.CLOCK;
import static dev.cmcp.gateway.audit.AuditFixtures.MEASUREMENT;
import static dev.cmcp.gateway.audit.AuditFixtures.advisoryDenied;
import static dev.cmcp.gateway.audit.AuditFixtures.allowed;
import static dev.cmcp.gateway.audit.AuditFixtures.blocked;
import static dev.cmcp.gateway.audit.AuditFixtures.entries;
import static dev.cmcp.gateway.audit.AuditFixtures.genesis;
import static dev.cmcp.gateway.audit.AuditFixtures.ok;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cmcp.gateway.audit.AuditLog.RecordedCall;
import dev.cmcp.gateway.audit.AuditLog.Snapshot;
import dev.cmcp.verify.audit.AuditEntry;
import dev.cmcp.verify.audit.AuditLogReplay;
import dev.cmcp.verify.audit.ChainHead;
import dev.cmcp.verify.audit.MerkleTree;
import dev.cmcp.verify.base.CanonicalJson;
import dev.cmcp.verify.base.Digests;
import dev.cmcp.verify.base.StrictJson;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuditLogTest {

  private static final HexFormat HEX = HexFormat.of();

  @TempDir Path dir;

  @Test
  void aFreshFolderStartsWithAGenesisEntryLinkedToNothing() throws Exception {
    try (AuditLog log = AuditLog.open(dir, genesis("thumb-1"), CLOCK)) {
      assertThat(log.epoch()).matches("20261125T100000Z-[0-9a-f]{8}");
      assertThat(log.file()).isEqualTo(dir.resolve("audit-" + log.epoch() + ".jsonl"));

      List<JsonNode> entries = entries(log.file());
      assertThat(entries).hasSize(1);
      JsonNode genesis = entries.get(0);
      assertThat(genesis.path("index").asLong()).isZero();
      assertThat(genesis.path("type").asText()).isEqualTo("genesis");
      assertThat(genesis.path("time").asText()).isEqualTo("2026-11-25T10:00:00.000Z");
      assertThat(genesis.path("epoch").asText()).isEqualTo(log.epoch());
      assertThat(genesis.path("prev").asText()).isEqualTo(AuditEntry.NO_PREDECESSOR).hasSize(64);
      assertThat(genesis.path("gateway_version").asText()).isEqualTo("1.2.3");
      assertThat(genesis.path("platform").asText()).isEqualTo("software");
      assertThat(genesis.path("measurement").asText()).isEqualTo(MEASUREMENT);
      assertThat(genesis.path("bundle_hash").asText()).isEqualTo(BUNDLE_HASH);
      assertThat(genesis.path("catalog_hash").asText()).isEqualTo(CATALOG_HASH);
      assertThat(genesis.path("enforcement_mode").asText()).isEqualTo("enforcing");
      assertThat(genesis.path("key_thumbprint").asText()).isEqualTo("thumb-1");
      assertThat(genesis.get("previous_epoch").isNull()).isTrue();

      Snapshot snapshot = log.snapshot();
      assertThat(snapshot.length()).isEqualTo(1);
      assertThat(snapshot.tip()).isEqualTo(AuditEntry.entryHashHex(genesis));
    }
  }

  @Test
  void entriesWithEscapedAndNonAsciiTextAreStoredInCanonicalForm() throws Exception {
    try (AuditLog log = AuditLog.open(dir, genesis("thumb-1"), CLOCK)) {
      // Keys sort by UTF-16 code units and strings escape only what RFC 8785 asks: the stored
      // line must be exactly what canonicalising the whole entry gives.
      String session = "sess\u00e9\"\\\n\ud83d\ude00\u007f\u2028";
      long decision = log.appendDecision(allowed(session, "crm.\u00fcber"));
      log.appendOutcome(ok(decision, session, "crm.\u00fcber"));

      List<String> lines = Files.readAllLines(log.file(), StandardCharsets.UTF_8);
      for (String line : lines) {
        assertThat(CanonicalJson.canonicalize(line)).isEqualTo(line);
      }
      assertThat(AuditLogReplay.replay(log.file())).isInstanceOf(AuditLogReplay.Intact.class);
      assertThat(log.callsOf(session)).singleElement().satisfies(call -> assertThat(call.outcomeIndex()).contains(2L));
    }
  }

  @Test
  void aDecisionAndItsOutcomeAreRecordedWithEveryField() throws Exception {
    try (AuditLog log = AuditLog.open(dir, genesis("thumb-1"), CLOCK)) {
      long decision = log.appendDecision(advisoryDenied("s1", "crm.export"));
      long outcome = log.appendOutcome(ok(decision, "s1", "crm.export"));

      assertThat(decision).isEqualTo(1);
      assertThat(outcome).isEqualTo(2);
      List<JsonNode> entries = entries(log.file());
      assertThat(entries).hasSize(3);

      JsonNode d = entries.get(1);
      assertThat(d.path("type").asText()).isEqualTo("decision");
      assertThat(d.path("index").asLong()).isEqualTo(1);
      assertThat(d.path("epoch").asText()).isEqualTo(log.epoch());
      assertThat(d.path("prev").asText()).isEqualTo(AuditEntry.entryHashHex(entries.get(0)));
      assertThat(d.path("session_id").asText()).isEqualTo("s1");
      assertThat(d.path("workflow_id").asText()).isEqualTo("wf-s1");
      assertThat(d.path("tool").asText()).isEqualTo("crm.export");
      assertThat(d.path("decision").asText()).isEqualTo("deny");
      assertThat(d.path("enforced").asText()).isEqualTo("forwarded");
      assertThat(d.path("cause").asText()).isEqualTo("forbidden_by_policy");
      assertThat(d.path("policies").toString()).isEqualTo("[\"forbid-export\"]");
      assertThat(d.path("arguments_sha256").asText()).isEqualTo("b".repeat(64));
      assertThat(d.path("bundle_hash").asText()).isEqualTo(BUNDLE_HASH);
      assertThat(d.path("mode").asText()).isEqualTo("advisory");

      JsonNode o = entries.get(2);
      assertThat(o.path("type").asText()).isEqualTo("outcome");
      assertThat(o.path("prev").asText()).isEqualTo(AuditEntry.entryHashHex(d));
      assertThat(o.path("decision_index").asLong()).isEqualTo(1);
      assertThat(o.path("session_id").asText()).isEqualTo("s1");
      assertThat(o.path("tool").asText()).isEqualTo("crm.export");
      assertThat(o.path("outcome").asText()).isEqualTo("ok");
      assertThat(o.path("result_sha256").asText()).isEqualTo("d".repeat(64));
      assertThat(o.get("redactions").isNull()).isTrue();

      assertThat(log.callsOf("s1")).singleElement().satisfies(call -> {
        assertThat(call.decisionIndex()).isEqualTo(1);
        assertThat(call.decisionEntrySha256()).isEqualTo(AuditEntry.entryHashHex(d));
        assertThat(call.outcomeIndex()).contains(2L);
        assertThat(call.outcomeEntrySha256()).contains(AuditEntry.entryHashHex(o));
        assertThat(call.resultSha256()).contains("d".repeat(64));
      });
    }
  }

  @Test
  void aCallWithoutCauseRecordsNullCauseAndABlockedCallHasNoOutcome() throws Exception {
    try (AuditLog log = AuditLog.open(dir, genesis("thumb-1"), CLOCK)) {
      log.appendDecision(allowed("s1", "crm.read"));
      log.appendDecision(blocked("s1", "crm.delete"));

      List<JsonNode> entries = entries(log.file());
      assertThat(entries.get(1).get("cause").isNull()).isTrue();
      assertThat(entries.get(2).path("enforced").asText()).isEqualTo("blocked");
      assertThat(entries.get(2).path("policies").isEmpty()).isTrue();
      assertThat(log.callsOf("s1")).extracting(RecordedCall::outcomeIndex).containsOnly(Optional.empty());
    }
  }

  @Test
  void everyLineIsCanonicalAndTheFileReplaysToTheSnapshot() throws Exception {
    try (AuditLog log = AuditLog.open(dir, genesis("thumb-1"), CLOCK)) {
      writeSomeCalls(log);
      Snapshot snapshot = log.snapshot();

      StrictJson json = new StrictJson();
      for (String line : Files.readAllLines(log.file(), StandardCharsets.UTF_8)) {
        assertThat(CanonicalJson.string(json.parse(line))).isEqualTo(line);
      }
      assertThat(Files.readAllBytes(log.file())).endsWith((byte) '\n');

      AuditLogReplay.Result replay = AuditLogReplay.replay(log.file());
      assertThat(replay).isInstanceOf(AuditLogReplay.Intact.class);
      AuditLogReplay.Intact intact = (AuditLogReplay.Intact) replay;
      ChainHead head = intact.head();
      assertThat(intact.epoch()).isEqualTo(snapshot.epoch()).isEqualTo(log.epoch());
      assertThat(head.length()).isEqualTo(snapshot.length()).isEqualTo(8);
      assertThat(head.root()).isEqualTo(snapshot.root());
      assertThat(head.tip()).isEqualTo(snapshot.tip());
    }
  }

  @Test
  void everyEntryIsProvenAgainstTheSnapshotRootAndEveryEarlierRoot() throws Exception {
    try (AuditLog log = AuditLog.open(dir, genesis("thumb-1"), CLOCK)) {
      writeSomeCalls(log);
      Snapshot snapshot = log.snapshot();
      AuditLogReplay.Intact intact = (AuditLogReplay.Intact) AuditLogReplay.replay(log.file());
      int length = (int) snapshot.length();

      for (int size = 1; size <= length; size++) {
        byte[] root = HEX.parseHex(intact.prefix(size).root());
        for (int index = 0; index < size; index++) {
          byte[] entryHash = HEX.parseHex(intact.entryHashHex(index));
          List<byte[]> proof = log.inclusionProof(index, size).stream().map(HEX::parseHex).toList();
          assertThat(MerkleTree.verifyInclusion(entryHash, index, size, proof, root))
              .as("entry %d in the tree of %d", index, size).isTrue();
        }
      }
      byte[] root = HEX.parseHex(snapshot.root());
      List<byte[]> proofOfOne = log.inclusionProof(1, length).stream().map(HEX::parseHex).toList();
      assertThat(MerkleTree.verifyInclusion(HEX.parseHex(intact.entryHashHex(2)), 1, length, proofOfOne, root))
          .as("a proof does not prove another entry").isFalse();
    }
  }

  @Test
  void theTipIsTheHashOfTheLastLineAsStored() throws Exception {
    try (AuditLog log = AuditLog.open(dir, genesis("thumb-1"), CLOCK)) {
      writeSomeCalls(log);
      List<String> lines = Files.readAllLines(log.file(), StandardCharsets.UTF_8);

      assertThat(log.snapshot().tip())
          .isEqualTo(Digests.sha256Hex(lines.get(lines.size() - 1).getBytes(StandardCharsets.UTF_8)));
    }
  }

  /** Seven entries after the genesis: three sessions, forwarded, blocked and answered calls. */
  private static void writeSomeCalls(AuditLog log) throws AuditException {
    long read = log.appendDecision(allowed("s1", "crm.read"));
    log.appendDecision(blocked("s2", "crm.delete"));
    long export = log.appendDecision(advisoryDenied("s1", "crm.export"));
    log.appendOutcome(ok(read, "s1", "crm.read"));
    long other = log.appendDecision(allowed("s3", "crm.read"));
    log.appendOutcome(ok(export, "s1", "crm.export"));
    log.appendOutcome(ok(other, "s3", "crm.read"));
  }

  @Test
  void anOutcomeReachesTheDiskWithoutAnotherAppendAndBeforeAClaimNamesIt() throws Exception {
    BlockingQueue<Long> synced = new LinkedBlockingQueue<>();
    try (AuditLog log = AuditLog.open(dir, genesis("thumb-1"), CLOCK, (nanos, entries) -> synced.add(entries))) {
      long decision = log.appendDecision(allowed("s1", "crm.get_contact"));
      assertThat(synced.take()).isEqualTo(1); // the decision waited for its own sync
      log.appendOutcome(ok(decision, "s1", "crm.get_contact"));
      // Nobody appends after it: the log's own syncer makes it durable.
      assertThat(synced.poll(30, TimeUnit.SECONDS)).isEqualTo(1);

      long second = log.appendDecision(allowed("s1", "crm.get_contact"));
      synced.take();
      long outcome = log.appendOutcome(ok(second, "s1", "crm.get_contact"));
      // A snapshot taken at once still covers the outcome just written.
      assertThat(log.snapshot().length()).isEqualTo(outcome + 1);
    }
  }
}
