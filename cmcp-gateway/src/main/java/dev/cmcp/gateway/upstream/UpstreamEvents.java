package dev.cmcp.gateway.upstream;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.function.Consumer;

/**
 * What an upstream tells the gateway outside of answers to its requests. Called on the thread
 * that reads the upstream, so implementations must return quickly.
 */
interface UpstreamEvents {

  /** A new MCP session with the server began (first start, restart, or re-initialization). */
  void sessionStarted(String server);

  /** The server sent a notification, e.g. {@code notifications/tools/list_changed}. */
  void notification(String server, ObjectNode message);

  /** The server sent a request; {@code reply} sends the answer back to it, now or later, from any thread. */
  void request(String server, JsonRpc.Incoming.ServerRequest request, Consumer<ObjectNode> reply);
}
