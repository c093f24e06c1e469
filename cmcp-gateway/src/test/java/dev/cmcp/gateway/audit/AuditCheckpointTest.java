package dev.cmcp.gateway.audit;

import static dev.cmcp.gateway.audit.AuditFixtures.CLOCK;
import static dev.cmcp.gateway.audit.AuditFixtures.allowed;
import static dev.cmcp.gateway.audit.AuditFixtures.genesis;
import static dev.cmcp.gateway.audit.AuditFixtures.ok;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.verify.audit.AuditEntry;
import dev.cmcp.verify.audit.AuditFolder;
import dev.cmcp.verify.audit.AuditLogReplay;
import dev.cmcp.verify.audit.AuditRecord;
import dev.cmcp.verify.base.StrictJson;
import dev.cmcp.verify.claim.ClaimSigner;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.KeyPairGenerator;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Signed checkpoints protect the log's tail between claims: each signs the chain before it with
 * the claim key, in the log and in {@code checkpoints/} beside it, so that a log cut back behind
 * its last checkpoint, or a checkpoint forged, fails {@code cmcp verify --audit-dir}.
 */
class AuditCheckpointTest {

  @TempDir Path dir;
  private ClaimSigner signer;

  @BeforeEach
  void key() throws Exception {
    signer = new ClaimSigner(KeyPairGenerator.getInstance("Ed25519").generateKeyPair());
  }

  private AuditLog open(CheckpointPolicy policy, Clock clock) throws AuditException {
    return AuditLog.open(dir, genesis(signer.jwk().thumbprint()), clock, (nanos, entries) -> { }, policy, signer, Duration.ZERO);
  }

  @Test
  void everyNEntriesASignedCheckpointCoversTheChainBeforeItAndTheFolderVerifies() throws Exception {
    Path file;
    try (AuditLog log = open(new CheckpointPolicy(3, Duration.ZERO), CLOCK)) {
      file = log.file();
      for (int i = 0; i < 4; i++) {
        long decision = log.appendDecision(allowed("s" + i, "crm.search"));
        log.appendOutcome(ok(decision, "s" + i, "crm.search"));
      }
    }

    AuditLogReplay.Intact intact = (AuditLogReplay.Intact) AuditLogReplay.replay(file);
    List<Integer> checkpoints = new ArrayList<>();
    for (int i = 0; i < intact.length(); i++) {
      if (intact.record(i) instanceof AuditRecord.Checkpoint checkpoint) {
        checkpoints.add(i);
        assertThat(checkpoint.length()).isEqualTo(i);
        assertThat(checkpoint.root()).isEqualTo(intact.prefix(i).root());
      }
    }
    assertThat(checkpoints).hasSizeGreaterThanOrEqualTo(2);
    assertThat(intact.record(intact.length() - 1)).as("the close covers the last entries")
        .isInstanceOf(AuditRecord.Checkpoint.class);
    assertThat(kept(file)).isEqualTo(line(file, intact.length() - 1));
    assertThat(AuditFolder.verify(dir).faults()).isEmpty();
  }

  @Test
  void concurrentAppendersWriteOneCheckpointPerIntervalNotOneEach() throws Exception {
    int every = 20;
    Path file;
    try (AuditLog log = open(new CheckpointPolicy(every, Duration.ZERO), CLOCK)) {
      file = log.file();
      try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
        for (int t = 0; t < 32; t++) {
          String session = "s" + t;
          pool.submit(() -> {
            for (int i = 0; i < 25; i++) {
              long decision = log.appendDecision(allowed(session, "crm.search"));
              log.appendOutcome(ok(decision, session, "crm.search"));
            }
            return null;
          });
        }
      }
    }

