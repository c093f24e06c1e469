package dev.cmcp.gateway.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SessionStoreTest {

  /** A clock the test moves by hand. */
  private static final class HandClock extends Clock {
    private Instant now = Instant.parse("2026-01-01T00:00:00Z");

    void advance(Duration by) {
      now = now.plus(by);
    }

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  private final HandClock clock = new HandClock();

  private McpSession open(SessionStore store, String principal) {
    return store.open(principal, "2025-06-18", "test", AgentCapabilities.NONE).orElseThrow();
  }

  @Test
  void sessionUnusedForTheIdleTimeoutIsEndedAndSaysSo() {
    SessionStore store = new SessionStore(clock, 10, 10, Duration.ofMinutes(5), id -> {});
    McpSession used = open(store, "a");
    McpSession idle = open(store, "a");

    clock.advance(Duration.ofMinutes(4));
    assertThat(store.find(used.id())).isPresent();
    clock.advance(Duration.ofMinutes(2));

    assertThat(store.find(used.id())).as("used 2 minutes ago").isPresent();
    assertThat(store.find(idle.id())).as("unused for 6 minutes").isEmpty();
    assertThat(store.wasEnded(idle.id())).isTrue();
  }

  @Test
  void aFloodOfInitializeEndsOnlyTheFloodersOwnSessions() {
    SessionStore store = new SessionStore(clock, 10_000, 100, Duration.ofMinutes(30), id -> {});
    McpSession bystander = open(store, "bystander");
    McpSession firstFlood = open(store, "flooder");

    for (int i = 0; i < 10_000; i++) {
      clock.advance(Duration.ofMillis(1));
      open(store, "flooder");
    }

    assertThat(store.size()).isEqualTo(101);
    assertThat(store.find(bystander.id())).as("another principal's session, idle all along").isPresent();
    assertThat(store.find(firstFlood.id())).isEmpty();
    assertThat(open(store, "bystander")).as("and a new one opens").isNotNull();
  }

  @Test
  void fullTableEndsTheSessionIdleLongestWhoeverOwnsIt() {
    SessionStore store = new SessionStore(clock, 3, 3, Duration.ofMinutes(30), id -> {});
    List<McpSession> sessions = new ArrayList<>();
    for (String principal : List.of("a", "b", "c")) {
      sessions.add(open(store, principal));
      clock.advance(Duration.ofSeconds(1));
    }
    store.find(sessions.get(0).id());

    McpSession fourth = open(store, "d");

    assertThat(store.find(sessions.get(1).id())).as("b was idle longest").isEmpty();
    assertThat(store.find(sessions.get(0).id())).as("a was used last").isPresent();
    assertThat(store.find(sessions.get(2).id())).isPresent();
    assertThat(store.find(fourth.id())).isPresent();
  }

  @Test
  void endedIdsAreRememberedOnlyUpToABound() {
    SessionStore store = new SessionStore(clock, 1, 1, Duration.ofMinutes(30), id -> {});
    McpSession first = open(store, "a");
    for (int i = 0; i <= SessionStore.REMEMBERED_ENDED; i++) {
      open(store, "a");
    }
    assertThat(store.wasEnded(first.id())).as("forgotten: the table of ended ids is bounded").isFalse();
  }

  @Test
  void everyWayASessionEndsIsToldSoThatItsUpstreamSessionsEndToo() {
    List<String> ended = new ArrayList<>();
    SessionStore store = new SessionStore(clock, 2, 2, Duration.ofMinutes(5), ended::add);
    McpSession byAgent = open(store, "a");
    McpSession idle = open(store, "a");
    store.end(byAgent.id());
    assertThat(ended).containsExactly(byAgent.id());

    clock.advance(Duration.ofMinutes(6));
    assertThat(store.find(idle.id())).isEmpty();
    assertThat(ended).containsExactly(byAgent.id(), idle.id());

    McpSession evicted = open(store, "a");
    clock.advance(Duration.ofSeconds(1));
    open(store, "a");
    open(store, "a");
    assertThat(ended).as("evicted to make room").containsExactly(byAgent.id(), idle.id(), evicted.id());
    assertThat(store.end(byAgent.id())).as("ended once, told once").isEmpty();
    assertThat(ended).hasSize(3);
  }
}
