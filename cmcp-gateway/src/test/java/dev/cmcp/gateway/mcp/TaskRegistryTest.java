package dev.cmcp.gateway.mcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cmcp.gateway.attest.TestClock;
import dev.cmcp.gateway.audit.AuditLog;
import dev.cmcp.gateway.redaction.Redaction;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TaskRegistryTest {

  private final TestClock clock = new TestClock(Instant.parse("2026-12-01T10:00:00Z"));
  private final TaskRegistry registry = new TaskRegistry(clock);

  private TaskRegistry.Task task(String session, String upstreamId, Optional<Long> ttl) {
    return new TaskRegistry.Task(TaskRegistry.newId(), session, "p-" + session, "s", "", upstreamId, "s.tool", session,
        Optional.of(new AuditLog.Position("e", 1)), Optional.empty(), Redaction.NONE, "bundle", "catalog", clock.instant(),
        registry.expiry(ttl), TaskRegistry.Form.SESSION);
  }

  private TaskRegistry.Task created(String session) {
    TaskRegistry.Reservation room = registry.reserve(session, "p-" + session).orElseThrow();
    TaskRegistry.Task task = task(session, "up-" + System.nanoTime(), Optional.empty());
    registry.record(room, task);
    return task;
  }

  @Test
  void aTaskIsFoundByItsOwnSessionOnly() {
    TaskRegistry.Task task = created("a");
    assertThat(registry.find("a", task.id())).contains(task);
    assertThat(registry.find("b", task.id())).isEmpty();
    // The server's id names nothing: agents only ever see the gateway's.
    assertThat(registry.find("a", task.upstreamTaskId())).isEmpty();
    assertThat(registry.of("b")).isEmpty();
    assertThat(registry.of("a")).containsExactly(task);
  }

  @Test
  void gatewayIdsDifferEvenForTheSameUpstreamId() {
    assertThat(task("a", "1", Optional.empty()).id()).isNotEqualTo(task("b", "1", Optional.empty()).id());
  }

  @Test
  void aSessionHoldsAtMostItsShareAndReservationsCount() {
    List<TaskRegistry.Reservation> held = new ArrayList<>();
    for (int i = 0; i < TaskRegistry.MAX_PER_SESSION; i++) {
      held.add(registry.reserve("a", "p-a").orElseThrow());
    }
    assertThat(registry.reserve("a", "p-a")).isEmpty();
    assertThat(registry.reserve("b", "p-b")).isPresent();
    held.get(0).close();
    // Closing twice gives back one room only.
    held.get(0).close();
    assertThat(registry.reserve("a", "p-a")).isPresent();
    assertThat(registry.reserve("a", "p-a")).isEmpty();
  }

  @Test
  void theGatewayHoldsAtMostMaxTasks() {
    for (int i = 0; i < TaskRegistry.MAX_TASKS; i++) {
      created("s" + (i / TaskRegistry.MAX_PER_SESSION));
    }
    assertThat(registry.size()).isEqualTo(TaskRegistry.MAX_TASKS);
    assertThat(registry.reserve("fresh", "p-fresh")).isEmpty();
    registry.endSession("s0");
    assertThat(registry.reserve("fresh", "p-fresh")).isPresent();
  }

  @Test
  void aTaskIsForgottenAfterItsTtlAndNeverKeptLongerThanTheCap() {
    TaskRegistry.Reservation room = registry.reserve("a", "p-a").orElseThrow();
    TaskRegistry.Task shortLived = task("a", "1", Optional.of(1_000L));
    registry.record(room, shortLived);
    TaskRegistry.Reservation other = registry.reserve("a", "p-a").orElseThrow();
    TaskRegistry.Task unlimited = task("a", "2", Optional.empty());
    registry.record(other, unlimited);
    assertThat(unlimited.ttlMillis()).isEqualTo(TaskRegistry.MAX_TTL.toMillis());
    assertThat(task("a", "3", Optional.of(Long.MAX_VALUE)).ttlMillis()).isEqualTo(TaskRegistry.MAX_TTL.toMillis());
    clock.advance(Duration.ofSeconds(1));
    assertThat(registry.find("a", shortLived.id())).isEmpty();
    assertThat(registry.find("a", unlimited.id())).isPresent();
    clock.advance(TaskRegistry.MAX_TTL);
    assertThat(registry.find("a", unlimited.id())).isEmpty();
    assertThat(registry.size()).isZero();
  }

  @Test
  void aCallerHoldsAtMostItsShareAcrossItsSessions() {
    for (int i = 0; i < TaskRegistry.MAX_PER_PRINCIPAL; i++) {
      assertThat(registry.reserve("s" + (i / TaskRegistry.MAX_PER_SESSION), "agent")).isPresent();
    }
    assertThat(registry.reserve("another-session", "agent")).isEmpty();
    assertThat(registry.reserve("another-session", "another-agent")).isPresent();
  }

  @Test
  void aFinishedTaskOfTheSameCallerMakesRoomButNeverAnothersOrAnUnfinishedOne() {
    List<TaskRegistry.Task> mine = new ArrayList<>();
    for (int i = 0; i < TaskRegistry.MAX_PER_SESSION; i++) {
      mine.add(created("a"));
    }
    assertThat(registry.reserve("a", "p-a")).as("all unfinished").isEmpty();
    registry.finished(mine.get(3));
    TaskRegistry.Reservation room = registry.reserve("a", "p-a").orElseThrow();
    assertThat(registry.find("a", mine.get(3).id())).as("the finished one made room").isEmpty();
    assertThat(registry.of("a")).hasSize(TaskRegistry.MAX_PER_SESSION - 1);
    room.close();
    // Another caller's finished task is never taken to make room.
    TaskRegistry.Task theirs = created("b");
    registry.finished(theirs);
    registry.reserve("a", "p-a").orElseThrow();
    assertThat(registry.reserve("a", "p-a")).isEmpty();
    assertThat(registry.find("b", theirs.id())).contains(theirs);
  }

  @Test
  void aReservationRecordsOneTaskOfItsOwnSession() {
    TaskRegistry.Reservation room = registry.reserve("a", "p-a").orElseThrow();
    assertThatThrownBy(() -> registry.record(room, task("b", "1", Optional.empty()))).isInstanceOf(IllegalStateException.class);
    registry.record(room, task("a", "1", Optional.empty()));
    assertThatThrownBy(() -> registry.record(room, task("a", "2", Optional.empty()))).isInstanceOf(IllegalStateException.class);
    room.close();
    assertThat(registry.of("a")).hasSize(1);
  }
}
