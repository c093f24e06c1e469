package dev.cmcp.bench;

import java.util.Optional;
import org.HdrHistogram.Histogram;

/**
 * One target at one load, over the measured window only.
 *
 * @param latencyNanos the successful calls' latencies
 * @param errors calls that failed or got anything but the echo back
 * @param dropped open loop only: calls not sent because too many were outstanding
 * @param seconds the length of the measured window
 * @param firstError what the first failure said, for the operator
 */
public record Measurement(
    String target, Load load, Histogram latencyNanos, long errors, long dropped, double seconds, Optional<String> firstError) {

  public Measurement {
    latencyNanos = latencyNanos.copy();
  }

  @Override
  public Histogram latencyNanos() {
    return latencyNanos.copy();
  }

  public long calls() {
    return latencyNanos.getTotalCount();
  }

  /** Successful calls per second. */
  public double throughput() {
    return calls() / seconds;
  }

  public double millisAt(double percentile) {
    return calls() == 0 ? Double.NaN : latencyNanos.getValueAtPercentile(percentile) / 1e6;
  }
}
