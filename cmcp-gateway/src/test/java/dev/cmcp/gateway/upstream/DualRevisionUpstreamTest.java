package dev.cmcp.gateway.upstream;

import static dev.cmcp.gateway.upstream.Interop.PATIENT;
import static dev.cmcp.gateway.upstream.Interop.catalog;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.cmcp.gateway.catalog.UpstreamServer;
import dev.cmcp.verify.base.StrictJson;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A Streamable HTTP server that speaks both 2025-06-18 (initialize, sessions) and 2026-07-28
 * (server/discover, the envelope in each request's {@code _meta}): each agent's request reaches it
 * in the agent's revision, so that it offers and checks what it would for that agent directly.
 */
class DualRevisionUpstreamTest {
  private static final String MODERN = "io.modelcontextprotocol/protocolVersion";
  private static final String CAPABILITIES = "io.modelcontextprotocol/clientCapabilities";

  private final StrictJson json = new StrictJson();
  /** Every message the server received, with the Mcp-Session-Id it came with ("" for none). */
  private final List<Map.Entry<String, JsonNode>> received = new CopyOnWriteArrayList<>();
  @AutoClose private LoopbackHttpUpstream server;
  /** The open listen streams' bodies, and the listen requests. */
  private final List<OutputStream> listeners = new CopyOnWriteArrayList<>();
  private final List<JsonNode> listens = new CopyOnWriteArrayList<>();

  @BeforeEach
  void startServer() throws IOException {
    server = new LoopbackHttpUpstream(this::handle);
  }

  @AfterEach
  void stopServer() {
    for (OutputStream listener : listeners) {
      try {
        listener.close();
      } catch (IOException e) {
        // Closed by the gateway already.
      }
    }
  }

  @Test
  void aModernAgentIsShownTheToolsTheServerListsInItsRevision() throws Exception {
    try (Upstreams upstreams = new Upstreams(catalog(dual()), PATIENT)) {
      ObjectNode modern = JsonNodeFactory.instance.objectNode();
      ObjectNode meta = modern.putObject("_meta");
      meta.put(MODERN, "2026-07-28");
      meta.putObject(CAPABILITIES).putObject("elicitation");

      assertThat(upstreams.tools("dual", modern)).extracting(tool -> tool.path("name").asText()).containsExactly("who", "modern_only");
      assertThat(upstreams.tool("dual", "modern_only", modern)).isPresent();
      assertThat(upstreams.tools("dual")).extracting(tool -> tool.path("name").asText()).containsExactly("who");
      assertThat(upstreams.tool("dual", "modern_only", JsonNodeFactory.instance.objectNode())).isEmpty();
      JsonNode asked = received.reversed().stream().map(Map.Entry::getValue)
          .filter(m -> m.path("method").asText().equals("tools/list") && m.at("/params/_meta").has(MODERN)).findFirst().orElseThrow();
      assertThat(asked.at("/params/_meta/" + CAPABILITIES.replace("/", "~1")).has("elicitation"))
          .as("listed with the agent's capabilities, as it would be directly").isTrue();
    }
  }

  @Test
  void aModernServersErrorSentWithHttp400IsItsAnswer() throws Exception {
    try (Upstreams upstreams = new Upstreams(catalog(dual()), PATIENT)) {
      ObjectNode params = call("needs_sampling");
      params.putObject("_meta").put(MODERN, "2026-07-28").putObject(CAPABILITIES);

      JsonNode answer = upstreams.connection("dual").request("tools/call", params);

      assertThat(answer.at("/error/code").asInt()).isEqualTo(-32021);
      assertThat(answer.at("/error/data/requiredCapabilities").has("sampling")).isTrue();
    }
  }

  @Test
  void aJsonBodyOfSeveralMessagesOneALineGivesItsAnswer() throws Exception {
    try (Upstreams upstreams = new Upstreams(catalog(dual()), PATIENT)) {
      ObjectNode params = call("lines");
      params.putObject("_meta").put(MODERN, "2026-07-28").putObject(CAPABILITIES);

      JsonNode answer = upstreams.connection("dual").request("tools/call", params);

      assertThat(answer.at("/result/content/0/text").asText()).isEqualTo("after a line");
    }
  }

  @Test
  void aModernServersListChangesReachTheGatewayWhileWatched() throws Exception {
    try (Upstreams upstreams = new Upstreams(catalog(dual()), PATIENT)) {
      java.util.concurrent.BlockingQueue<String> heard = new java.util.concurrent.LinkedBlockingQueue<>();
      upstreams.onListChanged((server, method) -> heard.add(server + " " + method));
      ObjectNode change = call("change");
      change.putObject("_meta").put(MODERN, "2026-07-28").putObject(CAPABILITIES);

      try (AutoCloseable watch = upstreams.watchListChanges(); AutoCloseable second = upstreams.watchListChanges()) {
        assertThat(listens).as("one stream for all watches").hasSize(1);
        assertThat(listens.getFirst().at("/params/notifications/toolsListChanged").asBoolean()).isTrue();
        upstreams.connection("dual").request("tools/call", change);
        assertThat(heard.poll(10, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo("dual notifications/tools/list_changed");
      }
      upstreams.connection("dual").request("tools/call", change);
      assertThat(heard).as("no watch, no stream").isEmpty();
    }
  }

  @Test
  void modernAgentsCallGoesInTheModernRevisionWithTheAgentsCapabilities() throws Exception {
    try (Upstreams upstreams = new Upstreams(catalog(dual()), PATIENT)) {
      ObjectNode params = call("who");
      ObjectNode meta = params.putObject("_meta");
      meta.put(MODERN, "2026-07-28");
      meta.putObject(CAPABILITIES).putObject("sampling");

      JsonNode answer = upstreams.connection("dual").request("tools/call", params);

      assertThat(answer.at("/result/content/0/text").asText()).isEqualTo("2026-07-28 sampling=true");
      JsonNode sent = lastCall();
      assertThat(sent.at("/params/_meta/" + MODERN.replace("/", "~1")).asText()).isEqualTo("2026-07-28");
      assertThat(sent.at("/params/_meta/" + CAPABILITIES.replace("/", "~1")).has("sampling")).isTrue();
      assertThat(sessionOfLastCall()).isEmpty();
      assertThat(answer.path("result").has("resultType")).as("complete results are read as 2025 ones").isFalse();
    }
  }

  @Test
  void modernUpstreamsInputRequiredResultComesBackAsItCame() throws Exception {
    try (Upstreams upstreams = new Upstreams(catalog(dual()), PATIENT)) {
      ObjectNode params = call("ask");
      params.putObject("_meta").put(MODERN, "2026-07-28");

      JsonNode answer = upstreams.connection("dual").request("tools/call", params);

      assertThat(answer.at("/result/resultType").asText()).isEqualTo("input_required");
      assertThat(answer.at("/result/requestState").asText()).isEqualTo("server-state");
    }
  }

  @Test
  void legacyAgentsCallGoesInTheSessionWithoutTheModernEnvelope() throws Exception {
    try (Upstreams upstreams = new Upstreams(catalog(dual()), PATIENT)) {
      ObjectNode params = call("who");
      // A 2025 agent's _meta carries no revision; one that names another revision is not a 2026 request either.
      params.putObject("_meta").put(MODERN, "2025-06-18").put("progressToken", 7);

      JsonNode answer = upstreams.connection("dual").request("tools/call", params);

      assertThat(answer.at("/result/content/0/text").asText()).isEqualTo("2025-06-18 sampling=true");
      assertThat(sessionOfLastCall()).isEqualTo("session-1");
      JsonNode sentMeta = lastCall().at("/params/_meta");
      assertThat(sentMeta.has(MODERN)).as("the envelope is not the gateway's to vouch for in 2025").isFalse();
      assertThat(sentMeta.path("progressToken").asInt()).isEqualTo(7);
    }
  }

  @Test
  void discoveryIsAskedOnceAndAServerWithoutItIsSpokenToIn2025() throws Exception {
    try (Upstreams upstreams = new Upstreams(catalog(legacyOnly()), PATIENT)) {
      for (int i = 0; i < 3; i++) {
        ObjectNode params = call("who");
        params.putObject("_meta").put(MODERN, "2026-07-28");
        JsonNode answer = upstreams.connection("legacy").request("tools/call", params);
        assertThat(answer.at("/result/content/0/text").asText()).startsWith("2025-06-18");
      }
      assertThat(received.stream().filter(m -> m.getValue().path("method").asText().equals("server/discover")).count())
          .isEqualTo(1);
      assertThat(lastCall().at("/params/_meta").has(MODERN)).isFalse();
    }
  }

  private UpstreamServer.StreamableHttp dual() {
    return new UpstreamServer.StreamableHttp("dual", server.url(), Map.of());
  }

  private UpstreamServer.StreamableHttp legacyOnly() {
    return new UpstreamServer.StreamableHttp("legacy", URI.create(server.url() + "?legacy"), Map.of());
  }

  private static ObjectNode call(String tool) {
    ObjectNode params = JsonNodeFactory.instance.objectNode().put("name", tool);
    params.putObject("arguments");
    return params;
  }

  private JsonNode lastCall() {
    return received.reversed().stream().map(Map.Entry::getValue)
        .filter(m -> m.path("method").asText().equals("tools/call")).findFirst().orElseThrow();
  }

  private String sessionOfLastCall() {
    return received.reversed().stream().filter(m -> m.getValue().path("method").asText().equals("tools/call"))
        .findFirst().orElseThrow().getKey();
  }

  private void handle(HttpExchange exchange) throws IOException {
    if (!exchange.getRequestMethod().equals("POST")) {
      exchange.sendResponseHeaders(405, -1);
      exchange.close();
      return;
    }
    boolean held = false;
    try {
      boolean legacyOnly = "legacy".equals(exchange.getRequestURI().getQuery());
      JsonNode message = json.parse(exchange.getRequestBody().readAllBytes());
      String session = exchange.getRequestHeaders().getFirst("Mcp-Session-Id");
      received.add(Map.entry(session == null ? "" : session, message));
      String method = message.path("method").asText();
      JsonNode meta = message.path("params").path("_meta");
      boolean modern = "2026-07-28".equals(meta.path(MODERN).asText());
      if (!message.has("id")) {
        exchange.sendResponseHeaders(202, -1);
      } else if (method.equals("initialize")) {
        exchange.getResponseHeaders().set("Mcp-Session-Id", "session-1");
        respond(exchange, message, "{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{\"tools\":{}},"
            + "\"serverInfo\":{\"name\":\"dual\",\"version\":\"1\"}}");
      } else if (method.equals("server/discover")) {
        if (legacyOnly) {
          respondRaw(exchange, "{\"jsonrpc\":\"2.0\",\"id\":" + message.get("id") + ",\"error\":{\"code\":-32601,\"message\":\"no\"}}");
        } else {
          respond(exchange, message, "{\"resultType\":\"complete\",\"supportedVersions\":[\"2025-06-18\",\"2026-07-28\"],"
              + "\"capabilities\":{\"tools\":{}},\"serverInfo\":{\"name\":\"dual\",\"version\":\"1\"}}");
        }
      } else if (modern && !legacyOnly && method.equals("subscriptions/listen")) {
        listen(exchange, message);
        held = true;
      } else if (method.equals("tools/list")) {
        respond(exchange, message, modern && !legacyOnly
            ? "{\"resultType\":\"complete\",\"tools\":[" + tool("who") + "," + tool("modern_only") + "],\"ttlMs\":300000}"
            : "{\"tools\":[" + tool("who") + "]}");
      } else if (modern && !legacyOnly && message.at("/params/name").asText().equals("needs_sampling")
          && !meta.path(CAPABILITIES).has("sampling")) {
        respondRaw(exchange, 400, "{\"jsonrpc\":\"2.0\",\"id\":" + message.get("id") + ",\"error\":{\"code\":-32021,"
            + "\"message\":\"MissingRequiredClientCapabilityError\",\"data\":{\"requiredCapabilities\":{\"sampling\":{}}}}}");
      } else if (modern && !legacyOnly && message.at("/params/name").asText().equals("lines")) {
        respondRaw(exchange, 200, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progressToken\":\"t\","
            + "\"progress\":50}}\n{\"jsonrpc\":\"2.0\",\"id\":" + message.get("id") + ",\"result\":{\"resultType\":\"complete\","
            + "\"content\":[{\"type\":\"text\",\"text\":\"after a line\"}]}}\n");
      } else if (modern && !legacyOnly && message.at("/params/name").asText().equals("change")) {
        for (OutputStream listener : listeners) {
          try {
            listener.write("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/tools/list_changed\",\"params\":{}}\n"
                .getBytes(StandardCharsets.UTF_8));
            listener.flush();
          } catch (IOException closed) {
            listeners.remove(listener);
          }
        }
        respond(exchange, message, "{\"resultType\":\"complete\",\"content\":[]}");
      } else if (modern && !legacyOnly && message.at("/params/name").asText().equals("ask")) {
        respond(exchange, message, "{\"resultType\":\"input_required\",\"inputRequests\":{\"q\":{\"method\":\"elicitation/create\","
            + "\"params\":{\"message\":\"?\",\"requestedSchema\":{\"type\":\"object\",\"properties\":{}}}}},"
            + "\"requestState\":\"server-state\"}");
      } else if (modern && !legacyOnly) {
        boolean sampling = meta.path(CAPABILITIES).has("sampling");
        respond(exchange, message, "{\"resultType\":\"complete\",\"content\":[{\"type\":\"text\",\"text\":\"2026-07-28 sampling="
            + sampling + "\"}]}");
      } else if (!"session-1".equals(session)) {
        respondRaw(exchange, "{\"jsonrpc\":\"2.0\",\"id\":" + message.get("id") + ",\"error\":{\"code\":-32600,\"message\":\"no session\"}}");
      } else {
        // The gateway declared sampling in its initialize.
        boolean sampling = received.stream().filter(m -> m.getValue().path("method").asText().equals("initialize"))
            .anyMatch(m -> m.getValue().at("/params/capabilities").has("sampling"));
        respond(exchange, message, "{\"content\":[{\"type\":\"text\",\"text\":\"2025-06-18 sampling=" + sampling + "\"}]}");
      }
    } catch (StrictJson.MalformedJsonException e) {
      throw new IOException(e);
    } finally {
      if (!held) {
        exchange.close();
      }
    }
  }

  /**
   * A 2026-07-28 listen, answered as the conformance suite's reference server does: a JSON body,
   * one message a line, the acknowledgment first, held open; list changes are written to it.
   */
  private void listen(HttpExchange exchange, JsonNode message) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(200, 0);
    OutputStream out = exchange.getResponseBody();
    out.write(("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/subscriptions/acknowledged\",\"params\":{\"_meta\":"
        + "{\"io.modelcontextprotocol/subscriptionId\":\"" + message.get("id") + "\"},\"notifications\":"
        + message.at("/params/notifications") + "}}\n").getBytes(StandardCharsets.UTF_8));
    out.flush();
    listens.add(message);
    listeners.add(out);
  }

  private static String tool(String name) {
    return "{\"name\":\"" + name + "\",\"inputSchema\":{\"type\":\"object\"}}";
  }

  private static void respond(HttpExchange exchange, JsonNode request, String result) throws IOException {
    respondRaw(exchange, "{\"jsonrpc\":\"2.0\",\"id\":" + request.get("id") + ",\"result\":" + result + "}");
  }

  private static void respondRaw(HttpExchange exchange, String body) throws IOException {
    respondRaw(exchange, 200, body);
  }

  private static void respondRaw(HttpExchange exchange, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }
}
