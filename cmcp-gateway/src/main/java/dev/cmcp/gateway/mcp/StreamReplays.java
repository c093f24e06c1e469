package dev.cmcp.gateway.mcp;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The events of the SSE streams the gateway answers agents with when the upstream chose a stream
 * (MCP 2025-11-25, "Resumability and Redelivery"; SEP-1699), kept so that an agent whose stream
 * was cut can ask for the rest with {@code GET} and {@code Last-Event-ID} on the same session.
 *
 * <p>State an agent can make the gateway hold, so it is bounded on every side: at most
 * {@link #MAX_STREAMS_PER_SESSION} streams per session (opening one more forgets the oldest), at
 * most {@link #MAX_EVENTS_PER_STREAM} events and {@link #MAX_BYTES_PER_STREAM} bytes per stream
 * (beyond either the oldest are forgotten, and a resume from before them is refused), each stream
 * kept {@link #KEPT_FOR} after its last event, and everything of a session forgotten when it ends.
 * Across all sessions at most {@link #MAX_CHARS_IN_ALL} characters of event data are kept: a stream
 * whose event would go over that forgets what it kept (its live events still reach its agent; only
 * a resume is refused), so many sessions together cannot take the heap either.
 * An event id is the stream's random 128-bit key and a sequence number; a resume is served only to
 * the session that owns the stream, so an agent that learns another's event id reads nothing.
 */
public final class StreamReplays {

  /** Streams kept per session; opening one more forgets the oldest. */
  public static final int MAX_STREAMS_PER_SESSION = 8;

  /** Events kept per stream (the priming event included); beyond this the oldest are forgotten. */
  public static final int MAX_EVENTS_PER_STREAM = 64;

  /** Bytes of event data kept per stream; beyond this the oldest events are forgotten. */
  public static final int MAX_BYTES_PER_STREAM = 1 << 20;

  /**
   * Characters of event data kept by every stream together (a character takes one or two bytes
   * of heap); past it, the stream adding an event forgets all it kept.
   */
  public static final long MAX_CHARS_IN_ALL = 64L << 20;

  /** How often opening a stream also forgets every session's expired streams. */
  private static final long SWEEP_EVERY_MILLIS = 1000;

  /** How long a stream is kept after its last event. */
  public static final Duration KEPT_FOR = Duration.ofMinutes(2);

  /** One event of a stream: its id and its data ({@code ""} for the priming event). */
  public record Event(String id, String data) {
    /** The event's place in its stream: what a resume from it starts after. */
    public long sequence() {
      return StreamReplays.sequence(id);
    }
  }

  /** What a {@code GET} with {@code Last-Event-ID} gets. */
  public sealed interface Resumed {
    /** The stream, to be read from after the event the agent last saw. */
    record From(Recording stream, long after) implements Resumed {}

    /** Nothing to resume; {@code reason} says why, for the agent. */
    record Refused(String reason) implements Resumed {}
  }

  /** One stream's events, written by the call and read by whoever serves the agent. */
  public final class Recording {
    private final String sessionId;
    private final String key;
    private final Deque<Event> kept = new ArrayDeque<>();
    private long next;
    private long forgottenUpTo = -1;
    private long bytes;
    private boolean complete;
    private Instant touched;

    private Recording(String sessionId, String key) {
      this.sessionId = sessionId;
      this.key = key;
      this.touched = clock.instant();
    }

    /** Adds an event and returns it with its id; {@code ""} is the priming event. */
    public synchronized Event append(String data) {
      Event event = new Event(key + "-" + next++, data);
      kept.addLast(event);
      bytes += data.length();
      keptInAll.addAndGet(data.length());
      while (kept.size() > MAX_EVENTS_PER_STREAM || (bytes > MAX_BYTES_PER_STREAM && kept.size() > 1)) {
        Event oldest = kept.removeFirst();
        bytes -= oldest.data().length();
        keptInAll.addAndGet(-oldest.data().length());
        forgottenUpTo = sequence(oldest.id());
      }
      if (keptInAll.get() > maxCharsInAll) {
        forget();
      }
      touched = clock.instant();
      notifyAll();
      return event;
    }

    /** Marks the stream finished: its last event (the answer) has been appended. */
    public synchronized void complete() {
      complete = true;
      touched = clock.instant();
      notifyAll();
    }

    /** Whether the answer has been appended. */
    public synchronized boolean isComplete() {
      return complete;
    }

    /**
     * The kept events after sequence number {@code after}, waiting up to {@code millis} for one
     * when there are none yet and the stream is not complete; empty when none came.
     */
    public synchronized List<Event> after(long after, long millis) throws InterruptedException {
      long until = System.nanoTime() + Duration.ofMillis(millis).toNanos();
      while (!complete && next <= after + 1) {
        long left = until - System.nanoTime();
        if (left <= 0) {
          break;
        }
        wait(Math.max(1, left / 1_000_000));
      }
      List<Event> events = new ArrayList<>();
      for (Event event : kept) {
        if (sequence(event.id()) > after) {
          events.add(event);
        }
      }
      return events;
    }

    /** Forgets every kept event (the stream is dropped, or the store is full): a resume is refused. */
    private synchronized void forget() {
      keptInAll.addAndGet(-bytes);
      bytes = 0;
      kept.clear();
      forgottenUpTo = next - 1;
    }

    private synchronized boolean expired(Instant now) {
      return touched.plus(KEPT_FOR).isBefore(now);
    }

    private synchronized boolean holdsAfter(long after) {
      return after >= forgottenUpTo && after < next;
    }
  }

  private final Clock clock;
  private final SecureRandom random = new SecureRandom();
  private final Map<String, Deque<Recording>> bySession = new ConcurrentHashMap<>();
  private final AtomicLong keptInAll = new AtomicLong();
  private final AtomicLong lastSweepMillis = new AtomicLong(Long.MIN_VALUE / 2);
  private final long maxCharsInAll;

  public StreamReplays(Clock clock) {
    this(clock, MAX_CHARS_IN_ALL);
  }

  StreamReplays(Clock clock, long maxCharsInAll) {
    this.clock = clock;
    this.maxCharsInAll = maxCharsInAll;
  }

  /** Opens a stream for the session, forgetting expired ones and, past the bound, its oldest. */
  public Recording open(String sessionId) {
    byte[] bytes = new byte[16];
    random.nextBytes(bytes);
    Recording recording = new Recording(sessionId, Base64.getUrlEncoder().withoutPadding().encodeToString(bytes));
    Instant now = clock.instant();
    // Streams of sessions that ended or went quiet are forgotten here, so none outlives its keeping
    // time by much. The sweep visits every session, so it runs at most once a second, by one caller:
    // a burst of streamed answers does not walk the whole table each.
    long lastSweep = lastSweepMillis.get();
    if (now.toEpochMilli() - lastSweep >= SWEEP_EVERY_MILLIS && lastSweepMillis.compareAndSet(lastSweep, now.toEpochMilli())) {
      for (String session : bySession.keySet()) {
        bySession.computeIfPresent(session, (id, streams) -> {
          streams.removeIf(stream -> forgottenIf(stream, stream.expired(now)));
          return streams.isEmpty() ? null : streams;
        });
      }
    }
    bySession.compute(sessionId, (id, streams) -> {
      Deque<Recording> kept = streams == null ? new ConcurrentLinkedDeque<>() : streams;
      kept.removeIf(stream -> forgottenIf(stream, stream.expired(now)));
      kept.addLast(recording);
      while (kept.size() > MAX_STREAMS_PER_SESSION) {
        kept.removeFirst().forget();
      }
      return kept;
    });
    return recording;
  }

  /** The stream an agent of {@code sessionId} resumes after {@code lastEventId}. */
  public Resumed resume(String sessionId, String lastEventId) {
    int dash = lastEventId.lastIndexOf('-');
    if (dash <= 0) {
      return new Resumed.Refused("Last-Event-ID '" + abbreviated(lastEventId) + "' is not an event id this gateway gave");
    }
    String key = lastEventId.substring(0, dash);
    long after;
    try {
      after = Long.parseLong(lastEventId.substring(dash + 1));
    } catch (NumberFormatException e) {
      return new Resumed.Refused("Last-Event-ID '" + abbreviated(lastEventId) + "' is not an event id this gateway gave");
    }
    Instant now = clock.instant();
    Optional<Recording> found = Optional.empty();
    Deque<Recording> streams = bySession.get(sessionId);
    if (streams != null) {
      found = streams.stream()
          .filter(stream -> stream.key.equals(key) && stream.sessionId.equals(sessionId) && !stream.expired(now))
          .findFirst();
    }
    if (found.isEmpty()) {
      return new Resumed.Refused(
          "no stream of this session has event " + abbreviated(lastEventId) + "; streams are kept "
              + KEPT_FOR.toMinutes() + " minutes after their last event, and only for the session that opened them");
    }
    if (!found.get().holdsAfter(after)) {
      return new Resumed.Refused("the events after " + abbreviated(lastEventId) + " are no longer kept (at most "
          + MAX_EVENTS_PER_STREAM + " events and " + MAX_BYTES_PER_STREAM + " bytes per stream, and nothing once the"
          + " gateway's store for resumes is full)");
    }
    return new Resumed.From(found.get(), after);
  }

  /** Forgets a session's streams (the session ended). */
  public void sessionEnded(String sessionId) {
    Deque<Recording> streams = bySession.remove(sessionId);
    if (streams != null) {
      streams.forEach(Recording::forget);
    }
  }

  /** Characters of event data kept now by every stream together (for tests and metrics). */
  long keptInAll() {
    return keptInAll.get();
  }

  private static boolean forgottenIf(Recording stream, boolean drop) {
    if (drop) {
      stream.forget();
    }
    return drop;
  }

  /** How many streams a session holds now (for tests and metrics). */
  int streams(String sessionId) {
    Deque<Recording> streams = bySession.get(sessionId);
    return streams == null ? 0 : streams.size();
  }

  private static long sequence(String id) {
    return Long.parseLong(id.substring(id.lastIndexOf('-') + 1));
  }

  private static String abbreviated(String id) {
    return id.length() <= 64 ? id : id.substring(0, 64) + "...";
  }
}
