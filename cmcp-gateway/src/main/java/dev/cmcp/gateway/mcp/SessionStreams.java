package dev.cmcp.gateway.mcp;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The standalone streams agents open with {@code GET /mcp}: where messages for a session that
 * belong to no request (a subscribed resource's update, a list change) are sent. A session may
 * hold several; each message goes to exactly one, the latest opened, as the transport rules say.
 * A message for a session with no stream open is dropped: notifications are advice, and nobody
 * could receive it. A list change is the exception ({@link #sendListChange}): it says that
 * something the agent read is stale, which stays true until it reads again, so it waits for the
 * session's next stream, at most one of each kind.
 */
public final class SessionStreams {

  /** Messages waiting to be written on one stream; beyond this, later ones are dropped. */
  static final int MAX_QUEUED = 256;

  /** A message waiting on a stream, and the list change it announces, if it is one. */
  private record Queued(ObjectNode message, Optional<String> listChange) {}

  /** One open stream: the HTTP side takes its messages and writes them. */
  public static final class Stream implements AutoCloseable {
    private final String sessionId;
    private final LinkedBlockingQueue<Queued> queue = new LinkedBlockingQueue<>(MAX_QUEUED);
    /** The list changes queued and not yet taken: a burst of one kind waits as one message. */
    private final Set<String> listChangesQueued = ConcurrentHashMap.newKeySet();
    private final SessionStreams owner;
    private final Runnable onClose;

    private Stream(String sessionId, SessionStreams owner, Runnable onClose) {
      this.sessionId = sessionId;
      this.owner = owner;
      this.onClose = onClose;
    }

    /** The next message, or empty when none came within {@code millis}. */
    public Optional<ObjectNode> next(long millis) throws InterruptedException {
      Queued queued = queue.poll(millis, TimeUnit.MILLISECONDS);
      if (queued == null) {
        return Optional.empty();
      }
      // Taken before it is written, so that a change made while it is written is sent after it.
      queued.listChange().ifPresent(listChangesQueued::remove);
      return Optional.of(queued.message());
    }

    /** The session this stream belongs to. */
    public String sessionId() {
      return sessionId;
    }

    private boolean offer(ObjectNode message) {
      return queue.offer(new Queued(message, Optional.empty()));
    }

    /** Queues a list change unless one of that method is waiting already; false only when the queue is full. */
    private boolean offerListChange(ObjectNode message) {
      String method = message.path("method").asText();
      if (!listChangesQueued.add(method)) {
        return true;
      }
      if (queue.offer(new Queued(message, Optional.of(method)))) {
        return true;
      }
      listChangesQueued.remove(method);
      return false;
    }

    @Override
    public void close() {
      owner.closed(this);
      onClose.run();
    }
  }

  private final Map<String, Deque<Stream>> bySession = new ConcurrentHashMap<>();
  /**
   * The list changes of sessions that had no stream when they came, by session and method; given
   * to the session's next stream. Guarded by itself, which also orders a stream's opening against
   * a list change for its session, so that none falls between them.
   */
  private final Map<String, Map<String, ObjectNode>> listChangesKept = new HashMap<>();

  /** Opens a stream for an open session. */
  Stream open(String sessionId) {
    return open(sessionId, () -> { });
  }

  /** Opens a stream that runs {@code onClose} when it is closed (the client left, or the stream ended). */
  Stream open(String sessionId, Runnable onClose) {
    Stream stream = new Stream(sessionId, this, onClose);
    Map<String, ObjectNode> kept;
    synchronized (listChangesKept) {
      bySession.computeIfAbsent(sessionId, id -> new ConcurrentLinkedDeque<>()).addFirst(stream);
      kept = listChangesKept.remove(sessionId);
    }
    if (kept != null) {
      kept.values().forEach(stream::offerListChange);
    }
    return stream;
  }

  /** Sends a message on the session's latest stream; false when it has none or that one is full. */
  boolean send(String sessionId, ObjectNode message) {
    Stream latest = latest(sessionId);
    return latest != null && latest.offer(message);
  }

  /** What became of a list change for one session. */
  enum ListChangeSent {
    /** Queued on the session's latest stream, or one of its kind was waiting there already. */
    QUEUED,
    /** The session has no stream: kept for its next one. */
    KEPT,
    /** The latest stream's queue is full: dropped. */
    DROPPED
  }

  /**
   * Sends a list change ({@code notifications/.../list_changed}) on the session's latest stream,
   * unless one of that method is already waiting there; with no stream open, keeps it for the next.
   * Never waits for the agent.
   */
  ListChangeSent sendListChange(String sessionId, ObjectNode notification) {
    Stream latest;
    synchronized (listChangesKept) {
      latest = latest(sessionId);
      if (latest == null) {
        listChangesKept.computeIfAbsent(sessionId, id -> new HashMap<>(4)).put(notification.path("method").asText(), notification);
        return ListChangeSent.KEPT;
      }
    }
    return latest.offerListChange(notification) ? ListChangeSent.QUEUED : ListChangeSent.DROPPED;
  }

  /** Forgets the kept list changes of every session not in {@code open} (they ended). */
  void keepListChangesOnlyFor(Set<String> open) {
    synchronized (listChangesKept) {
      listChangesKept.keySet().retainAll(open);
    }
  }

  /** Whether the session has a stream open. */
  boolean hasStream(String sessionId) {
    Deque<Stream> streams = bySession.get(sessionId);
    return streams != null && !streams.isEmpty();
  }

  private Stream latest(String sessionId) {
    Deque<Stream> streams = bySession.get(sessionId);
    return streams == null ? null : streams.peekFirst();
  }

  private void closed(Stream stream) {
    bySession.computeIfPresent(stream.sessionId, (id, streams) -> {
      streams.remove(stream);
      return streams.isEmpty() ? null : streams;
    });
  }
}
