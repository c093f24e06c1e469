package dev.cmcp.gateway.upstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Where the servers' {@code notifications/resources/updated} go: to whoever listens (the MCP
 * endpoint, which knows the subscribing sessions), as the server's name, the upstream session it
 * came in ({@link Upstreams#sessionFor}) and the resource's URI only, so that nothing else a server
 * puts in the notification reaches an agent unchecked.
 */
public final class ResourceUpdates {

  /** URIs longer than this are dropped: no server has a reason to send one, and it would be relayed. */
  static final int MAX_URI_LENGTH = 8192;

  /** Hears the updates; called on the upstream's reader thread, so it must return quickly. */
  @FunctionalInterface
  public interface Listener {
    /** @param session the upstream session the update came in: an agent session's id, or {@link Upstreams#SHARED_SESSION} */
    void updated(String server, String session, String uri);
  }

  private final List<Listener> listeners = new CopyOnWriteArrayList<>();

  /** Hands each update to {@code listener} until the returned handle is closed. */
  public AutoCloseable listen(Listener listener) {
    listeners.add(listener);
    return () -> listeners.remove(listener);
  }

  /** Runs on the upstream's reader thread; listeners must return quickly. */
  void deliver(String server, String session, ObjectNode notification) {
    JsonNode uri = notification.path("params").get("uri");
    if (uri == null || !uri.isTextual() || uri.asText().length() > MAX_URI_LENGTH) {
      return;
    }
    for (Listener listener : listeners) {
      listener.updated(server, session, uri.asText());
    }
  }
}
