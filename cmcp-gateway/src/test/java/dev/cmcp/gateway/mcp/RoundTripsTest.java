package dev.cmcp.gateway.mcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The bounds on pending round trips and the checks on the state that continues one. */
class RoundTripsTest {

  private static final AgentCapabilities BOTH = new AgentCapabilities(true, true);
  private static final ObjectNode PARAMS = JsonNodeFactory.instance.objectNode().put("message", "?");

  private static final class MovableClock extends Clock {
    private Instant now = Instant.parse("2026-07-28T00:00:00Z");

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

  @Test
  void pendingRoundTripsAreBoundedPerCallerAndTheUpstreamIsRefusedBeyond() {
    RoundTrips store = new RoundTrips(Clock.systemUTC(), Duration.ofMinutes(1));
    List<RoundTrip> trips = new ArrayList<>();
    for (int i = 0; i < RoundTrips.MAX_PER_PRINCIPAL; i++) {
      RoundTrip trip = store.begin("|a", "r", BOTH);
      assertThat(trip.ask("k", "elicitation/create", PARAMS, answer -> { })).isTrue();
      trips.add(trip);
    }
    assertThat(store.begin("|a", "r", BOTH).ask("k", "elicitation/create", PARAMS, answer -> { })).isFalse();
    assertThat(store.begin("|b", "r", BOTH).ask("k", "elicitation/create", PARAMS, answer -> { })).isTrue();
    assertThat(store.pendingCount()).isEqualTo(RoundTrips.MAX_PER_PRINCIPAL + 1);

    // One ends: its caller may ask again.
    trips.get(0).finish(new RoundTrip.Step.Done(java.util.Optional.of(PARAMS), java.util.Optional.empty()));
    assertThat(awaitDone(trips.get(0))).isTrue();
    assertThat(store.begin("|a", "r", BOTH).ask("k", "elicitation/create", PARAMS, answer -> { })).isTrue();
  }

  @Test
  void theTotalIsBoundedToo() {
    RoundTrips store = new RoundTrips(Clock.systemUTC(), Duration.ofMinutes(1));
    for (int i = 0; i < RoundTrips.MAX_TOTAL; i++) {
      assertThat(store.begin("|" + i, "r", BOTH).ask("k", "sampling/createMessage", PARAMS, answer -> { })).isTrue();
    }
    assertThat(store.begin("|new", "r", BOTH).ask("k", "sampling/createMessage", PARAMS, answer -> { })).isFalse();
  }

  @Test
  void onlyWhatTheClientDeclaredIsAskedOfIt() {
    RoundTrips store = new RoundTrips(Clock.systemUTC(), Duration.ofMinutes(1));
    RoundTrip trip = store.begin("|a", "r", new AgentCapabilities(false, true));
    assertThat(trip.ask("k", "sampling/createMessage", PARAMS, answer -> { })).isFalse();
    assertThat(trip.ask("k", "roots/list", PARAMS, answer -> { })).isFalse();
    assertThat(trip.ask("k", "elicitation/create", PARAMS, answer -> { })).isTrue();
  }

