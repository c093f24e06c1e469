package dev.cmcp.gateway.mcp;

import dev.cmcp.gateway.policy.SessionHistories;
import dev.cmcp.gateway.ratelimit.RateLimits;
import java.time.Duration;

/**
 * The checks a call allowed by the policy still passes before it is forwarded, with the settings
 * they take from the config.
 *
 * @param rateLimits the config's {@code rate_limits:} and the permits' {@code @rate_limit}, counted here
 * @param histories what each session did so far, for {@code context.session}
 * @param approvalTimeout how long a person has to answer a permit's {@code @require_approval}
 */
public record CallControls(RateLimits rateLimits, SessionHistories histories, Duration approvalTimeout) {

  /** With the default approval timeout, 120 s. */
  public CallControls(RateLimits rateLimits, SessionHistories histories) {
    this(rateLimits, histories, Duration.ofMinutes(2));
  }

  /** No rate limits but the permits' own; session histories dropped after 30 idle minutes. */
  public static CallControls defaults() {
    return new CallControls(new RateLimits(RateLimits.NONE), new SessionHistories(Duration.ofMinutes(30)));
  }
}
