package dev.cmcp.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpClient;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The smoke test of the default build: a short load against the in-process echo upstream. */
class LoadGeneratorTest {

  private static EchoUpstream upstream;
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @BeforeAll
  static void startUpstream() throws Exception {
    upstream = EchoUpstream.start(0);
  }

  @AfterAll
  static void stopUpstream() {
    upstream.close();
  }

  private static LoadGenerator generator(long maxCalls) {
    return new LoadGenerator(HTTP, Duration.ofMillis(100), Duration.ofMillis(500), 64, maxCalls);
  }

  @Test
  void closedLoopRecordsEveryAnsweredCall() throws Exception {
    Measurement m = generator(1_000_000).run(new Target("direct", upstream.url(), "echo"), new Load.Closed(2));

    assertThat(m.calls()).isPositive();
    assertThat(m.errors()).isZero();
    assertThat(m.firstError()).isEmpty();
    assertThat(m.millisAt(50)).isPositive().isLessThanOrEqualTo(m.millisAt(99.9));
  }

  @Test
  void openLoopSendsNoMoreThanItsSchedule() throws Exception {
    Measurement m = generator(1_000_000).run(new Target("direct", upstream.url(), "echo"), new Load.Open(50));

    assertThat(m.errors()).isZero();
    assertThat(m.calls()).isPositive();
    // 50/s over a 0.5 s window: the schedule has 25 slots in it, answered or dropped.
    assertThat(m.calls() + m.dropped()).isLessThanOrEqualTo(25);
  }

  @Test
  void answersThatAreNotTheEchoCountAsErrors() throws Exception {
    Measurement m = generator(1_000_000).run(new Target("direct", upstream.url(), "no-such-tool"), new Load.Closed(1));

    assertThat(m.calls()).isZero();
    assertThat(m.errors()).isPositive();
    assertThat(m.firstError()).hasValueSatisfying(why -> assertThat(why).contains("not an echo"));
  }

  @Test
  void theCallCapEndsAPointEarly() throws Exception {
    Measurement m = generator(20).run(new Target("direct", upstream.url(), "echo"), new Load.Closed(4));

    assertThat(m.calls() + m.errors()).isLessThanOrEqualTo(20);
  }
}
