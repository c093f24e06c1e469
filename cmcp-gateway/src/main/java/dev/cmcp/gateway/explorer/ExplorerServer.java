package dev.cmcp.gateway.explorer;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.cmcp.gateway.config.ListenAddress;
import dev.cmcp.verify.evidence.TrustStore;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * {@code cmcp audit serve}: a local, read-only web page over an audit folder. It answers GET and
 * HEAD on {@code /} (the page) and {@code /calls.csv} (the filtered calls), nothing else, and
 * writes no file. On a loopback address it also refuses a request whose {@code Host} is not that
 * address, so that a web page elsewhere cannot read it through DNS rebinding.
 */
public final class ExplorerServer implements AutoCloseable {

  private static final String CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; "
      + "frame-ancestors 'none'; base-uri 'none'";

  private final HttpServer server;
  private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
  private final Path auditDir;
  private final Path claimsDir;
  private final TrustStore trustStore;
  private final Clock clock;
  private final Set<String> hosts;

  /**
   * @param claimsDir the folder of claim files; the gateway writes them to {@code <audit_dir>/claims}
   * @param trustStore certificates for hardware evidence in claims
   */
  public ExplorerServer(ListenAddress listen, Path auditDir, Path claimsDir, TrustStore trustStore, Clock clock) throws IOException {
    this.auditDir = auditDir;
    this.claimsDir = claimsDir;
    this.trustStore = trustStore;
    this.clock = clock;
    this.server = HttpServer.create(new InetSocketAddress(listen.host(), listen.port()), 0);
    server.setExecutor(threads);
    server.createContext("/", this::handle);
    server.start();
    int port = server.getAddress().getPort();
    this.hosts = listen.isLoopback()
        ? Set.copyOf(List.of(new ListenAddress(listen.host(), port, true).toString().toLowerCase(Locale.ROOT), "localhost:" + port,
            "127.0.0.1:" + port, "[::1]:" + port))
        : Set.of();
  }

  /** The bound port, which differs from the one asked for when that was 0. */
  public int port() {
    return server.getAddress().getPort();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      exchange.getResponseHeaders().set("Content-Security-Policy", CSP);
      exchange.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
      exchange.getResponseHeaders().set("Referrer-Policy", "no-referrer");
      exchange.getResponseHeaders().set("Cache-Control", "no-store");
      String method = exchange.getRequestMethod();
      if (!method.equals("GET") && !method.equals("HEAD")) {
        exchange.getResponseHeaders().set("Allow", "GET, HEAD");
        answer(exchange, 405, "text/plain; charset=utf-8", "the audit explorer is read-only: GET and HEAD only\n");
        return;
      }
      String host = exchange.getRequestHeaders().getFirst("Host");
      if (!hosts.isEmpty() && (host == null || !hosts.contains(host.toLowerCase(Locale.ROOT)))) {
        answer(exchange, 421, "text/plain; charset=utf-8", "this explorer answers only requests addressed to its loopback address\n");
        return;
      }
      String path = exchange.getRequestURI().getRawPath();
      if (!path.equals("/") && !path.equals("/calls.csv")) {
        answer(exchange, 404, "text/plain; charset=utf-8", "no such page; the explorer is at /\n");
        return;
      }
      CallFilter filter;
      try {
        filter = CallFilter.parse(exchange.getRequestURI().getRawQuery());
      } catch (CallFilter.BadFilterException e) {
        answer(exchange, 400, "text/plain; charset=utf-8", e.getMessage() + "\n");
        return;
      }
      Instant now = clock.instant();
      AuditArchive archive;
      try {
        archive = AuditArchive.read(auditDir, claimsDir, trustStore, now);
      } catch (IOException e) {
        answer(exchange, 500, "text/plain; charset=utf-8", "cannot read the audit folder: " + e.getMessage() + "\n");
        return;
      }
      if (path.equals("/calls.csv")) {
        exchange.getResponseHeaders().set("Content-Disposition", "attachment; filename=\"cmcp-calls.csv\"");
        answer(exchange, 200, "text/csv; charset=utf-8", CallsCsv.render(filter.apply(archive.calls())));
      } else {
        answer(exchange, 200, "text/html; charset=utf-8", ExplorerPage.render(archive, filter, auditDir.toString(), now));
      }
    }
  }

  private static void answer(HttpExchange exchange, int status, String type, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", type);
    boolean head = exchange.getRequestMethod().equals("HEAD");
    exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
    if (!head) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
    threads.shutdownNow();
  }
}
