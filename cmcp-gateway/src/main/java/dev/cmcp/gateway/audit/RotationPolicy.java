package dev.cmcp.gateway.audit;

import java.time.Duration;
import java.util.Objects;

/**
 * When the audit log closes its epoch file within a run and opens the next
 * ({@code audit.rotate_max_bytes}, {@code audit.rotate_max_age_seconds}): before an entry is written,
 * once the file holds at least {@code maxBytes} bytes, or was opened at least {@code maxAge} ago,
 * and holds an entry besides those its epoch opened with. A zero turns that trigger off.
 */
public record RotationPolicy(long maxBytes, Duration maxAge) {

  /** No rotation: an epoch lasts the whole run. */
  public static final RotationPolicy OFF = new RotationPolicy(0, Duration.ZERO);

  public RotationPolicy {
    Objects.requireNonNull(maxAge, "maxAge");
    if (maxBytes < 0 || maxAge.isNegative()) {
      throw new IllegalArgumentException("rotation thresholds are zero (off) or positive");
    }
  }

  boolean enabled() {
    return maxBytes > 0 || !maxAge.isZero();
  }
}
