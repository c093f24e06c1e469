package dev.cmcp.gateway.upstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A live link to one upstream MCP server. Safe for many concurrent callers: each request gets
 * its own JSON-RPC id from the gateway and waits only for its own answer.
 */
public sealed interface UpstreamConnection permits StdioConnection, HttpConnection {

  /**
   * Sends one JSON-RPC request and waits for its answer.
   *
   * @param method the MCP method, e.g. {@code tools/call}
   * @param params the request's params, forwarded as they are; null for none
   * @return the upstream's whole response message (an object with {@code result} or {@code
   *     error}), carrying the id the gateway gave the request; an upstream error is returned, not
   *     thrown
   * @throws UpstreamException when no usable answer arrived: timeout, upstream down, answer too
   *     large, or not JSON-RPC
   */
  ObjectNode request(String method, JsonNode params) throws UpstreamException;

  /**
   * As {@link #request(String, JsonNode)}; {@code cancellation} may call the request off while it
   * waits, and {@code watcher} hears whether the server answers with an event stream.
   */
  ObjectNode request(String method, JsonNode params, Cancellation cancellation, StreamWatcher watcher) throws UpstreamException;
}
