package dev.cmcp.gateway.audit;

import static dev.cmcp.gateway.audit.AuditFixtures.CLOCK;
import static dev.cmcp.gateway.audit.AuditFixtures.allowed;
import static dev.cmcp.gateway.audit.AuditFixtures.genesis;
import static dev.cmcp.gateway.audit.AuditFixtures.ok;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cmcp.gateway.attest.TestClock;
import dev.cmcp.verify.audit.AuditFolder;
import dev.cmcp.verify.audit.AuditLogReplay;
import dev.cmcp.verify.audit.AuditRecord;
import dev.cmcp.verify.claim.ClaimSigner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.KeyPairGenerator;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code audit.rotate_max_bytes} and {@code audit.rotate_max_age_seconds}: within one run the log
 * closes its epoch file as a stop would (final signed checkpoint) and opens the next, whose genesis
 * links to it, so that {@code cmcp verify --audit-dir} follows the chain across the files.
 */
class AuditRotationTest {

  @TempDir Path dir;
  private ClaimSigner signer;

  @BeforeEach
  void key() throws Exception {
    signer = new ClaimSigner(KeyPairGenerator.getInstance("Ed25519").generateKeyPair());
  }

  private AuditLog open(RotationPolicy rotation, CheckpointPolicy checkpoints, Clock clock) throws AuditException {
    return AuditLog.open(dir, genesis(signer.jwk().thumbprint()), clock, (nanos, entries) -> { }, checkpoints, signer,
        Duration.ZERO, rotation);
  }

  @Test
  void aFilePastItsSizeIsClosedWithACheckpointAndTheNextLinksToItSoTheFolderVerifies() throws Exception {
    List<AuditLog.Epoch> closed = new CopyOnWriteArrayList<>();
    int decisions = 40;
    try (AuditLog log = open(new RotationPolicy(2_000, Duration.ZERO), new CheckpointPolicy(1_000, Duration.ZERO), CLOCK)) {
      log.onRotation(closed::add);
      for (int i = 0; i < decisions; i++) {
        log.appendDecision(allowed("s", "tool-" + i));
      }
    }

    List<Path> files = epochs();
    assertThat(files).hasSizeGreaterThanOrEqualTo(3);
    assertThat(closed).extracting(AuditLog.Epoch::file).containsExactlyElementsOf(files.subList(0, files.size() - 1));
    AuditFolder folder = AuditFolder.verify(dir);
    assertThat(folder.faults()).isEmpty();
    assertThat(folder.epochs()).containsExactlyElementsOf(files);
    List<String> tools = new ArrayList<>();
    for (int f = 0; f < files.size(); f++) {
      AuditLogReplay.Intact intact = (AuditLogReplay.Intact) AuditLogReplay.replay(files.get(f));
      if (f > 0) {
        AuditRecord.EpochLink link = intact.genesis().previousEpoch().orElseThrow();
        assertThat(link.file()).isEqualTo(files.get(f - 1).getFileName().toString());
      }
      assertThat(intact.record(intact.length() - 1)).as("every file ends, as at a stop, with a checkpoint")
          .isInstanceOf(AuditRecord.Checkpoint.class);
      if (f < files.size() - 1) {
        long size = Files.size(files.get(f));
        assertThat(size).as("closed once past the size").isGreaterThanOrEqualTo(2_000);
        // Past it by no more than the entry that found it full, and the checkpoint closing it.
        assertThat(size).isLessThan(2_000 + 2 * 1_000);
      }
      for (int i = 0; i < intact.length(); i++) {
        if (intact.record(i) instanceof AuditRecord.Decision decision) {
          tools.add(decision.tool());
        }
      }
    }
    assertThat(tools).as("every entry in exactly one file, in order")
        .containsExactlyElementsOf(java.util.stream.IntStream.range(0, decisions).mapToObj(i -> "tool-" + i).toList());
  }

