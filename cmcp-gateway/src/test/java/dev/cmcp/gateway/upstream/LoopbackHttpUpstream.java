package dev.cmcp.gateway.upstream;

import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.concurrent.Executors;

/**
 * A Streamable HTTP upstream of a test's own making, for what the reference servers cannot be made
 * to show: the test's handler answers {@code /mcp} on a loopback port, each exchange on a virtual
 * thread of its own, so a handler that holds one stream open does not stall the others.
 */
public final class LoopbackHttpUpstream implements AutoCloseable {

  private final HttpServer server;

  /** Starts serving at once. */
  public LoopbackHttpUpstream(HttpHandler handler) throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    server.createContext("/mcp", handler);
    server.start();
  }

  /** Where the gateway reaches it. */
  public URI url() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/mcp");
  }

  /** Stops at once, cutting the exchanges still open: the gateway finds it unreachable from then on. */
  @Override
  public void close() {
    server.stop(0);
  }
}
