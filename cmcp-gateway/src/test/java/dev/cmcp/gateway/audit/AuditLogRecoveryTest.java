package dev.cmcp.gateway.audit;

import static dev.cmcp.gateway.audit.AuditFixtures.CLOCK;
import static dev.cmcp.gateway.audit.AuditFixtures.advisoryDenied;
import static dev.cmcp.gateway.audit.AuditFixtures.allowed;
import static dev.cmcp.gateway.audit.AuditFixtures.blocked;
import static dev.cmcp.gateway.audit.AuditFixtures.entries;
import static dev.cmcp.gateway.audit.AuditFixtures.genesis;
import static dev.cmcp.gateway.audit.AuditFixtures.ok;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cmcp.gateway.audit.AuditLog.Snapshot;
import dev.cmcp.verify.audit.AuditLogReplay;
import dev.cmcp.verify.base.Digests;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a boot finds of the epoch before it, and what it records about it. */
class AuditLogRecoveryTest {

  @TempDir Path dir;

  @Test
  void aSecondEpochLinksItsGenesisToTheFirstEpochsTip() throws Exception {
    Path firstFile;
    Snapshot first;
    try (AuditLog log = AuditLog.open(dir, genesis("thumb-1"), CLOCK)) {
      long read = log.appendDecision(allowed("s1", "crm.read"));
      log.appendOutcome(ok(read, "s1", "crm.read"));
      first = log.snapshot();
      firstFile = log.file();
    }

    try (AuditLog log = AuditLog.open(dir, genesis("thumb-2"), CLOCK)) {
      assertThat(log.file()).isNotEqualTo(firstFile);
      List<JsonNode> entries = entries(log.file());
      assertThat(entries).as("nothing to recover: the genesis entry alone").hasSize(1);
      JsonNode genesis = entries.get(0);
      assertThat(genesis.path("prev").asText()).isEqualTo(first.tip());
      assertThat(genesis.path("key_thumbprint").asText()).isEqualTo("thumb-2");
      JsonNode previous = genesis.path("previous_epoch");
      assertThat(previous.path("file").asText()).isEqualTo(firstFile.getFileName().toString());
      assertThat(previous.path("length").asLong()).isEqualTo(first.length()).isEqualTo(3);
      assertThat(previous.path("root").asText()).isEqualTo(first.root());
      assertThat(previous.path("tip").asText()).isEqualTo(first.tip());
      assertThat(previous.size()).isEqualTo(4);
      assertThat(AuditLogReplay.replay(log.file())).isInstanceOf(AuditLogReplay.Intact.class);
    }
  }

  @Test
  void bootsWithinOneSecondStillLinkEachEpochToTheOneJustBefore() throws Exception {
    // Epoch names carry the time to the second and a random suffix. Give the first epoch the
    // greatest suffix there is: the next epoch, started in the same second, must still sort after it.
    Path first;
    try (AuditLog log = AuditLog.open(dir, genesis("thumb-1"), CLOCK)) {
      first = log.file();
    }
    Path renamed = first.resolveSibling(first.getFileName().toString().replaceAll("-[0-9a-f]{8}\\.jsonl$", "-ffffffff.jsonl"));
    Files.move(first, renamed);

    Path second;
    try (AuditLog log = AuditLog.open(dir, genesis("thumb-2"), CLOCK)) {
      second = log.file();
      assertThat(entries(second).get(0).at("/previous_epoch/file").asText()).isEqualTo(renamed.getFileName().toString());
    }
    try (AuditLog log = AuditLog.open(dir, genesis("thumb-3"), CLOCK)) {
      assertThat(entries(log.file()).get(0).at("/previous_epoch/file").asText())
          .as("the third epoch follows the second, not the first")
          .isEqualTo(second.getFileName().toString());
    }
  }

  @Test
  void aTornLastLineIsCutBackAndTheRecoveryEntryRecordsIt() throws Exception {
    Path firstFile;
    Snapshot first;
    try (AuditLog log = AuditLog.open(dir, genesis("thumb-1"), CLOCK)) {
      long read = log.appendDecision(allowed("s1", "crm.read"));
      log.appendOutcome(ok(read, "s1", "crm.read"));
      first = log.snapshot();
      firstFile = log.file();
    }
    String whole = Files.readString(firstFile, StandardCharsets.UTF_8);
    byte[] torn = "{\"arguments_sha256\":\"aaaa".getBytes(StandardCharsets.UTF_8);
    Files.write(firstFile, torn, StandardOpenOption.APPEND);

    try (AuditLog log = AuditLog.open(dir, genesis("thumb-2"), CLOCK)) {
      assertThat(Files.readString(firstFile, StandardCharsets.UTF_8)).as("cut back to the last whole line").isEqualTo(whole);
      assertThat(AuditLogReplay.replay(firstFile)).isInstanceOf(AuditLogReplay.Intact.class);

      List<JsonNode> entries = entries(log.file());
      assertThat(entries).hasSize(2);
      JsonNode previous = entries.get(0).path("previous_epoch");
      assertThat(previous.path("length").asLong()).isEqualTo(first.length());
      assertThat(previous.path("root").asText()).isEqualTo(first.root());
      assertThat(previous.path("tip").asText()).isEqualTo(first.tip());
      JsonNode recovery = entries.get(1);
      assertThat(recovery.path("type").asText()).isEqualTo("recovery");
      assertThat(recovery.path("index").asLong()).isEqualTo(1);
      assertThat(recovery.path("repaired_file").asText()).isEqualTo(firstFile.getFileName().toString());
      assertThat(recovery.path("truncated_bytes").asLong()).isEqualTo(torn.length);
      assertThat(recovery.path("unfinished_decisions").isArray()).isTrue();
      assertThat(recovery.path("unfinished_decisions").isEmpty()).isTrue();
      assertThat(AuditLogReplay.replay(log.file())).isInstanceOf(AuditLogReplay.Intact.class);
    }
  }

