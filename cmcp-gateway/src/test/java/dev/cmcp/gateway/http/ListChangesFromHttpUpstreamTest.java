package dev.cmcp.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import dev.cmcp.gateway.catalog.UpstreamServer;
import dev.cmcp.gateway.upstream.LoopbackHttpUpstream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Streamable HTTP server's tool list change, sent on its standalone {@code GET} stream, reaches
 * a 2025 agent's {@code GET /mcp} stream through the gateway, and the agent's next list shows it.
 */
class ListChangesFromHttpUpstreamTest {

  @TempDir Path dir;

  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final ObjectMapper json = new ObjectMapper();
  /** The server's open standalone streams, one per upstream session the gateway opened. */
  private final List<OutputStream> serverStreams = new CopyOnWriteArrayList<>();
  /** The gateway's shared session with the server is the first it opens, when it starts, before any agent. */
  private final CountDownLatch sharedSessionStreamIsOpen = new CountDownLatch(1);
  private final AtomicBoolean changed = new AtomicBoolean();
  private final AtomicInteger sessions = new AtomicInteger();
  @AutoClose private LoopbackHttpUpstream upstream;
  @AutoClose private GatewayInFront gateway;

  @BeforeEach
  void start() throws Exception {
    upstream = new LoopbackHttpUpstream(this::serve);
    gateway = new GatewayInFront(dir, new UpstreamServer.StreamableHttp("srv", upstream.url(), Map.of()), "change", "extra");
  }

  @Test
  void aChangeOnTheServersStreamReachesTheAgentsStreamAndTheNextList() throws Exception {
    String session = post(null, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
        + "\"2025-06-18\",\"capabilities\":{}}}").headers().firstValue("Mcp-Session-Id").orElseThrow();
    HttpResponse<Stream<String>> stream = client.send(gateway.get(session), HttpResponse.BodyHandlers.ofLines());
    Iterator<String> events = stream.body().filter(line -> line.startsWith("data: ")).iterator();
    assertThat(toolNames(session)).containsExactly("srv.change");

    post(session, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"srv.change\",\"arguments\":{}}}");

    assertThat(events.next()).isEqualTo("data: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/tools/list_changed\"}");
    assertThat(toolNames(session)).containsExactly("srv.change", "srv.extra");
    stream.body().close();
  }

  private List<String> toolNames(String session) throws Exception {
    JsonNode answer = json.readTree(post(session, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/list\"}").body());
    return answer.at("/result/tools").valueStream().map(tool -> tool.path("name").asText()).sorted().toList();
  }

  private HttpResponse<String> post(String session, String body) throws Exception {
    HttpRequest.Builder request = gateway.post(body, "application/json");
    if (session != null) {
      request.header("Mcp-Session-Id", session);
    }
    return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  /**
   * The server: a session per initialize, a standalone stream held open per GET, the tool {@code
   * change}, whose call adds the tool {@code extra} and says so on every standalone stream (a
   * change of the whole server, as every session sees it).
   */
  private void serve(HttpExchange exchange) throws IOException {
    if (exchange.getRequestMethod().equals("GET")) {
      exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
      exchange.sendResponseHeaders(200, 0);
      OutputStream out = exchange.getResponseBody();
      out.write(": open\n\n".getBytes(StandardCharsets.UTF_8));
      out.flush();
      serverStreams.add(out);
      if ("upstream-1".equals(exchange.getRequestHeaders().getFirst("Mcp-Session-Id"))) {
        sharedSessionStreamIsOpen.countDown();
      }
      return;
    }
    try (exchange) {
      if (!exchange.getRequestMethod().equals("POST")) {
        exchange.sendResponseHeaders(200, -1);
        return;
      }
      JsonNode message = json.readTree(exchange.getRequestBody());
      String method = message.path("method").asText();
      if (!message.has("id")) {
        exchange.sendResponseHeaders(202, -1);
        return;
      }
      String result = switch (method) {
        case "initialize" -> {
          exchange.getResponseHeaders().set("Mcp-Session-Id", "upstream-" + sessions.incrementAndGet());
          yield "{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{\"tools\":{\"listChanged\":true}},"
              + "\"serverInfo\":{\"name\":\"srv\",\"version\":\"1\"}}";
        }
        case "tools/list" -> "{\"tools\":[{\"name\":\"change\",\"inputSchema\":{\"type\":\"object\"}}"
            + (changed.get() ? ",{\"name\":\"extra\",\"inputSchema\":{\"type\":\"object\"}}" : "") + "]}";
        case "tools/call" -> {
          // The gateway hears list changes in its shared session, whose stream it opens after initialize.
          awaitSharedSessionStream();
          changed.set(true);
          for (OutputStream out : serverStreams) {
            try {
              out.write("event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/tools/list_changed\"}\n\n"
                  .getBytes(StandardCharsets.UTF_8));
              out.flush();
            } catch (IOException gone) {
              serverStreams.remove(out);
            }
          }
          yield "{\"content\":[{\"type\":\"text\",\"text\":\"changed\"}]}";
        }
        default -> null;
      };
      byte[] body = (result == null
          ? "{\"jsonrpc\":\"2.0\",\"id\":" + message.get("id") + ",\"error\":{\"code\":-32601,\"message\":\"no\"}}"
          : "{\"jsonrpc\":\"2.0\",\"id\":" + message.get("id") + ",\"result\":" + result + "}").getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
    }
  }

  private void awaitSharedSessionStream() throws IOException {
    try {
      if (!sharedSessionStreamIsOpen.await(20, TimeUnit.SECONDS)) {
        throw new IOException("the gateway opened no standalone stream");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
  }
}
