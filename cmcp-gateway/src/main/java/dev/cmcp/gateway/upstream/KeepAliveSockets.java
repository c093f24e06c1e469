package dev.cmcp.gateway.upstream;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The idle keep-alive connections to one plain-http upstream, for {@link BlockingPost}: a
 * connection whose answer was read to its end comes back here and serves a later request. At
 * most {@code maxIdle} are kept (more are closed), and one idle for longer than
 * {@link #MAX_IDLE_NANOS} is closed rather than reused, before a server's own keep-alive timeout
 * (commonly 5 s or more) would close it under a request.
 */
final class KeepAliveSockets implements AutoCloseable {

  /** How long an idle connection is kept for reuse. */
  static final long MAX_IDLE_NANOS = TimeUnit.SECONDS.toNanos(4);

  private final String host;
  private final int port;
  private final int maxIdle;
  private final ReentrantLock lock = new ReentrantLock();
  private final Deque<Lease> idle = new ArrayDeque<>();
  private boolean closed;

  /** One connection: its socket and streams, and whether it served a request before. */
  static final class Lease {
    private final Socket socket;
    final InputStream in;
    final OutputStream out;
    private boolean reused;
    private long idleSince;

    private Lease(Socket socket) throws IOException {
      this.socket = socket;
      this.in = new BufferedInputStream(socket.getInputStream(), 8 * 1024);
      this.out = socket.getOutputStream();
    }

    /** Whether the connection was kept from an earlier request: the server may have closed it meanwhile. */
    boolean reused() {
      return reused;
    }

    void timeout(int millis) throws IOException {
      socket.setSoTimeout(millis);
    }

    void close() {
      try {
        socket.close();
      } catch (IOException e) {
        // nothing more to release
      }
    }
  }

  /** @param maxIdle how many idle connections are kept at most */
  KeepAliveSockets(URI url, int maxIdle) {
    this.host = url.getHost();
    this.port = url.getPort() == -1 ? 80 : url.getPort();
    this.maxIdle = maxIdle;
  }

  /**
   * An idle connection, or a new one made within {@code connectMillis}; only a new one when
   * {@code fresh} (a request that found its kept connection closed by the server is sent again on
   * a new one: the server may have closed the other idle ones too).
   */
  Lease take(int connectMillis, boolean fresh) throws IOException {
    long now = System.nanoTime();
    lock.lock();
    try {
      if (closed) {
        throw new IOException("the upstream's connections are closed");
      }
      Lease kept;
      while (!fresh && (kept = idle.pollFirst()) != null) {
        if (now - kept.idleSince < MAX_IDLE_NANOS) {
          kept.reused = true;
          return kept;
        }
        kept.close();
      }
    } finally {
      lock.unlock();
    }
    Socket socket = new Socket();
    try {
      socket.setTcpNoDelay(true);
      socket.connect(new InetSocketAddress(host, port), connectMillis);
      return new Lease(socket);
    } catch (IOException e) {
      socket.close();
      throw e;
    }
  }

  /** Keeps a connection whose exchange ended cleanly for the next request; closes it when there is no room. */
  void giveBack(Lease lease) {
    lease.idleSince = System.nanoTime();
    lock.lock();
    try {
      if (!closed && idle.size() < maxIdle) {
        // Most recently used first: the connections in use stay few and warm, the rest age out.
        idle.addFirst(lease);
        return;
      }
    } finally {
      lock.unlock();
    }
    lease.close();
  }

  /** Closes the idle connections; those in use are closed by their exchange when it ends. */
  @Override
  public void close() {
    lock.lock();
    try {
      closed = true;
      idle.forEach(Lease::close);
      idle.clear();
    } finally {
      lock.unlock();
    }
  }
}
