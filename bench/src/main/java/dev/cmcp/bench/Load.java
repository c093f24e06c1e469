package dev.cmcp.bench;

/** How the load generator drives a target. */
public sealed interface Load permits Load.Closed, Load.Open {

  /** As printed in the tables: {@code c=16}, {@code 500/s}. */
  String label();

  /** {@code concurrency} agents, each sending its next call as soon as the last one is answered. */
  record Closed(int concurrency) implements Load {
    public Closed {
      if (concurrency < 1) {
        throw new IllegalArgumentException("concurrency must be at least 1, not " + concurrency);
      }
    }

    @Override
    public String label() {
      return "c=" + concurrency;
    }
  }

  /**
   * Calls started on a fixed schedule, whether or not earlier ones were answered: latency counts
   * from when a call was due, so a stalled target cannot hide its queue (no coordinated omission).
   */
  record Open(int perSecond) implements Load {
    public Open {
      if (perSecond < 1) {
        throw new IllegalArgumentException("the open-loop rate must be at least 1 call per second, not " + perSecond);
      }
    }

    @Override
    public String label() {
      return perSecond + "/s";
    }
  }
}
