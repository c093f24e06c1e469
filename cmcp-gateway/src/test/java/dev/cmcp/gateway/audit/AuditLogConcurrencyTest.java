package dev.cmcp.gateway.audit;

import static dev.cmcp.gateway.audit.AuditFixtures.CLOCK;
import static dev.cmcp.gateway.audit.AuditFixtures.allowed;
import static dev.cmcp.gateway.audit.AuditFixtures.genesis;
import static dev.cmcp.gateway.audit.AuditFixtures.ok;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cmcp.gateway.audit.AuditLog.RecordedCall;
import dev.cmcp.gateway.audit.AuditLog.Snapshot;
import dev.cmcp.verify.audit.AuditLogReplay;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuditLogConcurrencyTest {

  private static final int THREADS = 32;
  private static final int CALLS_PER_THREAD = 50;
  /** Four threads share each session, so one session's calls are appended concurrently too. */
  private static final int SESSIONS = 8;

  @TempDir Path dir;

  @Test
  void concurrentAppendsGetContiguousIndexesAndLeaveAnIntactChain() throws Exception {
    try (AuditLog log = AuditLog.open(dir, genesis("thumb-1"), CLOCK)) {
      List<Future<List<Long>>> threads = new ArrayList<>();
      try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
        for (int t = 0; t < THREADS; t++) {
          String session = "s" + (t % SESSIONS);
          String tool = "tool-" + t;
          threads.add(pool.submit(() -> {
            List<Long> indexes = new ArrayList<>();
            for (int i = 0; i < CALLS_PER_THREAD; i++) {
              long decision = log.appendDecision(allowed(session, tool));
              indexes.add(decision);
              if (i % 2 == 0) {
                indexes.add(log.appendOutcome(ok(decision, session, tool)));
              }
            }
            return indexes;
          }));
        }
      }

      List<Long> all = new ArrayList<>();
      for (Future<List<Long>> thread : threads) {
        all.addAll(thread.get());
      }
      int appended = THREADS * (CALLS_PER_THREAD + CALLS_PER_THREAD / 2);
      assertThat(all).as("every index from 1, none twice, none missing")
          .containsExactlyInAnyOrderElementsOf(LongStream.rangeClosed(1, appended).boxed().toList());

      Snapshot snapshot = log.snapshot();
      assertThat(snapshot.length()).isEqualTo(appended + 1);
      AuditLogReplay.Result replay = AuditLogReplay.replay(log.file());
      assertThat(replay).as(replay.toString()).isInstanceOf(AuditLogReplay.Intact.class);
      AuditLogReplay.Intact intact = (AuditLogReplay.Intact) replay;
      assertThat(intact.head().root()).isEqualTo(snapshot.root());
      assertThat(intact.head().tip()).isEqualTo(snapshot.tip());

      for (int s = 0; s < SESSIONS; s++) {
        String session = "s" + s;
        List<Long> expected = LongStream.range(0, intact.length())
            .filter(i -> intact.entry((int) i).path("type").asText().equals("decision")
                && intact.entry((int) i).path("session_id").asText().equals(session))
            .boxed().toList();
        List<RecordedCall> calls = log.callsOf(session);
        assertThat(calls).extracting(RecordedCall::decisionIndex).as("calls of %s in log order", session)
            .containsExactlyElementsOf(expected);
        for (RecordedCall call : calls) {
          assertThat(call.decisionEntrySha256()).isEqualTo(intact.entryHashHex((int) call.decisionIndex()));
          call.outcomeIndex().ifPresent(outcome -> {
            assertThat(intact.entry(outcome.intValue()).path("decision_index").asLong()).isEqualTo(call.decisionIndex());
            assertThat(call.outcomeEntrySha256()).contains(intact.entryHashHex(outcome.intValue()));
          });
        }
        assertThat(calls.stream().filter(c -> c.outcomeIndex().isPresent())).hasSize(THREADS / SESSIONS * CALLS_PER_THREAD / 2);
      }
    }
  }
}
