package dev.cmcp.gateway.upstream;

import static dev.cmcp.gateway.upstream.Interop.PATIENT;
import static dev.cmcp.gateway.upstream.Interop.catalog;
import static dev.cmcp.gateway.upstream.Interop.text;
import static dev.cmcp.gateway.upstream.Interop.toolCall;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.sun.net.httpserver.HttpExchange;
import dev.cmcp.gateway.catalog.UpstreamServer;
import dev.cmcp.gateway.ops.GatewayMetrics;
import dev.cmcp.gateway.ops.MetricsParsers;
import dev.cmcp.verify.base.StrictJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The upstream sessions of agent sessions, against a Streamable HTTP server that numbers its
 * sessions and records which ones were ended: the lifecycle edges the reference server cannot be
 * made to show (a request racing its session's end, the gateway stopping).
 */
class AgentSessionLinksTest {
  private final StrictJson json = new StrictJson();
  private final AtomicInteger opened = new AtomicInteger();
  private final List<String> ended = new CopyOnWriteArrayList<>();
  @AutoClose private LoopbackHttpUpstream server;

  @BeforeEach
  void startServer() throws IOException {
    server = new LoopbackHttpUpstream(this::handle);
  }

  private UpstreamServer.StreamableHttp fake(UpstreamServer.SessionMode mode) {
    return new UpstreamServer.StreamableHttp("fake", server.url(), Map.of(), mode);
  }

  /** The session the server says the call came in. */
  private static String sessionOf(Upstreams upstreams, String session) throws Exception {
    return text(upstreams.connection("fake", session).request("tools/call", toolCall("whoami", JsonNodeFactory.instance.objectNode())));
  }

  @Test
  void eachAgentSessionHasItsOwnUpstreamSessionEndedWithIt() throws Exception {
    try (Upstreams upstreams = new Upstreams(catalog(fake(UpstreamServer.SessionMode.PER_AGENT)), PATIENT)) {
      GatewayMetrics metrics =
          new GatewayMetrics(Set.of(), "enforcing", Instant::now, upstreams::restarts, upstreams::agentSessions, Clock.systemUTC());
      upstreams.start();
      String a = upstreams.sessionFor("fake", Optional.of("agent-a"));
      String b = upstreams.sessionFor("fake", Optional.of("agent-b"));
      String sharedSession = sessionOf(upstreams, Upstreams.SHARED_SESSION);
      String ofA = sessionOf(upstreams, a);
      String ofB = sessionOf(upstreams, b);

      assertThat(List.of(sharedSession, ofA, ofB)).doesNotHaveDuplicates();
      assertThat(sessionOf(upstreams, a)).as("the same agent session, the same upstream session").isEqualTo(ofA);
      assertThat(upstreams.agentSessions()).containsEntry("fake", 2);
      assertThat(MetricsParsers.protobuf(metrics.exposition(MetricsParsers.PROTOBUF).body()))
          .containsEntry("cmcp_upstream_agent_sessions{server=\"fake\"}", 2.0);

      upstreams.endSession("agent-a");
      awaitEnded(ofA);
      assertThat(ended).containsExactly(ofA);
      assertThat(upstreams.agentSessions()).containsEntry("fake", 1);
      UpstreamException late = catchThrowableOfType(UpstreamException.class, () -> sessionOf(upstreams, a));
      assertThat(late.kind()).as("a request racing its session's end opens none").isEqualTo(UpstreamException.Kind.UNAVAILABLE);
      assertThat(opened.get()).isEqualTo(3);

      upstreams.close();
      assertThat(ended).as("stopping ends the rest").containsExactlyInAnyOrder(ofA, ofB, sharedSession);
    }
  }

  @Test
  void inSharedModeEveryAgentSessionUsesTheServersSession() throws Exception {
    try (Upstreams upstreams = new Upstreams(catalog(fake(UpstreamServer.SessionMode.SHARED)), PATIENT)) {
      upstreams.start();
      String a = upstreams.sessionFor("fake", Optional.of("agent-a"));

      assertThat(a).isEqualTo(Upstreams.SHARED_SESSION);
      assertThat(sessionOf(upstreams, a)).isEqualTo(sessionOf(upstreams, Upstreams.SHARED_SESSION));
      upstreams.endSession("agent-a");
      assertThat(sessionOf(upstreams, a)).as("the shared session outlives agents'").isNotEmpty();
      assertThat(ended).isEmpty();
      assertThat(opened.get()).isEqualTo(1);
    }
  }

  private void awaitEnded(String session) throws InterruptedException {
    for (int i = 0; i < 200 && !ended.contains(session); i++) {
      Thread.sleep(10);
    }
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String session = exchange.getRequestHeaders().getFirst("Mcp-Session-Id");
      switch (exchange.getRequestMethod()) {
        case "GET" -> exchange.sendResponseHeaders(405, -1);
        case "DELETE" -> {
          ended.add(session);
          exchange.sendResponseHeaders(200, -1);
        }
        default -> {
          JsonNode message;
          try {
            message = json.parse(exchange.getRequestBody().readAllBytes());
          } catch (StrictJson.MalformedJsonException e) {
            exchange.sendResponseHeaders(400, -1);
            return;
          }
          if (message.path("method").asText().equals("initialize")) {
            exchange.getResponseHeaders().set("Mcp-Session-Id", "s" + opened.incrementAndGet());
            respond(exchange, message,
                "{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"serverInfo\":{\"name\":\"fake\",\"version\":\"1\"}}");
          } else if (!message.has("id")) {
            exchange.sendResponseHeaders(202, -1);
          } else {
            respond(exchange, message, "{\"content\":[{\"type\":\"text\",\"text\":\"" + session + "\"}]}");
          }
        }
      }
    }
  }

  private static void respond(HttpExchange exchange, JsonNode request, String result) throws IOException {
    byte[] body = ("{\"jsonrpc\":\"2.0\",\"id\":" + request.get("id") + ",\"result\":" + result + "}").getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(200, body.length);
    exchange.getResponseBody().write(body);
  }
}
