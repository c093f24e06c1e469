package dev.cmcp.gateway.mcp;

import dev.cmcp.gateway.ratelimit.RateLimits;

/**
 * The checks a call allowed by the policy still passes before it is forwarded, with the settings
 * they take from the config.
 *
 * @param rateLimits the config's {@code rate_limits:} and the permits' {@code @rate_limit}, counted here
 */
public record CallControls(RateLimits rateLimits) {

  /** No rate limits but the permits' own. */
  public static CallControls defaults() {
    return new CallControls(new RateLimits(RateLimits.NONE));
  }
}
