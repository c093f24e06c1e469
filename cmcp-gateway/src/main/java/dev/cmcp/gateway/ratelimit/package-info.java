/**
 * Rate limits on governed calls: {@code @rate_limit("10/minute")} on a permit (each principal on
 * each tool) and the config's {@code rate_limits:} (each principal, each tool), counted in memory
 * per gateway process with a bounded number of counters ({@link dev.cmcp.gateway.ratelimit.RateLimits}).
 * A call over a limit is denied with cause {@code rate_limited}, HTTP 429 and {@code Retry-After}.
 */
package dev.cmcp.gateway.ratelimit;
