package dev.cmcp.gateway.upstream;

import java.time.Duration;
import java.util.Objects;

/**
 * Limits that apply to every upstream.
 *
 * @param timeout how long one request may wait for its answer (also bounds start-up and connecting)
 * @param maxResponseSizeBytes the largest answer message the gateway accepts; larger ones fail
 *     with {@link UpstreamException.Kind#RESPONSE_TOO_LARGE} and are never held in memory whole
 */
public record UpstreamSettings(Duration timeout, long maxResponseSizeBytes) {
  public UpstreamSettings {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("upstream timeout must be positive, got " + timeout);
    }
    if (maxResponseSizeBytes <= 0) {
      throw new IllegalArgumentException("max response size must be positive, got " + maxResponseSizeBytes);
    }
  }

  /** The bound as an array size: Java arrays stop short of 2 GiB, so larger limits mean "up to that". */
  int maxResponseSizeAsArrayLength() {
    return (int) Math.min(maxResponseSizeBytes, Integer.MAX_VALUE - 16);
  }
}
