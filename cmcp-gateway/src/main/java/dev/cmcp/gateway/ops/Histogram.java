package dev.cmcp.gateway.ops;

import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/** A latency histogram with fixed buckets, in seconds; observing allocates nothing. */
final class Histogram {

  /** From 100 µs to 10 s: policy evaluation sits at the low end, upstream calls at the high end. */
  static final double[] BOUNDS = {0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10};

  private final String name;
  private final String help;
  /** One count per bucket, not cumulative; the last is +Inf. */
  private final LongAdder[] counts = new LongAdder[BOUNDS.length + 1];
  private final DoubleAdder sum = new DoubleAdder();

  Histogram(String name, String help) {
    this.name = name;
    this.help = help;
    for (int i = 0; i < counts.length; i++) {
      counts[i] = new LongAdder();
    }
  }

  void observeNanos(long nanos) {
    double seconds = nanos / 1e9;
    int bucket = 0;
    while (bucket < BOUNDS.length && seconds > BOUNDS[bucket]) {
      bucket++;
    }
    counts[bucket].increment();
    sum.add(seconds);
  }

  void render(StringBuilder out) {
    out.append("# HELP ").append(name).append(' ').append(help).append('\n');
    out.append("# TYPE ").append(name).append(" histogram\n");
    long cumulative = 0;
    for (int i = 0; i < counts.length; i++) {
      cumulative += counts[i].sum();
      String bound = i < BOUNDS.length ? java.math.BigDecimal.valueOf(BOUNDS[i]).toPlainString() : "+Inf";
      out.append(name).append("_bucket{le=\"").append(bound).append("\"} ").append(cumulative).append('\n');
    }
    out.append(name).append("_sum ").append(sum.sum()).append('\n');
    out.append(name).append("_count ").append(cumulative).append('\n');
  }
}
