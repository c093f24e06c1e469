package dev.cmcp.bench;

import java.io.IOException;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Recorder;

/**
 * Sends {@code tools/call} to a target for a warm-up and then a measured window, and records the
 * latency of every call started inside the window. Both phases are bounded in time, and the whole
 * point in calls ({@link #maxCallsPerPoint}), so a run always ends.
 */
final class LoadGenerator {

  /** Open loop: the agents (MCP sessions) the scheduled calls are spread over. */
  static final int OPEN_LOOP_SESSIONS = 16;

  private final HttpClient http;
  private final Duration warmup;
  private final Duration measured;
  private final int maxInFlight;
  private final long maxCallsPerPoint;

  /**
   * @param maxInFlight open loop: calls outstanding at once before further ones are dropped
   * @param maxCallsPerPoint a hard cap on calls per point, warm-up included
   */
  LoadGenerator(HttpClient http, Duration warmup, Duration measured, int maxInFlight, long maxCallsPerPoint) {
    this.http = http;
    this.warmup = warmup;
    this.measured = measured;
    this.maxInFlight = maxInFlight;
    this.maxCallsPerPoint = maxCallsPerPoint;
  }

  Measurement run(Target target, Load load) throws IOException, InterruptedException {
    return switch (load) {
      case Load.Closed closed -> closedLoop(target, closed);
      case Load.Open open -> openLoop(target, open);
    };
  }

  private Measurement closedLoop(Target target, Load.Closed load) throws IOException, InterruptedException {
    List<McpSession> agents = openSessions(target, load.concurrency());
    Window window = new Window(System.nanoTime(), warmup, measured);
    Tally tally = new Tally();
    AtomicLong sent = new AtomicLong();
    try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
      for (McpSession agent : agents) {
        threads.execute(() -> {
          while (true) {
            long start = System.nanoTime();
            if (!window.open(start) || sent.incrementAndGet() > maxCallsPerPoint) {
              return;
            }
            call(agent, start, window, tally);
          }
        });
      }
    }
    return tally.measurement(target, load, window);
  }

  private Measurement openLoop(Target target, Load.Open load) throws IOException, InterruptedException {
    List<McpSession> agents = openSessions(target, OPEN_LOOP_SESSIONS);
    long period = 1_000_000_000L / load.perSecond();
    Window window = new Window(System.nanoTime(), warmup, measured);
    Tally tally = new Tally();
    Semaphore outstanding = new Semaphore(maxInFlight);
    try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
      for (long n = 0; n < maxCallsPerPoint; n++) {
        long due = window.start() + n * period;
        if (!window.open(due)) {
          break;
        }
        for (long wait = due - System.nanoTime(); wait > 0; wait = due - System.nanoTime()) {
          LockSupport.parkNanos(wait);
        }
        if (!outstanding.tryAcquire()) {
          tally.dropped(due, window);
          continue;
        }
        McpSession agent = agents.get((int) (n % agents.size()));
        threads.execute(() -> {
          try {
            call(agent, due, window, tally);
          } finally {
            outstanding.release();
          }
        });
      }
    }
    return tally.measurement(target, load, window);
  }

  /** Latency runs from {@code start}: when the call began (closed loop) or was due (open loop). */
  private static void call(McpSession agent, long start, Window window, Tally tally) {
    try {
      agent.callEcho();
      tally.answered(start, System.nanoTime(), window);
    } catch (IOException e) {
      tally.failed(start, window, e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private List<McpSession> openSessions(Target target, int count) throws IOException, InterruptedException {
    List<McpSession> sessions = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      sessions.add(McpSession.open(http, target));
    }
    return sessions;
  }

  /** Warm-up from {@code start}, then the measured window; nothing starts after it. */
  private record Window(long start, long measuredFrom, long end) {
    Window(long start, Duration warmup, Duration measured) {
      this(start, start + warmup.toNanos(), start + warmup.toNanos() + measured.toNanos());
    }

    boolean open(long time) {
      return time < end;
    }

    boolean measures(long time) {
      return time >= measuredFrom && time < end;
    }

    double measuredSeconds() {
      return (end - measuredFrom) / 1e9;
    }
  }

  /** What the calls of one point came to; shared by all its threads. */
  private static final class Tally {
    private final Recorder latencies = new Recorder(3);
    private final LongAdder errors = new LongAdder();
    private final LongAdder dropped = new LongAdder();
    private final AtomicReference<String> firstError = new AtomicReference<>();

    void answered(long start, long end, Window window) {
      if (window.measures(start)) {
        latencies.recordValue(end - start);
      }
    }

    void failed(long start, Window window, String why) {
      firstError.compareAndSet(null, why);
      if (window.measures(start)) {
        errors.increment();
      }
    }

    void dropped(long due, Window window) {
      if (window.measures(due)) {
        dropped.increment();
      }
    }

    Measurement measurement(Target target, Load load, Window window) {
      return new Measurement(target.name(), load, latencies.getIntervalHistogram(), errors.sum(), dropped.sum(),
          window.measuredSeconds(), Optional.ofNullable(firstError.get()));
    }
  }
}