  @Test
  void anEpochOlderThanItsMaxAgeRotatesAtItsNextEntryByTheInjectedClock() throws Exception {
    TestClock clock = new TestClock(AuditFixtures.NOW);
    try (AuditLog log = open(new RotationPolicy(0, Duration.ofHours(1)), CheckpointPolicy.OFF, clock)) {
      Path first = log.file();
      // An epoch holding only what it opened with is not rotated, however old: the entry goes into it.
      clock.advance(Duration.ofHours(2));
      log.appendDecision(allowed("s", "a"));
      assertThat(epochs()).containsExactly(first);

      log.appendDecision(allowed("s", "b"));
      Path second = log.file();
      assertThat(epochs()).containsExactly(first, second);
      clock.advance(Duration.ofMinutes(59));
      log.appendDecision(allowed("s", "c"));
      assertThat(epochs()).as("not an hour old yet").containsExactly(first, second);

      clock.advance(Duration.ofMinutes(1));
      AuditLog.Position moved = log.recordDecision(allowed("s", "d"));
      Path third = log.file();
      assertThat(epochs()).containsExactly(first, second, third);
      assertThat(moved).isEqualTo(new AuditLog.Position(epochOf(third), 1));
      assertThat(types(first)).containsExactly("genesis", "decision");
      assertThat(types(second)).containsExactly("genesis", "decision", "decision");
      assertThat(types(third)).containsExactly("genesis", "decision");
    }
    AuditFolder folder = AuditFolder.verify(dir);
    assertThat(folder.faults()).isEmpty();
    assertThat(folder.epochs()).hasSize(3);
  }

  @Test
  void anOutcomeWrittenAfterItsDecisionsEpochRotatedNamesThatEpochAndAnswersNothingInItsOwn() throws Exception {
    TestClock clock = new TestClock(AuditFixtures.NOW);
    Path first;
    Path second;
    try (AuditLog log = open(new RotationPolicy(0, Duration.ofHours(1)), CheckpointPolicy.OFF, clock)) {
      first = log.file();
      AuditLog.Position forwarded = log.recordDecision(allowed("s", "crm.search"));
      clock.advance(Duration.ofHours(2));
      // Index 1 of the new epoch is this decision, which the late outcome must not be taken to answer.
      AuditLog.Position next = log.recordDecision(allowed("s", "crm.update"));
      second = log.file();
      assertThat(next.index()).isEqualTo(forwarded.index());
      log.appendOutcome(ok(forwarded.index(), "s", "crm.search").inEpoch(Optional.of(forwarded.epoch())));

      assertThat(log.callsOf("s")).singleElement().satisfies(call -> assertThat(call.outcomeIndex()).isEmpty());
    }
    JsonNode outcome = AuditFixtures.entries(second).get(2);
    assertThat(outcome.path("type").asText()).isEqualTo("outcome");
    assertThat(outcome.path("decision_epoch").asText()).isEqualTo(epochOf(first));
    AuditLogReplay.Intact intact = (AuditLogReplay.Intact) AuditLogReplay.replay(second);
    assertThat(((AuditRecord.Outcome) intact.record(2)).decisionEpoch()).contains(epochOf(first));
    // A restart after a crash here lists the new epoch's decision as unanswered, not answered by the late outcome.
    assertThat(PreviousEpoch.recover(dir).orElseThrow().unfinished()).containsExactly(1L);
  }

  @Test
  @Timeout(120)
  void manyAppendersAcrossRotationsLoseNothingAndWriteNothingTwice() throws Exception {
    int threads = 32;
    int callsPerThread = 40;
    List<AuditLog.Epoch> closed = new CopyOnWriteArrayList<>();
    try (AuditLog log = open(new RotationPolicy(16_384, Duration.ZERO), new CheckpointPolicy(7, Duration.ZERO), CLOCK)) {
      log.onRotation(closed::add);
      List<Future<?>> running = new ArrayList<>();
      try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
        for (int t = 0; t < threads; t++) {
          String session = "s" + (t % 8);
          int thread = t;
          running.add(pool.submit(() -> {
            for (int i = 0; i < callsPerThread; i++) {
              String tool = "t" + thread + "-" + i;
              AuditLog.Position decision = log.recordDecision(allowed(session, tool));
              if (i % 2 == 0) {
                log.appendOutcome(ok(decision.index(), session, tool).inEpoch(Optional.of(decision.epoch())));
              }
            }
            return null;
          }));
        }
      }
      for (Future<?> thread : running) {
        thread.get();
      }
    }

