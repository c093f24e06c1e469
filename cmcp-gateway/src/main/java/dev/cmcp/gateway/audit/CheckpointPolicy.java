package dev.cmcp.gateway.audit;

import java.time.Duration;
import java.util.Objects;

/**
 * When the audit log writes a signed checkpoint ({@code audit.checkpoint_every_entries},
 * {@code audit.checkpoint_every_seconds}): after a durable append that finds at least
 * {@code everyEntries} entries, or at least one entry and {@code every} of time, since the last
 * checkpoint (the time trigger is also checked once a second without appends); and at shutdown
 * when any entry is not yet covered. A zero turns that trigger off.
 */
public record CheckpointPolicy(long everyEntries, Duration every) {

  /** No checkpoints: what logs opened without a claim key get. */
  public static final CheckpointPolicy OFF = new CheckpointPolicy(0, Duration.ZERO);

  /** The defaults of docs/configuration.md. */
  public static final CheckpointPolicy DEFAULT = new CheckpointPolicy(1_000, Duration.ofSeconds(60));

  public CheckpointPolicy {
    Objects.requireNonNull(every, "every");
    if (everyEntries < 0 || every.isNegative()) {
      throw new IllegalArgumentException("checkpoint intervals are zero (off) or positive");
    }
  }

  boolean enabled() {
    return everyEntries > 0 || !every.isZero();
  }
}
