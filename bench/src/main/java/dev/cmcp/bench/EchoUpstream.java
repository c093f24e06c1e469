package dev.cmcp.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The benchmark's upstream: the smallest MCP server over Streamable HTTP that a real client
 * accepts, with one tool, {@code echo}. It answers every POST with a plain JSON body and keeps
 * nothing per call, so that it costs as little as possible of the machine the three targets
 * share (server-everything logs every request and keeps every event in memory).
 */
public final class EchoUpstream implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> VERSIONS = Set.of("2025-11-25", "2025-06-18", "2025-03-26");

  private final HttpServer server;
  private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
  private final Set<String> sessions = ConcurrentHashMap.newKeySet();

  private EchoUpstream(HttpServer server) {
    this.server = server;
  }

  /** Listens on loopback at {@code port} (0: any free port). */
  public static EchoUpstream start(int port) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1024);
    EchoUpstream upstream = new EchoUpstream(server);
    server.createContext("/mcp", upstream::handle);
    server.setExecutor(upstream.threads);
    server.start();
    return upstream;
  }

  public URI url() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/mcp");
  }

  @Override
  public void close() {
    server.stop(0);
    threads.shutdownNow();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange; InputStream in = exchange.getRequestBody()) {
      byte[] body = in.readAllBytes();
      String session = exchange.getRequestHeaders().getFirst("Mcp-Session-Id");
      switch (exchange.getRequestMethod()) {
        case "POST" -> post(exchange, body, session);
        case "DELETE" -> {
          sessions.remove(session);
          exchange.sendResponseHeaders(200, -1);
        }
        // No server-initiated messages: clients that probe for a GET stream expect 405.
        default -> exchange.sendResponseHeaders(405, -1);
      }
    }
  }

  private void post(HttpExchange exchange, byte[] body, String session) throws IOException {
    JsonNode message;
    try {
      message = JSON.readTree(body);
    } catch (IOException e) {
      send(exchange, 400, error(null, -32700, "parse error"));
      return;
    }
    String method = message.path("method").asText("");
    JsonNode id = message.get("id");
    if (method.equals("initialize")) {
      String opened = UUID.randomUUID().toString();
      sessions.add(opened);
      exchange.getResponseHeaders().set("Mcp-Session-Id", opened);
      send(exchange, 200, result(id, initializeResult(message.path("params").path("protocolVersion").asText())));
      return;
    }
    if (session != null && !sessions.contains(session)) {
      send(exchange, 404, error(id, -32001, "session not found"));
      return;
    }
    if (id == null) {
      exchange.sendResponseHeaders(202, -1);
      return;
    }
    switch (method) {
      case "tools/call" -> send(exchange, 200, result(id, echo(message.path("params"))));
      case "tools/list" -> send(exchange, 200, result(id, toolList()));
      case "ping" -> send(exchange, 200, result(id, JSON.createObjectNode()));
      default -> send(exchange, 200, error(id, -32601, "method not found: " + method));
    }
  }

  private static ObjectNode initializeResult(String requested) {
    ObjectNode result = JSON.createObjectNode();
    result.put("protocolVersion", VERSIONS.contains(requested) ? requested : "2025-06-18");
    result.putObject("capabilities").putObject("tools");
    result.putObject("serverInfo").put("name", "cmcp-bench-echo").put("version", "1.0.0");
    return result;
  }

  private static ObjectNode echo(JsonNode params) {
    ObjectNode result = JSON.createObjectNode();
    if (!params.path("name").asText().equals("echo")) {
      result.putArray("content").addObject().put("type", "text").put("text", "unknown tool");
      result.put("isError", true);
      return result;
    }
    // A stuck upstream, for the flood harness: the call is answered only after sleep_ms (at most a minute).
    long sleep = Math.min(params.path("arguments").path("sleep_ms").asLong(0), 60_000);
    if (sleep > 0) {
      try {
        Thread.sleep(sleep);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    String text = "Echo: " + params.path("arguments").path("message").asText("");
    result.putArray("content").addObject().put("type", "text").put("text", text);
    return result;
  }

  private static ObjectNode toolList() {
    ObjectNode result = JSON.createObjectNode();
    ObjectNode tool = result.putArray("tools").addObject();
    tool.put("name", "echo").put("description", "Echoes back the input");
    ObjectNode schema = tool.putObject("inputSchema").put("type", "object");
    schema.putObject("properties").putObject("message").put("type", "string");
    schema.putArray("required").add("message");
    return result;
  }

  private static ObjectNode result(JsonNode id, JsonNode result) {
    ObjectNode message = JSON.createObjectNode().put("jsonrpc", "2.0");
    message.set("id", id);
    message.set("result", result);
    return message;
  }

  private static ObjectNode error(JsonNode id, int code, String text) {
    ObjectNode message = JSON.createObjectNode().put("jsonrpc", "2.0");
    message.set("id", id);
    message.putObject("error").put("code", code).put("message", text);
    return message;
  }

  private static void send(HttpExchange exchange, int status, ObjectNode message) throws IOException {
    byte[] bytes = JSON.writeValueAsBytes(message);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  /** {@code java -cp ... dev.cmcp.bench.EchoUpstream PORT}: run on its own, as the benchmark does. */
  public static void main(String[] args) throws Exception {
    EchoUpstream upstream = start(args.length > 0 ? Integer.parseInt(args[0]) : 0);
    System.out.println("[echo] listening on " + upstream.url());
    System.out.flush();
    Thread.currentThread().join();
  }
}