  @Test
  void aStateIsRefusedOnceExpiredAndTheOpenQuestionGetsAnError() throws Exception {
    MovableClock clock = new MovableClock();
    RoundTrips store = new RoundTrips(clock, Duration.ofMillis(200));
    RoundTrip trip = store.begin("|a", "r", BOTH);
    AtomicReference<ObjectNode> upstreamGot = new AtomicReference<>();
    trip.ask("k", "elicitation/create", PARAMS, upstreamGot::set);
    RoundTrip.Step step = trip.await();
    assertThat(step).isInstanceOf(RoundTrip.Step.InputRequired.class);
    String state = store.state(trip, ((RoundTrip.Step.InputRequired) step).round());
    assertThat(store.resolve(state, "|a", "r").roundTrip()).isSameAs(trip);

    clock.now = clock.now.plusSeconds(1);
    assertThatThrownBy(() -> store.resolve(state, "|a", "r")).isInstanceOfSatisfying(RoundTrips.RefusedState.class,
        refused -> assertThat(refused.refusal().word()).isEqualTo("request_state_expired"));
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (upstreamGot.get() == null && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(upstreamGot.get().at("/error/message").asText()).contains("did not answer");
    assertThat(store.pendingCount()).isZero();
  }

  @Test
  void aStateOfAnotherGatewayIsForged() throws Exception {
    RoundTrips mine = new RoundTrips(Clock.systemUTC(), Duration.ofMinutes(1));
    RoundTrips theirs = new RoundTrips(Clock.systemUTC(), Duration.ofMinutes(1));
    RoundTrip trip = theirs.begin("|a", "r", BOTH);
    trip.ask("k", "elicitation/create", PARAMS, answer -> { });
    String state = theirs.state(trip, ((RoundTrip.Step.InputRequired) trip.await()).round());
    assertThatThrownBy(() -> mine.resolve(state, "|a", "r")).isInstanceOfSatisfying(RoundTrips.RefusedState.class,
        refused -> assertThat(refused.refusal().word()).isEqualTo("request_state_invalid"));
    assertThatThrownBy(() -> mine.resolve(RoundTrips.PREFIX + "x".repeat(RoundTrips.MAX_STATE_CHARS), "|a", "r"))
        .isInstanceOf(RoundTrips.RefusedState.class);
    assertThat(RoundTrips.isGateways(JsonNodeFactory.instance.textNode(state))).isTrue();
    assertThat(RoundTrips.isGateways(JsonNodeFactory.instance.textNode("an upstream's own state"))).isFalse();
  }

  private static boolean awaitDone(RoundTrip trip) {
    try {
      return trip.await() instanceof RoundTrip.Step.Done;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  @Test
  void anUpstreamsStateComesBackOnlyToItsCallerOnItsRequestUnaltered() throws Exception {
    RoundTrips store = new RoundTrips(Clock.systemUTC(), Duration.ofMinutes(1));
    String sealed = store.sealUpstream("server-state-1", "alice|w", "tools/call", "ask");

    assertThat(sealed).startsWith(RoundTrips.UPSTREAM_PREFIX).doesNotContain("server-state-1");
    assertThat(RoundTrips.isUpstreams(JsonNodeFactory.instance.textNode(sealed))).isTrue();
    assertThat(RoundTrips.isGateways(JsonNodeFactory.instance.textNode(sealed))).isFalse();
    assertThat(store.openUpstream(sealed, "alice|w", "tools/call", "ask")).isEqualTo("server-state-1");
    // Not single-use: a repeated retry is the server's to judge, and the policy's, anew.
    assertThat(store.openUpstream(sealed, "alice|w", "tools/call", "ask")).isEqualTo("server-state-1");

    assertThatThrownBy(() -> store.openUpstream(sealed, "mallory|w", "tools/call", "ask"))
        .hasMessageContaining("another caller");
    assertThatThrownBy(() -> store.openUpstream(sealed, "alice|w", "tools/call", "delete"))
        .hasMessageContaining("another request");
    assertThatThrownBy(() -> store.openUpstream(sealed, "alice|w", "prompts/get", "ask"))
        .hasMessageContaining("another request");
    String altered = store.sealUpstream("server-state-2", "alice|w", "tools/call", "ask");
    String spliced = sealed.substring(0, sealed.indexOf('.')) + altered.substring(altered.indexOf('.'));
    assertThatThrownBy(() -> store.openUpstream(spliced, "alice|w", "tools/call", "ask")).hasMessageContaining("altered");
    assertThatThrownBy(() -> new RoundTrips(Clock.systemUTC(), Duration.ofMinutes(1)).openUpstream(sealed, "alice|w", "tools/call", "ask"))
        .as("another gateway's key").hasMessageContaining("altered");
  }

  @Test
  void theGatewaysOwnStateAndAnUpstreamsSealedStateAreNotInterchangeable() throws Exception {
    RoundTrips store = new RoundTrips(Clock.systemUTC(), Duration.ofMinutes(1));
    String sealed = store.sealUpstream("s", "|a", "tools/call", "t");
    String relabelled = RoundTrips.PREFIX + sealed.substring(RoundTrips.UPSTREAM_PREFIX.length());
    assertThatThrownBy(() -> store.resolve(relabelled, "|a", "r")).hasMessageContaining("altered");
    RoundTrip trip = store.begin("|a", "r", BOTH);
    String own = store.state(trip, 1);
    String asUpstream = RoundTrips.UPSTREAM_PREFIX + own.substring(RoundTrips.PREFIX.length());
    assertThatThrownBy(() -> store.openUpstream(asUpstream, "|a", "tools/call", "t")).hasMessageContaining("altered");
  }
}
