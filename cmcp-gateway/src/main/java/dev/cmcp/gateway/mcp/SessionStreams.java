package dev.cmcp.gateway.mcp;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Deque;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The standalone streams agents open with {@code GET /mcp}: where messages for a session that
 * belong to no request (a subscribed resource's update) are sent. A session may hold several; each
 * message goes to exactly one, the latest opened, as the transport rules say. A message for a
 * session with no stream open is dropped: notifications are advice, and nobody could receive it.
 */
public final class SessionStreams {

  /** Messages waiting to be written on one stream; beyond this, later ones are dropped. */
  static final int MAX_QUEUED = 256;

  /** One open stream: the HTTP side takes its messages and writes them. */
  public static final class Stream implements AutoCloseable {
    private final String sessionId;
    private final LinkedBlockingQueue<ObjectNode> queue = new LinkedBlockingQueue<>(MAX_QUEUED);
    private final SessionStreams owner;
    private final Runnable onClose;

    private Stream(String sessionId, SessionStreams owner, Runnable onClose) {
      this.sessionId = sessionId;
      this.owner = owner;
      this.onClose = onClose;
    }

    /** The next message, or empty when none came within {@code millis}. */
    public Optional<ObjectNode> next(long millis) throws InterruptedException {
      return Optional.ofNullable(queue.poll(millis, TimeUnit.MILLISECONDS));
    }

    /** The session this stream belongs to. */
    public String sessionId() {
      return sessionId;
    }

    @Override
    public void close() {
      owner.closed(this);
      onClose.run();
    }
  }

  private final Map<String, Deque<Stream>> bySession = new ConcurrentHashMap<>();

  /** Opens a stream for an open session. */
  Stream open(String sessionId) {
    return open(sessionId, () -> { });
  }

  /** Opens a stream that runs {@code onClose} when it is closed (the client left, or the stream ended). */
  Stream open(String sessionId, Runnable onClose) {
    Stream stream = new Stream(sessionId, this, onClose);
    bySession.computeIfAbsent(sessionId, id -> new ConcurrentLinkedDeque<>()).addFirst(stream);
    return stream;
  }

  /** Sends a message on the session's latest stream; false when it has none or that one is full. */
  boolean send(String sessionId, ObjectNode message) {
    Deque<Stream> streams = bySession.get(sessionId);
    Stream latest = streams == null ? null : streams.peekFirst();
    return latest != null && latest.queue.offer(message);
  }

  /** Whether the session has a stream open. */
  boolean hasStream(String sessionId) {
    Deque<Stream> streams = bySession.get(sessionId);
    return streams != null && !streams.isEmpty();
  }

  private void closed(Stream stream) {
    bySession.computeIfPresent(stream.sessionId, (id, streams) -> {
      streams.remove(stream);
      return streams.isEmpty() ? null : streams;
    });
  }
}