  @Test
  void aForwardedDecisionWithoutOutcomeIsUnfinishedButABlockedOneIsNot() throws Exception {
    Path firstFile;
    try (AuditLog log = AuditLog.open(dir, genesis("thumb-1"), CLOCK)) {
      log.appendDecision(advisoryDenied("s1", "crm.export"));               // 1: forwarded, never answered
      log.appendDecision(blocked("s1", "crm.delete"));                      // 2: never forwarded
      long read = log.appendDecision(allowed("s2", "crm.read"));            // 3: answered by 4
      log.appendOutcome(ok(read, "s2", "crm.read"));
      firstFile = log.file();
    }

    try (AuditLog log = AuditLog.open(dir, genesis("thumb-2"), CLOCK)) {
      JsonNode recovery = entries(log.file()).get(1);
      assertThat(recovery.path("type").asText()).isEqualTo("recovery");
      assertThat(recovery.path("repaired_file").asText()).isEqualTo(firstFile.getFileName().toString());
      assertThat(recovery.path("truncated_bytes").asLong()).isZero();
      assertThat(recovery.path("unfinished_decisions").toString()).isEqualTo("[1]");
    }
  }

  @Test
  void aPreviousFileWithABadLineInTheMiddleIsQuarantinedUnchangedAndTheStartGoesOn() throws Exception {
    Path firstFile = epochWithFourCalls();
    List<String> lines = Files.readAllLines(firstFile, StandardCharsets.UTF_8);
    lines.set(2, "this is not an audit entry");
    // A torn tail as well: the repair must not start before the whole file is judged.
    String damaged = String.join("\n", lines) + "\n{\"index\":9";
    Files.writeString(firstFile, damaged, StandardCharsets.UTF_8);

    try (AuditLog log = AuditLog.open(dir, genesis("thumb-2"), CLOCK)) {
      Path quarantined = firstFile.resolveSibling(firstFile.getFileName() + ".quarantined");
      assertThat(Files.readString(quarantined, StandardCharsets.UTF_8)).isEqualTo(damaged);
      assertThat(auditFiles()).containsExactly(log.file());
      assertThat(log.quarantined()).singleElement().satisfies(q -> {
        assertThat(q.file()).isEqualTo(firstFile.getFileName().toString());
        assertThat(q.fileSha256()).isEqualTo(Digests.sha256Hex(damaged.getBytes(StandardCharsets.UTF_8)));
        assertThat(q.reason()).contains("line 3");
      });
      List<JsonNode> entries = entries(log.file());
      assertThat(entries.get(0).get("previous_epoch").isNull()).isTrue();
      assertThat(entries.get(1).path("type").asText()).isEqualTo("quarantine");
      assertThat(entries.get(1).path("quarantined_as").asText()).isEqualTo(quarantined.getFileName().toString());
      assertThat(entries.get(1).path("file_sha256").asText()).isEqualTo(log.quarantined().get(0).fileSha256());
    }
  }

  @Test
  void aDamagedEpochIsSetAsideAndTheNewEpochLinksToTheLastIntactOne() throws Exception {
    Path intact = epochWithFourCalls();
    Path edited;
    try (AuditLog second = AuditLog.open(dir, genesis("thumb-2"), CLOCK)) {
      second.appendDecision(blocked("s2", "crm.delete"));
      second.appendDecision(blocked("s2", "crm.read"));
      edited = second.file();
    }
    String text = Files.readString(edited, StandardCharsets.UTF_8);
    // Still well-formed JSON, but no longer the entry the next line's prev names.
    Files.writeString(edited, text.replaceFirst("\"tool\":\"crm.delete\"", "\"tool\":\"crm.deletf\""), StandardCharsets.UTF_8);

    try (AuditLog third = AuditLog.open(dir, genesis("thumb-3"), CLOCK)) {
      assertThat(third.quarantined()).singleElement().satisfies(q -> assertThat(q.file()).isEqualTo(edited.getFileName().toString()));
      assertThat(entries(third.file()).get(0).at("/previous_epoch/file").asText()).isEqualTo(intact.getFileName().toString());
      assertThat(auditFiles()).containsExactlyInAnyOrder(intact, third.file());
      assertThat(AuditLogReplay.replay(third.file())).isInstanceOf(AuditLogReplay.Intact.class);
    }
  }

  private Path epochWithFourCalls() throws AuditException {
    try (AuditLog log = AuditLog.open(dir, genesis("thumb-1"), CLOCK)) {
      long read = log.appendDecision(allowed("s1", "crm.read"));
      log.appendOutcome(ok(read, "s1", "crm.read"));
      log.appendDecision(blocked("s1", "crm.delete"));
      log.appendDecision(allowed("s1", "crm.read"));
      return log.file();
    }
  }

  private List<Path> auditFiles() throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.getFileName().toString().endsWith(".jsonl")).toList();
    }
  }
}