    AuditLogReplay.Intact intact = (AuditLogReplay.Intact) AuditLogReplay.replay(file);
    List<Integer> checkpoints = new ArrayList<>();
    for (int i = 0; i < intact.length(); i++) {
      if (intact.record(i) instanceof AuditRecord.Checkpoint) {
        checkpoints.add(i);
      }
    }
    // While one checkpoint waits for its fsync, other appends find the trigger met by the same
    // entries; each must see that checkpoint and not write one of its own. The closing one may come sooner.
    for (int c = 1; c < checkpoints.size() - 1; c++) {
      assertThat(checkpoints.get(c) - checkpoints.get(c - 1))
          .as("entries from the checkpoint at %d to the one at %d", checkpoints.get(c - 1), checkpoints.get(c))
          .isGreaterThan(every);
    }
    assertThat(checkpoints).hasSizeLessThanOrEqualTo(intact.length() / every + 1);
    assertThat(kept(file)).isEqualTo(line(file, intact.length() - 1));
    assertThat(AuditFolder.verify(dir).faults()).isEmpty();
  }

  @Test
  void aCheckpointIsDueAfterItsIntervalOnceAnEntryIsWaitingWithOrWithoutAnotherAppend() throws Exception {
    MovingClock clock = new MovingClock();
    Path file;
    try (AuditLog log = open(new CheckpointPolicy(0, Duration.ofSeconds(60)), clock)) {
      file = log.file();
      log.appendDecision(allowed("s", "crm.search"));
      Thread.sleep(1_500);
      assertThat(types(file)).as("not due before the interval").containsExactly("genesis", "decision");

      // The next append, or the timer if it comes first, signs the tail once the interval has passed.
      clock.now = clock.now.plusSeconds(61);
      log.appendDecision(allowed("s", "crm.search"));
      assertThat(awaitCheckpoints(file, 1)).isIn(
          List.of("genesis", "decision", "decision", "checkpoint"), List.of("genesis", "decision", "checkpoint", "decision"));

      // No append follows this one: the timer alone signs it.
      log.appendDecision(allowed("s", "crm.search"));
      clock.now = clock.now.plusSeconds(61);
      List<String> types = awaitCheckpoints(file, 2);
      assertThat(types.getLast()).isEqualTo("checkpoint");
      assertThat(types).hasSize(6);
    }
  }

  /** The entry types once the log holds {@code count} checkpoints, waiting up to 10 s for the timer. */
  private static List<String> awaitCheckpoints(Path file, int count) throws Exception {
    List<String> types = types(file);
    for (int tries = 0; tries < 100 && types.stream().filter("checkpoint"::equals).count() < count; tries++) {
      Thread.sleep(100);
      types = types(file);
    }
    return types;
  }

  @Test
  void aLogCutBackBehindItsLastCheckpointFailsTheFolderCheck() throws Exception {
    Path file;
    try (AuditLog log = open(new CheckpointPolicy(2, Duration.ZERO), CLOCK)) {
      file = log.file();
      for (int i = 0; i < 5; i++) {
        log.appendDecision(allowed("s", "crm.search"));
      }
    }
    List<String> lines = Files.readAllLines(file);
    // What an operator hiding the last calls would do: keep a prefix that still replays intact.
    Files.write(file, lines.subList(0, lines.size() - 3));
    assertThat(AuditLogReplay.replay(file)).isInstanceOf(AuditLogReplay.Intact.class);

    assertThat(AuditFolder.verify(dir).faults()).singleElement().asString()
        .contains("truncated: its last signed checkpoint").contains("but the log holds only " + (lines.size() - 3));
  }

  @Test
  void aForgedCheckpointSignatureBreaksTheReplay() throws Exception {
    Path file;
    try (AuditLog log = open(new CheckpointPolicy(1_000, Duration.ZERO), CLOCK)) {
      file = log.file();
      log.appendDecision(allowed("s", "crm.search"));
    }
    // The closing checkpoint is the last line: re-sign it with another key, then with a bad signature.
    List<String> lines = new ArrayList<>(Files.readAllLines(file));
    ObjectNode checkpoint = (ObjectNode) new StrictJson().parse(lines.getLast().getBytes(StandardCharsets.UTF_8));
    ClaimSigner other = new ClaimSigner(KeyPairGenerator.getInstance("Ed25519").generateKeyPair());
    AuditRecord.Checkpoint read = (AuditRecord.Checkpoint) AuditRecord.fromJson(checkpoint);
    checkpoint.set("key", other.jwk().toJson());
    checkpoint.put("signature", other.signCheckpoint(intactEpoch(file), read.length(), read.root(), read.tip()));
    replaceLast(file, lines, checkpoint);
    assertThat(((AuditLogReplay.Broken) AuditLogReplay.replay(file)).reason())
        .contains("not the claim key the genesis entry names");

    checkpoint.set("key", signer.jwk().toJson());
    char[] signature = checkpoint.get("signature").asText().toCharArray();
    signature[3] = signature[3] == 'A' ? 'B' : 'A';
    checkpoint.put("signature", new String(signature));
    replaceLast(file, lines, checkpoint);
    assertThat(((AuditLogReplay.Broken) AuditLogReplay.replay(file)).reason())
        .contains("signature does not verify");
  }

  @Test
  void aCheckpointCopyNotSignedByTheEpochsKeyIsReported() throws Exception {
    Path file;
    try (AuditLog log = open(new CheckpointPolicy(1_000, Duration.ZERO), CLOCK)) {
      file = log.file();
      log.appendDecision(allowed("s", "crm.search"));
    }
    Path kept = dir.resolve(AuditFolder.CHECKPOINTS).resolve(file.getFileName() + AuditFolder.CHECKPOINT_SUFFIX);
    ObjectNode copy = (ObjectNode) new StrictJson().parse(Files.readAllBytes(kept));
    copy.put("length", 99);
    Files.write(kept, AuditEntry.line(copy));

    assertThat(AuditFolder.verify(dir).faults()).singleElement().asString().contains("altered or forged");
  }

  @Test
  void retentionDeletesAnOldEpochOnlyWhenASignedCheckpointCoversTheLinkToItAndTheFolderStillVerifies() throws Exception {
    Path first;
    try (AuditLog log = open(new CheckpointPolicy(1_000, Duration.ZERO), CLOCK)) {
      first = log.file();
      log.appendDecision(allowed("s", "crm.search"));
    }
    Files.setLastModifiedTime(first, FileTime.from(AuditFixtures.NOW.minus(Duration.ofDays(40))));
    // The second epoch keeps no checkpoint: nothing signs its link to the first, which must stay.
    try (AuditLog log = AuditLog.open(dir, genesis(signer.jwk().thumbprint()), CLOCK, (nanos, entries) -> { },
        CheckpointPolicy.OFF, signer, Duration.ofDays(30))) {
      log.appendDecision(allowed("s", "crm.search"));
    }
    assertThat(Files.exists(first)).isTrue();
    // The third epoch signs its link to the second; the fourth start may then delete the first two.
    Path second = sortedEpochs().get(1);
    Files.setLastModifiedTime(second, FileTime.from(AuditFixtures.NOW.minus(Duration.ofDays(40))));
    try (AuditLog log = open(new CheckpointPolicy(1_000, Duration.ZERO), CLOCK)) {
      log.appendDecision(allowed("s", "crm.search"));
    }
    Path third = sortedEpochs().get(2);
    Files.setLastModifiedTime(third, FileTime.from(AuditFixtures.NOW.minus(Duration.ofDays(40))));
    Path fourth;
    try (AuditLog log = AuditLog.open(dir, genesis(signer.jwk().thumbprint()), CLOCK, (nanos, entries) -> { },
        new CheckpointPolicy(1_000, Duration.ZERO), signer, Duration.ofDays(30))) {
      fourth = log.file();
    }

    // The first is linked to only by the unsigned second, so neither goes; nor does the newest before a start.
    assertThat(sortedEpochs()).hasSize(4);
    assertThat(types(fourth)).doesNotContain("retention");
    assertThat(AuditFolder.verify(dir).faults()).isEmpty();
  }

  @Test
  void retentionRecordsWhatItDeletedAndTheVerifierAcceptsTheMissingEpochOnlyThen() throws Exception {
    Path first;
    try (AuditLog log = open(new CheckpointPolicy(1_000, Duration.ZERO), CLOCK)) {
      first = log.file();
      log.appendDecision(allowed("s", "crm.search"));
    }
    try (AuditLog log = open(new CheckpointPolicy(1_000, Duration.ZERO), CLOCK)) {
      log.appendDecision(allowed("s", "crm.search"));
    }
    Files.setLastModifiedTime(first, FileTime.from(AuditFixtures.NOW.minus(Duration.ofDays(40))));
    Path third;
    try (AuditLog log = AuditLog.open(dir, genesis(signer.jwk().thumbprint()), CLOCK, (nanos, entries) -> { },
        new CheckpointPolicy(1_000, Duration.ZERO), signer, Duration.ofDays(30))) {
      third = log.file();
    }

    assertThat(Files.exists(first)).isFalse();
    assertThat(types(third)).contains("retention");
    assertThat(AuditFolder.verify(dir).faults()).isEmpty();

    // Without its retention entry, the same gap is a fault.
    Files.delete(third);
    Files.deleteIfExists(dir.resolve(AuditFolder.CHECKPOINTS).resolve(third.getFileName() + AuditFolder.CHECKPOINT_SUFFIX));
    assertThat(AuditFolder.verify(dir).faults()).singleElement().asString().contains("no retention entry records its deletion");
  }

  private List<Path> sortedEpochs() throws Exception {
    try (var files = Files.list(dir)) {
      return files.filter(p -> p.getFileName().toString().endsWith(".jsonl")).sorted().toList();
    }
  }

  private static String intactEpoch(Path file) throws Exception {
    String name = file.getFileName().toString();
    return name.substring("audit-".length(), name.length() - ".jsonl".length());
  }

  private static void replaceLast(Path file, List<String> lines, ObjectNode entry) throws Exception {
    List<String> changed = new ArrayList<>(lines.subList(0, lines.size() - 1));
    changed.add(new String(Arrays.copyOf(AuditEntry.line(entry), AuditEntry.line(entry).length - 1), StandardCharsets.UTF_8));
    Files.write(file, changed);
  }

  private static List<String> types(Path file) throws Exception {
    return AuditFixtures.entries(file).stream().map(entry -> entry.path("type").asText()).toList();
  }

  private static String line(Path file, int index) throws Exception {
    return Files.readAllLines(file).get(index);
  }

  private String kept(Path file) throws Exception {
    return Files.readString(dir.resolve(AuditFolder.CHECKPOINTS).resolve(file.getFileName() + AuditFolder.CHECKPOINT_SUFFIX))
        .stripTrailing();
  }

  /** A clock a test moves. */
  private static final class MovingClock extends Clock {
    Instant now = AuditFixtures.NOW;

    @Override
    public ZoneId getZone() {
      return ZoneId.of("UTC");
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }
}
