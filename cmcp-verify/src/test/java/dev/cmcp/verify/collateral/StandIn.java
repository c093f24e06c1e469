package dev.cmcp.verify.collateral;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A stand-in for AMD's KDS or Intel's PCS on a loopback ephemeral port: answers each known
 * path-and-query with its bytes (and headers), anything else with 404, and logs what was asked.
 */
final class StandIn implements AutoCloseable {

  record Answer(int status, byte[] body, Map<String, String> headers) {
    static Answer ok(byte[] body) {
      return new Answer(200, body, Map.of());
    }
  }

  private final HttpServer server;
  private final Map<String, Answer> answers = new ConcurrentHashMap<>();
  final List<String> requests = new CopyOnWriteArrayList<>();

  StandIn() {
    try {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    server.createContext("/", exchange -> {
      String target = exchange.getRequestURI().getRawPath()
          + (exchange.getRequestURI().getRawQuery() == null ? "" : "?" + exchange.getRequestURI().getRawQuery());
      requests.add(target);
      Answer answer = answers.getOrDefault(target, new Answer(404, new byte[0], Map.of()));
      answer.headers().forEach((name, value) -> exchange.getResponseHeaders().add(name, value));
      exchange.sendResponseHeaders(answer.status(), answer.body().length == 0 ? -1 : answer.body().length);
      try (OutputStream body = exchange.getResponseBody()) {
        body.write(answer.body());
      } catch (IOException clientGone) {
        // The fetcher stops reading an oversized answer.
      }
    });
    server.start();
  }

  StandIn answer(String pathAndQuery, Answer answer) {
    answers.put(pathAndQuery, answer);
    return this;
  }

  URI base() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