    List<Path> files = epochs();
    assertThat(files).hasSizeGreaterThanOrEqualTo(3);
    assertThat(closed).hasSize(files.size() - 1);
    assertThat(AuditFolder.verify(dir).faults()).isEmpty();
    // Every decision once; every outcome once, answering the decision of its tool in the epoch it names.
    Map<String, Integer> decisions = new HashMap<>();
    Map<String, Integer> outcomes = new HashMap<>();
    Map<String, AuditLogReplay.Intact> byEpoch = new HashMap<>();
    for (Path file : files) {
      byEpoch.put(epochOf(file), (AuditLogReplay.Intact) AuditLogReplay.replay(file));
    }
    for (Path file : files) {
      AuditLogReplay.Intact intact = byEpoch.get(epochOf(file));
      for (int i = 0; i < intact.length(); i++) {
        switch (intact.record(i)) {
          case AuditRecord.Decision decision -> decisions.merge(decision.tool(), 1, Integer::sum);
          case AuditRecord.Outcome outcome -> {
            outcomes.merge(outcome.tool(), 1, Integer::sum);
            AuditLogReplay.Intact answered = byEpoch.get(outcome.decisionEpoch().orElse(epochOf(file)));
            assertThat(outcome.decisionEpoch()).as("named only when the decision is elsewhere").isNotEqualTo(Optional.of(epochOf(file)));
            assertThat(answered.record((int) outcome.decisionIndex())).isInstanceOfSatisfying(AuditRecord.Decision.class,
                decision -> assertThat(decision.tool()).isEqualTo(outcome.tool()));
          }
          default -> { }
        }
      }
    }
    assertThat(decisions).hasSize(threads * callsPerThread).allSatisfy((tool, count) -> assertThat(count).isEqualTo(1));
    assertThat(outcomes).hasSize(threads * callsPerThread / 2).allSatisfy((tool, count) -> assertThat(count).isEqualTo(1));
  }

  @Test
  void retentionAtTheNextStartDeletesRotatedFilesOnlyWhileTheNextOneSignsItsLink() throws Exception {
    try (AuditLog log = open(new RotationPolicy(1_500, Duration.ZERO), new CheckpointPolicy(1_000, Duration.ZERO), CLOCK)) {
      for (int i = 0; i < 30; i++) {
        log.appendDecision(allowed("s", "tool-" + i));
      }
    }
    List<Path> rotated = epochs();
    assertThat(rotated).hasSizeGreaterThanOrEqualTo(3);
    // The first two files are old; the third was written recently, so it and everything after it stay.
    for (Path old : rotated.subList(0, 2)) {
      Files.setLastModifiedTime(old, FileTime.from(AuditFixtures.NOW.minus(Duration.ofDays(40))));
    }
    for (Path old : rotated.subList(3, rotated.size())) {
      Files.setLastModifiedTime(old, FileTime.from(AuditFixtures.NOW.minus(Duration.ofDays(40))));
    }
    Path restarted;
    try (AuditLog log = AuditLog.open(dir, genesis(signer.jwk().thumbprint()), CLOCK, (nanos, entries) -> { },
        new CheckpointPolicy(1_000, Duration.ZERO), signer, Duration.ofDays(30), RotationPolicy.OFF)) {
      restarted = log.file();
    }

    assertThat(epochs()).doesNotContainAnyElementsOf(rotated.subList(0, 2))
        .containsAll(rotated.subList(2, rotated.size())).contains(restarted);
    assertThat(types(restarted)).containsSubsequence("genesis", "retention", "retention");
    assertThat(AuditFolder.verify(dir).faults()).isEmpty();
  }

  @Test
  void retentionWithinTheRunDeletesOldRotatedFilesAfterARotationRecordingEachAndTheFolderStillVerifies() throws Exception {
    RecordedRetention retention = new RecordedRetention();
    List<String> deleted = retention.deleted;
    List<String> failures = retention.failures;
    try (AuditLog log = AuditLog.open(dir, genesis(signer.jwk().thumbprint()), CLOCK, (nanos, entries) -> { },
        new CheckpointPolicy(1_000, Duration.ZERO), signer, Duration.ofDays(30), new RotationPolicy(1_500, Duration.ZERO))) {
      log.onRetention(retention);
      int tool = 0;
      while (epochs().size() < 4) {
        log.appendDecision(allowed("s", "tool-" + tool++));
      }
      log.awaitRetention();
      assertThat(deleted).as("every file was written within the retention period").isEmpty();

      // Every file but the current one is now old; the current one is never deleted.
      List<Path> old = epochs().subList(0, epochs().size() - 1);
      Path current = log.file();
      assertThat(old).doesNotContain(current);
      for (Path file : old) {
        Files.setLastModifiedTime(file, FileTime.from(AuditFixtures.NOW.minus(Duration.ofDays(40))));
      }
      while (log.file().equals(current)) {
        log.appendDecision(allowed("s", "tool-" + tool++));
      }
      log.awaitRetention();

      // current is closed now, signing its genesis with its final checkpoint: all the old files go, current stays (it is recent).
      assertThat(deleted).containsExactlyElementsOf(old.stream().map(p -> p.getFileName().toString()).toList());
      assertThat(failures).isEmpty();
      assertThat(epochs()).doesNotContainAnyElementsOf(old).contains(current, log.file());
      assertThat(dir.resolve("checkpoints")).isDirectoryNotContaining(p -> old.stream()
          .anyMatch(o -> p.getFileName().toString().startsWith(o.getFileName().toString())));
      List<String> recorded = new ArrayList<>();
      for (Path file : epochs()) {
        for (JsonNode entry : AuditFixtures.entries(file)) {
          if (entry.path("type").asText().equals("retention")) {
            recorded.add(entry.path("file").asText());
          }
        }
      }
      assertThat(recorded).as("each deletion recorded once, in order").containsExactlyElementsOf(deleted);
    }
    AuditFolder folder = AuditFolder.verify(dir);
    assertThat(folder.faults()).as("the chain still verifies across the deletions").isEmpty();
  }

  @Test
  void retentionWithinTheRunDeletesNothingWhileNoCheckpointSignsTheLinkToAFile() throws Exception {
    try (AuditLog log = AuditLog.open(dir, genesis(signer.jwk().thumbprint()), CLOCK, (nanos, entries) -> { },
        CheckpointPolicy.OFF, signer, Duration.ofDays(30), new RotationPolicy(1_500, Duration.ZERO))) {
      int tool = 0;
      while (epochs().size() < 3) {
        log.appendDecision(allowed("s", "tool-" + tool++));
      }
      List<Path> before = epochs();
      for (Path file : before) {
        Files.setLastModifiedTime(file, FileTime.from(AuditFixtures.NOW.minus(Duration.ofDays(40))));
      }
      Path current = log.file();
      while (log.file().equals(current)) {
        log.appendDecision(allowed("s", "tool-" + tool++));
      }
      log.awaitRetention();
      assertThat(epochs()).as("old, but no file signs the link to the one before").containsAll(before);
    }
    assertThat(AuditFolder.verify(dir).faults()).isEmpty();
  }

  @Test
  void aRetentionPassThatCannotDeleteIsToldToTheObserverTheLogGoesOnAndTheNextPassRetriesWithoutASecondEntry()
      throws Exception {
    RecordedRetention retention = new RecordedRetention();
    List<String> deleted = retention.deleted;
    List<String> failures = retention.failures;
    try (AuditLog log = AuditLog.open(dir, genesis(signer.jwk().thumbprint()), CLOCK, (nanos, entries) -> { },
        new CheckpointPolicy(1_000, Duration.ZERO), signer, Duration.ofDays(30), new RotationPolicy(1_500, Duration.ZERO))) {
      log.onRetention(retention);
      int tool = 0;
      while (epochs().size() < 2) {
        log.appendDecision(allowed("s", "tool-" + tool++));
      }
      Path oldest = epochs().get(0);
      Files.setLastModifiedTime(oldest, FileTime.from(AuditFixtures.NOW.minus(Duration.ofDays(40))));
      // Its checkpoint copy replaced by a folder that is not empty: deleting it fails, even for root.
      Path copy = dir.resolve("checkpoints").resolve(oldest.getFileName() + ".checkpoint");
      Files.delete(copy);
      Files.createDirectories(copy.resolve("blocker"));
      for (int rotations = 0; rotations < 2; rotations++) {
        Path current = log.file();
        while (log.file().equals(current)) {
          log.appendDecision(allowed("s", "tool-" + tool++));
        }
      }
      log.awaitRetention();
      assertThat(failures).isNotEmpty();
      assertThat(deleted).isEmpty();
      assertThat(oldest).exists();
      assertThat(log.healthy()).as("retention failing does not stop the log").isTrue();

      Files.delete(copy.resolve("blocker"));
      Files.delete(copy);
      Path current = log.file();
      while (log.file().equals(current)) {
        log.appendDecision(allowed("s", "tool-" + tool++));
      }
      log.awaitRetention();
      assertThat(deleted).containsExactly(oldest.getFileName().toString());
      assertThat(oldest).doesNotExist();
    }
    long entries = 0;
    for (Path file : epochs()) {
      entries += AuditFixtures.entries(file).stream().filter(e -> e.path("type").asText().equals("retention")).count();
    }
    assertThat(entries).as("one retention entry, though two passes tried").isEqualTo(1);
    assertThat(AuditFolder.verify(dir).faults()).isEmpty();
  }

  @Test
  void anIdleEpochPastItsAgeIsRotatedByTheTimerWithoutAnotherEntry() throws Exception {
    TestClock clock = new TestClock(AuditFixtures.NOW);
    List<AuditLog.Epoch> closed = new CopyOnWriteArrayList<>();
    try (AuditLog log = open(new RotationPolicy(0, Duration.ofHours(1)), new CheckpointPolicy(1_000, Duration.ZERO), clock)) {
      log.onRotation(closed::add);
      Path first = log.file();
      clock.advance(Duration.ofHours(2));
      assertThat(log.onTime()).isTrue();
      assertThat(epochs()).as("an epoch holding only what it opened with stays, however old").containsExactly(first);

      log.appendDecision(allowed("s", "a"));
      assertThat(epochs()).containsExactly(first);
      clock.advance(Duration.ofMinutes(30));
      assertThat(log.onTime()).isTrue();
      assertThat(epochs()).as("not an hour since it opened... it opened two and a half hours ago").hasSize(2);
      Path second = log.file();
      assertThat(closed).extracting(AuditLog.Epoch::file).containsExactly(first);
      assertThat(types(first)).containsExactly("genesis", "decision", "checkpoint");
      assertThat(types(second)).containsExactly("genesis");

      clock.advance(Duration.ofHours(5));
      assertThat(log.onTime()).isTrue();
      assertThat(epochs()).as("the new epoch holds nothing of its own yet").containsExactly(first, second);
    }
    assertThat(AuditFolder.verify(dir).faults()).isEmpty();
  }

  @Test
  @Timeout(60)
  void rotationWaitsForAGroupCommitSyncAlreadyRunningBeforeItClosesTheFile() throws Exception {
    TestClock clock = new TestClock(AuditFixtures.NOW);
    CountDownLatch inSync = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicBoolean armed = new AtomicBoolean();
    AuditLog.FileSync held = fd -> {
      if (armed.compareAndSet(true, false)) {
        inSync.countDown();
        try {
          release.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new java.io.InterruptedIOException("the test let go");
        }
      }
      fd.sync();
    };
    try (AuditLog log = AuditLog.open(dir, genesis(signer.jwk().thumbprint()), clock, CheckpointPolicy.OFF, signer,
            Duration.ZERO, new RotationPolicy(0, Duration.ofHours(1)), held);
        ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
      Path first = log.file();
      log.appendDecision(allowed("s", "a"));
      armed.set(true);
      Future<Long> syncing = threads.submit(() -> log.appendDecision(allowed("s", "b")));
      inSync.await();
      // b's sync runs without the lock; c finds the file past its age and must not close it under that sync.
      clock.advance(Duration.ofHours(2));
      Future<Long> rotating = threads.submit(() -> log.appendDecision(allowed("s", "c")));
      while (!rotating.isDone() && !log.waitingForSync()) {
        Thread.onSpinWait();
      }
      release.countDown();
      assertThat(syncing.get()).isEqualTo(2);
      assertThat(rotating.get()).isEqualTo(1);
      assertThat(log.healthy()).isTrue();
      assertThat(types(first)).containsExactly("genesis", "decision", "decision");
      assertThat(epochs()).hasSize(2);
    }
    assertThat(AuditFolder.verify(dir).faults()).isEmpty();
  }

  private List<Path> epochs() throws Exception {
    try (var files = Files.list(dir)) {
      return files.filter(p -> p.getFileName().toString().endsWith(".jsonl")).sorted().toList();
    }
  }

  private static String epochOf(Path file) {
    String name = file.getFileName().toString();
    return name.substring("audit-".length(), name.length() - ".jsonl".length());
  }

  private static List<String> types(Path file) throws Exception {
    return AuditFixtures.entries(file).stream().map(entry -> entry.path("type").asText()).toList();
  }

  /** What the log told of its retention passes: the files it deleted and the passes that failed. */
  private static final class RecordedRetention implements AuditLog.RetentionObserver {
    final List<String> deleted = new CopyOnWriteArrayList<>();
    final List<String> failures = new CopyOnWriteArrayList<>();

    @Override
    public void deleted(String file) {
      deleted.add(file);
    }

    @Override
    public void failed(String reason) {
      failures.add(reason);
    }
  }
}
