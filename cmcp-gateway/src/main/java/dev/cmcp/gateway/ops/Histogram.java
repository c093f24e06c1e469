package dev.cmcp.gateway.ops;

import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/** A histogram with fixed buckets; observing allocates nothing. */
final class Histogram {

  /** From 100 µs to 10 s: policy evaluation sits at the low end, upstream calls at the high end. */
  static final double[] SECONDS = {0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10};

  private final double[] bounds;
  private final String name;
  private final String help;
  /** One count per bucket, not cumulative; the last is +Inf. */
  private final LongAdder[] counts;
  private final DoubleAdder sum = new DoubleAdder();

  /** @param bounds the buckets' upper bounds, ascending; a +Inf bucket follows them */
  Histogram(String name, String help, double[] bounds) {
    this.bounds = bounds.clone();
    this.counts = new LongAdder[bounds.length + 1];
    this.name = name;
    this.help = help;
    for (int i = 0; i < counts.length; i++) {
      counts[i] = new LongAdder();
    }
  }

  void observeNanos(long nanos) {
    observe(nanos / 1e9);
  }

  void observe(double value) {
    int bucket = 0;
    while (bucket < bounds.length && value > bounds[bucket]) {
      bucket++;
    }
    counts[bucket].increment();
    sum.add(value);
  }

  void render(StringBuilder out) {
    out.append("# HELP ").append(name).append(' ').append(help).append('\n');
    out.append("# TYPE ").append(name).append(" histogram\n");
    long cumulative = 0;
    for (int i = 0; i < counts.length; i++) {
      cumulative += counts[i].sum();
      String bound = i < bounds.length ? java.math.BigDecimal.valueOf(bounds[i]).toPlainString() : "+Inf";
      out.append(name).append("_bucket{le=\"").append(bound).append("\"} ").append(cumulative).append('\n');
    }
    out.append(name).append("_sum ").append(sum.sum()).append('\n');
    out.append(name).append("_count ").append(cumulative).append('\n');
  }
}
