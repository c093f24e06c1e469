package dev.cmcp.gateway.ratelimit;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Counts calls against rates, in memory, with the generic cell rate algorithm: each key keeps
 * one number, the time at which its bucket is empty again. A rate of N per period admits N calls
 * at once from rest, then one per period/N; a refused call costs nothing.
 *
 * <p>Bounded: at most {@code maxKeys} keys are tracked. A key whose bucket is empty again is
 * worth nothing and is dropped first; when every tracked key is still busy, a new key is refused
 * (fail closed) rather than letting whoever invents keys grow the table or wipe others' counts.
 *
 * <p>Per gateway process: replicas behind a load balancer each count their own calls.
 */
final class RateLimiter {

  /**
   * What one counter counts: {@code kind} is {@code principal}, {@code tool} or {@code permit};
   * the parts that do not apply are empty.
   */
  record Key(String kind, String policyId, String principal, String target) {}

  /** One check: the key that is counted and the rate it is counted against. */
  record Check(Key key, RateLimit limit) {}

  /** Why a call was refused and when a call would be admitted again. */
  record Refusal(Check check, Duration retryAfter) {}

  private final int maxKeys;
  /** Guarded by {@code this}: several checks of one call are admitted or refused together. */
  private final Map<Key, Long> emptyAt = new HashMap<>();

  RateLimiter(int maxKeys) {
    this.maxKeys = maxKeys;
  }

  /**
   * Admits one call against every check, or none: empty when admitted (each key counted), else
   * the first check that refuses, with the longest wait of all that refuse.
   *
   * @param nowNanos a monotonic time in nanoseconds
   */
  synchronized Optional<Refusal> admit(List<Check> checks, long nowNanos) {
    Refusal refused = null;
    int newKeys = 0;
    for (Check check : checks) {
      Long empty = emptyAt.get(check.key());
      if (empty == null) {
        newKeys++;
        continue;
      }
      long interval = check.limit().intervalNanos();
      long start = Math.max(empty, nowNanos);
      // Admitted while the bucket holds less than N-1 intervals of calls: N at once from rest.
      long wait = start - nowNanos - interval * (check.limit().count() - 1);
      if (wait > 0) {
        Duration retry = Duration.ofNanos(wait);
        if (refused == null) {
          refused = new Refusal(check, retry);
        } else if (retry.compareTo(refused.retryAfter()) > 0) {
          refused = new Refusal(refused.check(), retry);
        }
      }
    }
    if (refused != null) {
      return Optional.of(refused);
    }
    if (newKeys > 0 && emptyAt.size() + newKeys > maxKeys) {
      emptyAt.values().removeIf(empty -> empty <= nowNanos);
      if (emptyAt.size() + newKeys > maxKeys) {
        Check first = checks.stream().filter(check -> !emptyAt.containsKey(check.key())).findFirst().orElseThrow();
        long soonest = emptyAt.values().stream().mapToLong(Long::longValue).min().orElse(nowNanos) - nowNanos;
        return Optional.of(new Refusal(first, Duration.ofNanos(Math.max(soonest, 1))));
      }
    }
    for (Check check : checks) {
      long empty = emptyAt.getOrDefault(check.key(), nowNanos);
      emptyAt.put(check.key(), Math.max(empty, nowNanos) + check.limit().intervalNanos());
    }
    return Optional.empty();
  }

  /** How many keys are tracked now. */
  synchronized int trackedKeys() {
    return emptyAt.size();
  }
}
