package dev.cmcp.gateway.mcp;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** The lines of an event stream a test opened, read on a thread of their own so a test can wait for the next event with a bound. */
final class EventLines {

  private EventLines() {}

  /** Starts reading {@code stream}'s lines into the queue returned; the reader ends when the stream does. */
  static BlockingQueue<String> of(HttpResponse<Stream<String>> stream) {
    BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    Thread.ofVirtual().start(() -> {
      try {
        stream.body().forEach(lines::add);
      } catch (java.io.UncheckedIOException | IllegalStateException e) {
        // Closed by the test, or the gateway stopped.
      }
    });
    return lines;
  }

  /** The next event's data; waits for it, failing after {@code within}, which no correct run comes near. */
  static String nextData(BlockingQueue<String> lines, Duration within) throws InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    while (System.nanoTime() < deadline) {
      String line = lines.poll(100, TimeUnit.MILLISECONDS);
      if (line != null && line.startsWith("data: ")) {
        return line.substring("data: ".length());
      }
    }
    throw new AssertionError("no event on the stream within " + within.toSeconds() + " s");
  }
}
