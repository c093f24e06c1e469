package dev.cmcp.gateway.http;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * How many large requests are worked on at once. Virtual threads are not preempted: a request
 * whose body takes a CPU hundreds of milliseconds to parse, decide, audit and forward keeps its
 * carrier thread that long, and as many such requests as there are CPUs would stall every other
 * request. Large ones therefore take turns on at most half the CPUs (at least one), and the rest
 * stay free for ordinary calls; one that waits too long for its turn is refused (503).
 */
final class LargeRequests {

  /** Bodies up to this size are ordinary: their work is a fraction of a millisecond. */
  static final int LARGE_BYTES = 256 * 1024;
  static final Duration MAX_WAIT = Duration.ofSeconds(10);

  private final Semaphore turns;

  LargeRequests(int processors) {
    this.turns = new Semaphore(Math.max(1, processors / 2), true);
  }

  /** Whether a body of {@code bytes} must take a turn. */
  static boolean isLarge(int bytes) {
    return bytes > LARGE_BYTES;
  }

  /** Waits for a turn; false when none came within {@link #MAX_WAIT}. */
  boolean await() throws InterruptedException {
    return turns.tryAcquire(MAX_WAIT.toMillis(), TimeUnit.MILLISECONDS);
  }

  void done() {
    turns.release();
  }
}
