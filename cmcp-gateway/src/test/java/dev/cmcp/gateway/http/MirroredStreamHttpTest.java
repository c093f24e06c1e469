package dev.cmcp.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import dev.cmcp.gateway.catalog.UpstreamServer;
import dev.cmcp.gateway.upstream.LoopbackHttpUpstream;
import dev.cmcp.verify.base.StrictJson;
import java.io.IOException;
import java.io.OutputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An upstream that answers a call with an event stream, primes it and closes it before the answer
 * (SEP-1699 polling): the agent gets the same from the gateway, a priming event with an id and
 * {@code retry}, its stream closed, and the answer on a GET with Last-Event-ID in its session only.
 */
class MirroredStreamHttpTest {

  @TempDir Path dir;

  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final ObjectMapper json = new ObjectMapper();
  private final StrictJson strict = new StrictJson();
  private LoopbackHttpUpstream upstream;
  private GatewayInFront gateway;
  private volatile JsonNode lastCall;

  @BeforeEach
  void start() throws Exception {
    upstream = new LoopbackHttpUpstream(this::handle);
    gateway = new GatewayInFront(dir, new UpstreamServer.StreamableHttp("fake", upstream.url(), Map.of()), "poll", "plain");
  }

  /** The gateway first, while its upstream still answers. */
  @AfterEach
  void stop() throws Exception {
    if (gateway != null) {
      gateway.close();
    }
    if (upstream != null) {
      upstream.close();
    }
  }

  @Test
  void aStreamTheUpstreamClosesBeforeItsAnswerIsClosedForTheAgentToAfterAPrimingEventAndResumedWithLastEventId()
      throws Exception {
    String session = initialize();

    HttpResponse<String> posted = post(session, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":"
        + "{\"name\":\"fake.poll\",\"arguments\":{}}}", "application/json, text/event-stream");

    assertThat(posted.headers().firstValue("Content-Type")).hasValue("text/event-stream");
    List<String> lines = posted.body().lines().toList();
    assertThat(lines.get(0)).startsWith("id: ");
    assertThat(lines).contains("retry: " + EventRelay.RETRY_MILLIS, "data: ");
    assertThat(posted.body()).doesNotContain("\"result\"");
    String primingId = lines.get(0).substring("id: ".length());

    HttpResponse<String> resumed = get(session, primingId);

    assertThat(resumed.statusCode()).isEqualTo(200);
    JsonNode answer = json.readTree(resumed.body().lines().filter(line -> line.startsWith("data: {")).findFirst().orElseThrow()
        .substring("data: ".length()));
    assertThat(answer.path("id").asInt()).isEqualTo(7);
    assertThat(answer.path("result").path("content").path(0).path("text").asText()).isEqualTo("resumed answer");
  }

  @Test
  void anotherSessionCannotResumeTheStreamEvenWithItsEventId() throws Exception {
    String session = initialize();
    HttpResponse<String> posted = post(session, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":"
        + "{\"name\":\"fake.poll\",\"arguments\":{}}}", "application/json, text/event-stream");
    String primingId = posted.body().lines().findFirst().orElseThrow().substring("id: ".length());
    String other = initialize();

    HttpResponse<String> refused = get(other, primingId);

    assertThat(refused.statusCode()).isEqualTo(404);
    assertThat(refused.body()).doesNotContain("resumed answer").contains("only for the session that opened them");
  }

  @Test
  void anUpstreamAnswerInJsonStaysJsonForTheAgent() throws Exception {
    String session = initialize();

    HttpResponse<String> posted = post(session, "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"tools/call\",\"params\":"
        + "{\"name\":\"fake.plain\",\"arguments\":{}}}", "application/json, text/event-stream");

    assertThat(posted.headers().firstValue("Content-Type")).hasValue("application/json");
    assertThat(json.readTree(posted.body()).path("result").path("content").path(0).path("text").asText()).isEqualTo("plain");
  }

  private String initialize() throws Exception {
    HttpResponse<String> opened = post(null, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
        + "\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}", "application/json");
    return opened.headers().firstValue("Mcp-Session-Id").orElseThrow();
  }

  private HttpResponse<String> post(String session, String body, String accept) throws Exception {
    HttpRequest.Builder request = gateway.post(body, accept);
    if (session != null) {
      request.header("Mcp-Session-Id", session).header("MCP-Protocol-Version", "2025-11-25");
    }
    return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(String session, String lastEventId) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(gateway.mcp())
        .timeout(Duration.ofSeconds(30))
        .header("Accept", "text/event-stream")
        .header("Mcp-Session-Id", session)
        .header("MCP-Protocol-Version", "2025-11-25")
        .header("Last-Event-ID", lastEventId)
        .GET()
        .build();
    return client.send(request, HttpResponse.BodyHandlers.ofString());
  }

  /** The upstream: initialize in JSON; "poll" primes its stream and closes it, the answer on the resume; "plain" in JSON. */
  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      if (exchange.getRequestMethod().equals("GET")) {
        if ("u-0".equals(exchange.getRequestHeaders().getFirst("Last-Event-ID"))) {
          respond(exchange, "text/event-stream", "id: u-1\ndata: " + answer(lastCall, "resumed answer") + "\n\n");
        } else {
          exchange.sendResponseHeaders(405, -1);
        }
        return;
      }
      JsonNode message;
      try {
        message = strict.parse(exchange.getRequestBody().readAllBytes());
      } catch (StrictJson.MalformedJsonException e) {
        exchange.sendResponseHeaders(400, -1);
        return;
      }
      if (!message.has("id")) {
        exchange.sendResponseHeaders(202, -1);
        return;
      }
      switch (message.path("method").asText()) {
        case "initialize" -> {
          exchange.getResponseHeaders().set("Mcp-Session-Id", "up-1");
          respond(exchange, "application/json", "{\"jsonrpc\":\"2.0\",\"id\":" + message.get("id") + ",\"result\":"
              + "{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{\"tools\":{}},\"serverInfo\":{\"name\":\"fake\",\"version\":\"1\"}}}");
        }
        case "tools/call" -> {
          lastCall = message;
          if (message.path("params").path("name").asText().equals("poll")) {
            respond(exchange, "text/event-stream", "id: u-0\nretry: 20\ndata:\n\n");
          } else {
            respond(exchange, "application/json", answer(message, "plain"));
          }
        }
        default -> respond(exchange, "application/json", "{\"jsonrpc\":\"2.0\",\"id\":" + message.get("id") + ",\"result\":{}}");
      }
    }
  }

  private static String answer(JsonNode request, String text) {
    return "{\"jsonrpc\":\"2.0\",\"id\":" + request.get("id") + ",\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"" + text + "\"}]}}";
  }

  private static void respond(HttpExchange exchange, String type, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", type);
    exchange.sendResponseHeaders(200, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }
}
