package dev.cmcp.gateway.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cmcp.gateway.attest.TestClock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class StreamReplaysTest {

  private final TestClock clock = new TestClock(Instant.parse("2026-01-01T00:00:00Z"));
  private final StreamReplays replays = new StreamReplays(clock);

  @Test
  void aResumeFromThePrimingEventReplaysWhatCameAfterIt() throws InterruptedException {
    StreamReplays.Recording stream = replays.open("session-a");
    StreamReplays.Event priming = stream.append("");
    stream.append("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\"}");
    stream.append("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}");
    stream.complete();

    StreamReplays.Resumed resumed = replays.resume("session-a", priming.id());

    assertThat(resumed).isInstanceOf(StreamReplays.Resumed.From.class);
    StreamReplays.Resumed.From from = (StreamReplays.Resumed.From) resumed;
    List<StreamReplays.Event> rest = from.stream().after(from.after(), 0);
    assertThat(rest).extracting(StreamReplays.Event::data)
        .containsExactly("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\"}", "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}");
  }

  @Test
  void anotherSessionCannotResumeAStreamEvenWithItsEventId() {
    StreamReplays.Recording stream = replays.open("session-a");
    StreamReplays.Event priming = stream.append("");
    stream.append("{\"secret\":true}");

    StreamReplays.Resumed resumed = replays.resume("session-b", priming.id());

    assertThat(resumed).isInstanceOf(StreamReplays.Resumed.Refused.class);
    assertThat(((StreamReplays.Resumed.Refused) resumed).reason()).contains("only for the session that opened them");
  }

  @Test
  void eventIdsAreUnguessableAndDistinctPerStream() {
    String first = replays.open("session-a").append("").id();
    String second = replays.open("session-a").append("").id();

    assertThat(first).isNotEqualTo(second);
    // 128 random bits, base64url: 22 characters before the sequence number.
    assertThat(first.substring(0, first.lastIndexOf('-'))).hasSize(22);
  }

  @Test
  void aResumeFromBeforeTheKeptEventsIsRefused() {
    StreamReplays.Recording stream = replays.open("session-a");
    StreamReplays.Event priming = stream.append("");
    // One more than the bound after the priming event: the first event after it is forgotten.
    for (int i = 0; i <= StreamReplays.MAX_EVENTS_PER_STREAM; i++) {
      stream.append("{\"n\":" + i + "}");
    }

    StreamReplays.Resumed resumed = replays.resume("session-a", priming.id());

    assertThat(resumed).isInstanceOf(StreamReplays.Resumed.Refused.class);
    assertThat(((StreamReplays.Resumed.Refused) resumed).reason()).contains("no longer kept");
  }

  @Test
  void aSessionKeepsAtMostItsBoundOfStreamsForgettingTheOldest() {
    String oldest = replays.open("session-a").append("").id();
    for (int i = 0; i < StreamReplays.MAX_STREAMS_PER_SESSION; i++) {
      replays.open("session-a").append("");
    }

    assertThat(replays.streams("session-a")).isEqualTo(StreamReplays.MAX_STREAMS_PER_SESSION);
    assertThat(replays.resume("session-a", oldest)).isInstanceOf(StreamReplays.Resumed.Refused.class);
  }

  @Test
  void aStreamIsForgottenAfterItsKeepingTime() {
    StreamReplays.Event priming = replays.open("session-a").append("");

    clock.advance(StreamReplays.KEPT_FOR.plusSeconds(1));

    assertThat(replays.resume("session-a", priming.id())).isInstanceOf(StreamReplays.Resumed.Refused.class);
  }

  @Test
  void anEndedSessionsStreamsAreForgotten() {
    StreamReplays.Event priming = replays.open("session-a").append("");

    replays.sessionEnded("session-a");

    assertThat(replays.streams("session-a")).isZero();
    assertThat(replays.resume("session-a", priming.id())).isInstanceOf(StreamReplays.Resumed.Refused.class);
  }

  @Test
  void aLastEventIdThatIsNoIdOfOursIsRefusedWithAReason() {
    StreamReplays.Resumed resumed = replays.resume("session-a", "not-an-id");

    assertThat(resumed).isInstanceOf(StreamReplays.Resumed.Refused.class);
  }

  @Test
  void streamsTogetherKeepNoMoreThanTheStoreHoldsAndAFullStoreRefusesTheResumeNotTheEvent() {
    StreamReplays small = new StreamReplays(clock, 1000);
    List<StreamReplays.Event> firsts = new ArrayList<>();
    for (int session = 0; session < 20; session++) {
      StreamReplays.Recording recording = small.open("s" + session);
      firsts.add(recording.append(""));
      StreamReplays.Event event = recording.append("x".repeat(300));
      assertThat(event.data()).hasSize(300);
      assertThat(small.keptInAll()).isLessThanOrEqualTo(1000);
    }
    long refused = 0;
    for (int session = 0; session < 20; session++) {
      if (small.resume("s" + session, firsts.get(session).id()) instanceof StreamReplays.Resumed.Refused) {
        refused++;
      }
    }
    assertThat(refused).as("streams that found the store full forgot what they kept").isGreaterThan(0);
    for (int session = 0; session < 20; session++) {
      small.sessionEnded("s" + session);
    }
    assertThat(small.keptInAll()).as("ended sessions give their characters back").isZero();
  }
}
