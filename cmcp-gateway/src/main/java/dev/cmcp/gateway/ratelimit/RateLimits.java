package dev.cmcp.gateway.ratelimit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * The rate limits a call must pass before it is forwarded: the gateway's defaults from the
 * config's {@code rate_limits:} (each principal, each tool) and the {@code @rate_limit} of each
 * permit that allowed it (each principal on each tool, counted per permit).
 *
 * <p>Counted in this process's memory only: behind a load balancer each replica counts its own
 * calls, so a principal may make up to the limit once per replica.
 */
public final class RateLimits {

  /** No limits at all: every call passes, nothing is counted. */
  public static final Settings NONE = new Settings(Optional.empty(), Optional.empty(), Settings.DEFAULT_MAX_TRACKED_KEYS);

  /**
   * The config's {@code rate_limits:} section.
   *
   * @param perPrincipal each principal's calls, all tools together
   * @param perTool each tool's calls, all principals together
   * @param maxTrackedKeys how many counters are kept at most; beyond that a call that needs a new
   *     one is refused until counters fall idle
   */
  public record Settings(Optional<RateLimit> perPrincipal, Optional<RateLimit> perTool, int maxTrackedKeys) {
    public static final int DEFAULT_MAX_TRACKED_KEYS = 100_000;

    public Settings {
      if (maxTrackedKeys < 1) {
        throw new IllegalArgumentException("max_tracked_keys must be at least 1");
      }
    }
  }

  /**
   * A call over a limit.
   *
   * @param limit which limit, for the audit log and the agent: {@code permit <id> 10/minute},
   *     {@code rate_limits.per_principal 100/minute}, {@code rate_limits.per_tool ...}
   * @param retryAfter when a call would be admitted again
   */
  public record Exceeded(String limit, Duration retryAfter) {
    /** Whole seconds, at least 1, as {@code Retry-After} carries them. */
    public long retryAfterSeconds() {
      long seconds = retryAfter.toSeconds() + (retryAfter.toNanosPart() > 0 ? 1 : 0);
      return Math.max(1, seconds);
    }
  }

  private final Settings settings;
  private final RateLimiter limiter;
  private final LongSupplier nanoTime;

  public RateLimits(Settings settings) {
    this(settings, System::nanoTime);
  }

  /** @param nanoTime a monotonic clock in nanoseconds, as {@link System#nanoTime} */
  public RateLimits(Settings settings, LongSupplier nanoTime) {
    this.settings = settings;
    this.limiter = new RateLimiter(settings.maxTrackedKeys());
    this.nanoTime = nanoTime;
  }

  /**
   * Counts one call of {@code principal} on {@code target} against every limit that applies, or
   * against none if one refuses it.
   *
   * @param permitLimits the {@code @rate_limit} of each permit that allowed the call, by policy id
   */
  public Optional<Exceeded> admit(String principal, String target, Map<String, RateLimit> permitLimits) {
    if (permitLimits.isEmpty() && settings.perPrincipal().isEmpty() && settings.perTool().isEmpty()) {
      return Optional.empty();
    }
    List<RateLimiter.Check> checks = new ArrayList<>(2 + permitLimits.size());
    settings.perPrincipal().ifPresent(limit ->
        checks.add(new RateLimiter.Check(new RateLimiter.Key("principal", "", principal, ""), limit)));
    settings.perTool().ifPresent(limit -> checks.add(new RateLimiter.Check(new RateLimiter.Key("tool", "", "", target), limit)));
    permitLimits.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(permit -> checks.add(
        new RateLimiter.Check(new RateLimiter.Key("permit", permit.getKey(), principal, target), permit.getValue())));
    return limiter.admit(checks, nanoTime.getAsLong()).map(refusal -> new Exceeded(describe(refusal.check()), refusal.retryAfter()));
  }

  private static String describe(RateLimiter.Check check) {
    return switch (check.key().kind()) {
      case "principal" -> "rate_limits.per_principal " + check.limit();
      case "tool" -> "rate_limits.per_tool " + check.limit();
      default -> "permit " + check.key().policyId() + " @rate_limit " + check.limit();
    };
  }
}
