package dev.cmcp.gateway.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class SessionHistoriesTest {

  private final AtomicLong now = new AtomicLong();
  private final SessionHistories histories = new SessionHistories(4, 2, Duration.ofSeconds(60), now::get);

  @Test
  void aSessionRemembersItsCallsToolsSensitivityAndDenials() {
    assertThat(histories.history("a", "s")).contains(SessionHistory.EMPTY);
    histories.record("a", "s", Optional.of("crm.get"), Optional.of("pii"), false);
    histories.record("a", "s", Optional.of("web.search"), Optional.empty(), false);
    histories.record("a", "s", Optional.empty(), Optional.empty(), true);

    assertThat(histories.history("a", "s")).contains(new SessionHistory(3, Set.of("crm.get", "web.search"), Set.of("pii"), 1));
    assertThat(histories.history("b", "s")).as("another principal, same id").contains(SessionHistory.EMPTY);
  }

  @Test
  void aPrincipalCannotPushItsOwnHistoryOutByOpeningSessions() {
    histories.history("a", "s1");
    histories.record("a", "s1", Optional.of("crm.get"), Optional.of("pii"), false);
    histories.history("a", "s2");

    assertThat(histories.history("a", "s3")).as("over the per-principal bound: refused, not evicted").isEmpty();
    assertThat(histories.history("a", "s1").orElseThrow().sensitivitySeen()).containsExactly("pii");
    assertThat(histories.history("b", "s1")).as("other principals still get theirs").isPresent();
  }

  @Test
  void idleHistoriesAreDroppedToMakeRoomAndForgotten() {
    histories.history("a", "s1");
    histories.record("a", "s1", Optional.of("crm.get"), Optional.of("pii"), false);
    histories.history("a", "s2");
    now.addAndGet(Duration.ofSeconds(61).toNanos());

    assertThat(histories.history("a", "s3")).contains(SessionHistory.EMPTY);
    assertThat(histories.history("a", "s1")).as("idle past the timeout: a new, empty history").contains(SessionHistory.EMPTY);
  }
}
