package dev.cmcp.gateway.upstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.gateway.catalog.UpstreamServer;
import dev.cmcp.verify.base.StrictJson;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;

/**
 * A stdio upstream, supervised: one thread starts the command, initializes it, waits for it to
 * end and starts it again, with a growing pause between failed starts. Requests go to whichever
 * child currently runs.
 */
final class StdioConnection implements UpstreamConnection {
  private static final System.Logger LOG = System.getLogger(StdioConnection.class.getName());

  private static final Duration FIRST_RETRY = Duration.ofMillis(500);
  private static final Duration LAST_RETRY = Duration.ofSeconds(30);
  private static final Duration STOP_GRACE = Duration.ofSeconds(2);

  private final UpstreamServer.Stdio server;
  private final UpstreamSettings settings;
  private final StrictJson json;
  private final UpstreamEvents events;
  private final Thread supervisor;

  /**
   * The child requests should use: pending while one starts, done once it is initialized, failed
   * (with the reason) while the server is down and waiting to be restarted.
   */
  private volatile CompletableFuture<ChildProcess> running = new CompletableFuture<>();

  private volatile boolean closed;

  /** Launches after the first: each time the command is started again after it exited or failed to start. */
  private final LongAdder restarts = new LongAdder();

  StdioConnection(UpstreamServer.Stdio server, UpstreamSettings settings, StrictJson json, UpstreamEvents events) {
    this.server = server;
    this.settings = settings;
    this.json = json;
    this.events = events;
    this.supervisor = Thread.ofVirtual().name("upstream-" + server.name() + "-supervisor").unstarted(this::supervise);
  }

  /** Starts the server and waits, at most the request timeout, for its first start to succeed or fail. */
  void start() {
    supervisor.start();
    try {
      running.get(settings.timeout().toNanos(), TimeUnit.NANOSECONDS);
    } catch (ExecutionException | TimeoutException e) {
      // Logged by the supervisor, which keeps trying; requests report it meanwhile.
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public ObjectNode request(String method, JsonNode params) throws UpstreamException {
    return request(method, params, new Cancellation(), StreamWatcher.NONE);
  }

  /** {@code watcher} hears nothing: a stdio server answers on its one stream. */
  @Override
  public ObjectNode request(String method, JsonNode params, Cancellation cancellation, StreamWatcher watcher)
      throws UpstreamException {
    long deadline = System.nanoTime() + settings.timeout().toNanos();
    // A stdio server is spoken to in 2025 whatever the agent speaks: the 2026-07-28 envelope is not its to read.
    return runningChild(method, deadline).request(method, Handshake.withoutEnvelope(params), deadline, cancellation);
  }

  /** Stops the supervisor and the child it runs. */
  void close() {
    closed = true;
    if (supervisor.getState() == Thread.State.NEW) {
      return; // never started: no child to stop, and join(Duration) would throw
    }
    supervisor.interrupt();
    try {
      supervisor.join(STOP_GRACE.multipliedBy(3));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The running child's process, for diagnostics. */
  Optional<ProcessHandle> process() {
    return runningNow().map(ChildProcess::handle);
  }

  /** How often the command was started again after it exited or failed to start. */
  long restarts() {
    return restarts.sum();
  }

  /**
   * Why requests cannot be served now, from what the supervisor already knows (no probe): empty
   * while an initialized child runs.
   */
  Optional<String> problem() {
    if (closed) {
      return Optional.of("upstream " + server.name() + " is shut down");
    }
    CompletableFuture<ChildProcess> current = running;
    return switch (current.state()) {
      case SUCCESS -> Optional.empty();
      case FAILED -> Optional.of(current.exceptionNow().getMessage());
      default -> Optional.of("upstream " + server.name() + " is starting");
    };
  }

  int requestsInFlight() {
    return runningNow().map(ChildProcess::requestsInFlight).orElse(0);
  }

  private Optional<ChildProcess> runningNow() {
    CompletableFuture<ChildProcess> current = running;
    return current.state() == Future.State.SUCCESS ? Optional.of(current.resultNow()) : Optional.empty();
  }

  private ChildProcess runningChild(String method, long deadline) throws UpstreamException {
    if (closed) {
      throw new UpstreamException(UpstreamException.Kind.UNAVAILABLE, "upstream " + server.name() + " is shut down");
    }
    try {
      return running.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      throw UpstreamException.timeout(server.name(), method, settings.timeout());
    } catch (ExecutionException e) {
      throw ((UpstreamException) e.getCause()).rethrown();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UpstreamException(
          UpstreamException.Kind.UNAVAILABLE, "interrupted while waiting for upstream " + server.name() + " to start");
    }
  }

  private void supervise() {
    Duration retry = FIRST_RETRY;
    ChildProcess child = null;
    boolean first = true;
    try {
      while (!closed) {
        if (!first) {
          restarts.increment();
        }
        first = false;
        CompletableFuture<ChildProcess> attempt = running.isDone() ? new CompletableFuture<>() : running;
        running = attempt;
        String failure;
        try {
          child = ChildProcess.launch(server, settings, json, events);
          child.initialize(System.nanoTime() + settings.timeout().toNanos());
          attempt.complete(child);
          LOG.log(Level.INFO, "upstream " + server.name() + " started (pid " + child.handle().pid() + ")");
          events.sessionStarted(server.name());
          child.awaitHangUp();
          running = down("upstream " + server.name() + " exited");
          failure = "upstream " + server.name() + " exited with status " + child.stop(STOP_GRACE);
          if (Duration.between(child.startedAt(), Instant.now()).compareTo(LAST_RETRY) >= 0) {
            retry = FIRST_RETRY;
          }
        } catch (UpstreamException e) {
          failure = e.getMessage();
          attempt.completeExceptionally(new UpstreamException(UpstreamException.Kind.UNAVAILABLE, failure));
          if (child != null) {
            child.stop(STOP_GRACE);
          }
        }
        child = null;
        if (closed) {
          break;
        }
        String restart = failure + "; restarting in " + UpstreamException.describe(retry);
        running = down(restart);
        LOG.log(Level.WARNING, restart);
        Thread.sleep(retry.toMillis());
        retry = retry.multipliedBy(2).compareTo(LAST_RETRY) < 0 ? retry.multipliedBy(2) : LAST_RETRY;
      }
    } catch (InterruptedException e) {
      // close() interrupts the supervisor; the child is stopped below.
    } finally {
      running = down("upstream " + server.name() + " is shut down");
      if (child != null) {
        try {
          child.stop(STOP_GRACE);
        } catch (InterruptedException e) {
          child.handle().destroyForcibly();
        }
      }
    }
  }

  private static CompletableFuture<ChildProcess> down(String why) {
    return CompletableFuture.failedFuture(new UpstreamException(UpstreamException.Kind.UNAVAILABLE, why));
  }
}
