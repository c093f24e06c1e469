package dev.cmcp.gateway.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RateLimitsTest {

  private static final long SECOND = 1_000_000_000L;
  private static final RateLimit TEN_A_MINUTE = RateLimit.parse("10/minute");

  private final AtomicLong now = new AtomicLong(1_000 * SECOND);

  private RateLimits limits(Optional<RateLimit> perPrincipal, Optional<RateLimit> perTool, int maxKeys) {
    return new RateLimits(new RateLimits.Settings(perPrincipal, perTool, maxKeys), now::get);
  }

  @Test
  void aPermitLimitAdmitsExactlyItsCountAtOnceThenOneCallPerInterval() {
    RateLimits limits = limits(Optional.empty(), Optional.empty(), 100);
    Map<String, RateLimit> permit = Map.of("crm-read", TEN_A_MINUTE);

    for (int call = 1; call <= 10; call++) {
      assertThat(limits.admit("sales", "crm.read", permit)).as("call %d", call).isEmpty();
    }
    Optional<RateLimits.Exceeded> eleventh = limits.admit("sales", "crm.read", permit);

    assertThat(eleventh).isPresent();
    assertThat(eleventh.get().limit()).isEqualTo("permit crm-read @rate_limit 10/minute");
    assertThat(eleventh.get().retryAfter()).isEqualTo(Duration.ofSeconds(6));
    assertThat(eleventh.get().retryAfterSeconds()).isEqualTo(6);
    now.addAndGet(6 * SECOND - 1);
    assertThat(limits.admit("sales", "crm.read", permit)).as("a nanosecond early").isPresent();
    now.addAndGet(1);
    assertThat(limits.admit("sales", "crm.read", permit)).as("after one interval").isEmpty();
    assertThat(limits.admit("sales", "crm.read", permit)).as("only one came back").isPresent();
  }

  @Test
  void refusedCallsUseUpNothing() {
    RateLimits limits = limits(Optional.empty(), Optional.empty(), 100);
    Map<String, RateLimit> permit = Map.of("p", RateLimit.parse("1/second"));
    assertThat(limits.admit("a", "t", permit)).isEmpty();
    for (int i = 0; i < 50; i++) {
      assertThat(limits.admit("a", "t", permit)).isPresent();
    }
    now.addAndGet(SECOND);
    assertThat(limits.admit("a", "t", permit)).isEmpty();
  }

  @Test
  void eachPrincipalHasItsOwnCountAndEachToolItsOwn() {
    RateLimits limits = limits(Optional.empty(), Optional.empty(), 100);
    Map<String, RateLimit> permit = Map.of("p", RateLimit.parse("2/hour"));
    limits.admit("alice", "crm.read", permit);
    limits.admit("alice", "crm.read", permit);

    assertThat(limits.admit("alice", "crm.read", permit)).isPresent();
    assertThat(limits.admit("bob", "crm.read", permit)).as("another principal").isEmpty();
    assertThat(limits.admit("alice", "crm.write", permit)).as("another tool").isEmpty();
  }

  @Test
  void gatewayDefaultsCountEveryPrincipalAndEveryToolAndAllLimitsMustPass() {
    RateLimits limits = limits(Optional.of(RateLimit.parse("3/minute")), Optional.of(RateLimit.parse("4/minute")), 100);

    assertThat(limits.admit("alice", "a", Map.of())).isEmpty();
    assertThat(limits.admit("alice", "b", Map.of())).isEmpty();
    assertThat(limits.admit("alice", "c", Map.of())).isEmpty();
    assertThat(limits.admit("alice", "d", Map.of()).orElseThrow().limit()).isEqualTo("rate_limits.per_principal 3/minute");
    assertThat(limits.admit("bob", "a", Map.of())).isEmpty();
    assertThat(limits.admit("carol", "a", Map.of())).isEmpty();
    assertThat(limits.admit("dave", "a", Map.of())).isEmpty();
    assertThat(limits.admit("erin", "a", Map.of()).orElseThrow().limit()).isEqualTo("rate_limits.per_tool 4/minute");
    // erin was refused as a whole: her own count was not used up by the refused call.
    assertThat(limits.admit("erin", "b", Map.of())).isEmpty();
  }

  @Test
  void countersAreBoundedAndANewKeyIsRefusedWhileEveryOneIsBusy() {
    RateLimits limits = limits(Optional.of(RateLimit.parse("1/minute")), Optional.empty(), 2);
    assertThat(limits.admit("a", "t", Map.of())).isEmpty();
    assertThat(limits.admit("b", "t", Map.of())).isEmpty();

    Optional<RateLimits.Exceeded> third = limits.admit("c", "t", Map.of());

    assertThat(third).isPresent();
    assertThat(third.get().retryAfterSeconds()).isEqualTo(60);
    now.addAndGet(60 * SECOND);
    assertThat(limits.admit("c", "t", Map.of())).as("idle counters are dropped to make room").isEmpty();
    assertThat(limits.admit("d", "t", Map.of())).isEmpty();
  }

  @Test
  void ratesAreWrittenAsCallsPerPeriod() {
    assertThat(RateLimit.parse("10/minute")).isEqualTo(new RateLimit(10, Duration.ofMinutes(1)));
    assertThat(RateLimit.parse(" 5 / Hour ")).isEqualTo(new RateLimit(5, Duration.ofHours(1)));
    assertThat(RateLimit.parse("1/day").toString()).isEqualTo("1/day");
    assertThatThrownBy(() -> RateLimit.parse("10 per minute")).hasMessageContaining("like \"10/minute\"");
    assertThatThrownBy(() -> RateLimit.parse("0/minute")).hasMessageContaining("from 1 to");
    assertThatThrownBy(() -> RateLimit.parse("10/week")).hasMessageContaining("second, minute, hour, day");
  }
}
