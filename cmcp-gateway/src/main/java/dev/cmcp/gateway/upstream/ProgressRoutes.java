package dev.cmcp.gateway.upstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Where an upstream's {@code notifications/progress} go: to the one forwarded request that asked
 * for them. Each such request is sent upstream with a progress token of the gateway's own, never
 * the agent's, so two agents that pick the same token cannot see each other's progress.
 */
public final class ProgressRoutes {

  private record Key(String server, String token) {}

  private final AtomicLong next = new AtomicLong();
  private final Map<Key, Consumer<ObjectNode>> routes = new ConcurrentHashMap<>();

  /** A fresh token for one request to {@code server}; its progress goes to {@code listener} until the route is closed. */
  public Route open(String server, Consumer<ObjectNode> listener) {
    Key key = new Key(server, "cmcp-progress-" + next.incrementAndGet());
    routes.put(key, listener);
    return new Route(key);
  }

  /**
   * Hands a progress notification to the request whose token it carries; one with an unknown
   * token (late, or made up by the server) is dropped. Runs on the upstream's reader thread.
   */
  void deliver(String server, ObjectNode notification) {
    JsonNode token = notification.path("params").get("progressToken");
    if (token == null || !token.isTextual()) {
      return;
    }
    Consumer<ObjectNode> listener = routes.get(new Key(server, token.asText()));
    if (listener != null) {
      listener.accept(notification);
    }
  }

  /** One request's route; closing it stops delivery. */
  public final class Route implements AutoCloseable {
    private final Key key;

    private Route(Key key) {
      this.key = key;
    }

    /** The token to send upstream in {@code params._meta.progressToken}. */
    public String token() {
      return key.token();
    }

    @Override
    public void close() {
      routes.remove(key);
    }
  }
}
