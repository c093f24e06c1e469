package dev.cmcp.gateway.upstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;

/**
 * Where the servers' {@code notifications/resources/updated} go: to whoever listens (the MCP
 * endpoint, which knows the subscribing sessions), as the server's name and the resource's URI
 * only, so that nothing else a server puts in the notification reaches an agent unchecked.
 */
public final class ResourceUpdates {

  /** URIs longer than this are dropped: no server has a reason to send one, and it would be relayed. */
  static final int MAX_URI_LENGTH = 8192;

  private final List<BiConsumer<String, String>> listeners = new CopyOnWriteArrayList<>();

  /** Hands each update (server, URI) to {@code listener} until the returned handle is closed. */
  public AutoCloseable listen(BiConsumer<String, String> listener) {
    listeners.add(listener);
    return () -> listeners.remove(listener);
  }

  /** Runs on the upstream's reader thread; listeners must return quickly. */
  void deliver(String server, ObjectNode notification) {
    JsonNode uri = notification.path("params").get("uri");
    if (uri == null || !uri.isTextual() || uri.asText().length() > MAX_URI_LENGTH) {
      return;
    }
    for (BiConsumer<String, String> listener : listeners) {
      listener.accept(server, uri.asText());
    }
  }
}
