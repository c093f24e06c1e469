package dev.cmcp.gateway.upstream;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.SequencedSet;

/**
 * How far the gateway got in the event stream that carries one request's answer, kept across the
 * connections of that stream: a server may close the stream before the answer (MCP 2025-11-25,
 * SEP-1699 "polling") after giving an event id, and expects the client to reconnect with {@code
 * GET} and {@code Last-Event-ID} to receive the rest. Holds the last usable event id, the wait the
 * server asked for ({@code retry}), and the ids already seen, so that an event the server sends
 * again on the resumed stream is not handled twice (a sampling request relayed twice would ask the
 * agent twice).
 *
 * <p>What the server sends here is bounded: an id longer than {@link #MAX_ID_LENGTH} or with
 * characters an HTTP header cannot carry is not a resumption point (the stream then cannot be
 * resumed from it), and only the last {@link #MAX_REMEMBERED_IDS} ids are remembered. Read by one
 * connection at a time, each on whatever thread reads it, hence the locking.
 */
final class StreamPosition {
  /** Longer ids are not sent back: the header would be the server's to size. */
  static final int MAX_ID_LENGTH = 256;
  /** Ids remembered for deduplication; a replay reaching further back than this is not recognised. */
  static final int MAX_REMEMBERED_IDS = 1024;

  private String lastEventId;
  private Duration retry;
  private final SequencedSet<String> seen = new LinkedHashSet<>();
  private final StreamWatcher watcher;

  /** @param watcher told when the server answers with a stream and when a paused one is resumed */
  StreamPosition(StreamWatcher watcher) {
    this.watcher = watcher;
  }

  /** The server answered with an event stream (not on a resume). */
  void streamed() {
    watcher.streamed();
  }

  /** The gateway resumes the stream now. */
  void resuming() {
    watcher.resuming();
  }

  /**
   * The {@code id} field of an event (SSE: it becomes the stream's last event id even when the
   * event carries no data, as the priming event does). An empty id resets it: nothing to resume
   * from.
   */
  synchronized void idField(String value) {
    if (value.indexOf('\0') >= 0) {
      // SSE ignores such a field.
      return;
    }
    lastEventId = usable(value) ? value : null;
  }

  /** The {@code retry} field: ASCII digits only, as SSE says; anything else is ignored. */
  synchronized void retryField(String value) {
    if (value.isEmpty() || value.length() > 10 || !value.chars().allMatch(c -> c >= '0' && c <= '9')) {
      return;
    }
    retry = Duration.ofMillis(Long.parseLong(value));
  }

  /**
   * Whether the event with this id (the one it carried, or null for none) is new; remembers it.
   * An event without a usable id cannot be recognised again, so it is always new.
   */
  synchronized boolean firstTime(String eventId) {
    if (eventId == null || !usable(eventId)) {
      return true;
    }
    if (!seen.add(eventId)) {
      return false;
    }
    if (seen.size() > MAX_REMEMBERED_IDS) {
      seen.removeFirst();
    }
    return true;
  }

  /** The id to send as {@code Last-Event-ID}; empty when the server gave none the gateway can send back. */
  synchronized Optional<String> lastEventId() {
    return Optional.ofNullable(lastEventId);
  }

  /** The wait the server asked for before reconnecting, if it sent one. */
  synchronized Optional<Duration> retry() {
    return Optional.ofNullable(retry);
  }

  /** Visible ASCII and spaces, short: what goes into a header unchanged. */
  private static boolean usable(String id) {
    return !id.isEmpty() && id.length() <= MAX_ID_LENGTH && id.chars().allMatch(c -> c >= 0x20 && c <= 0x7E);
  }
}
