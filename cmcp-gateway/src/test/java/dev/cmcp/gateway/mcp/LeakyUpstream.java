package dev.cmcp.gateway.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;

/**
 * The hostile upstream of the redaction tests over Streamable HTTP: the cases of {@code
 * leaky-answers.json}, as {@code leaky-server.mjs} answers them over stdio, sent as a plain JSON
 * body under {@code /json} and as an SSE event under {@code /sse}, byte for byte as written.
 */
final class LeakyUpstream implements AutoCloseable {

  private final HttpServer http;
  private final Map<String, String> cases;

  LeakyUpstream() throws Exception {
    JsonNode all = GatewayUnderTest.JSON.parse(Files.readAllBytes(GatewayUnderTest.resourceFile("leaky-answers.json")));
    Map<String, String> raw = new LinkedHashMap<>();
    all.properties().forEach(entry -> {
      if (!entry.getKey().startsWith("_")) {
        raw.put(entry.getKey(), entry.getValue().textValue());
      }
    });
    cases = Map.copyOf(raw);
    http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    http.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    http.createContext("/json", exchange -> answer(exchange, "json", false));
    http.createContext("/sse", exchange -> answer(exchange, "sse", true));
    http.start();
  }

  /** The case names, which are the tools, prompts and last URI segments every leaky server offers. */
  static List<String> caseNames() throws Exception {
    JsonNode all = GatewayUnderTest.JSON.parse(Files.readAllBytes(GatewayUnderTest.resourceFile("leaky-answers.json")));
    List<String> names = new ArrayList<>();
    all.fieldNames().forEachRemaining(name -> {
      if (!name.startsWith("_")) {
        names.add(name);
      }
    });
    return names;
  }

  URI url(String path) {
    return URI.create("http://127.0.0.1:" + http.getAddress().getPort() + "/" + path);
  }

  private void answer(HttpExchange exchange, String server, boolean sse) throws IOException {
    try (exchange) {
      JsonNode request;
      try {
        request = GatewayUnderTest.JSON.parse(exchange.getRequestBody().readAllBytes());
      } catch (Exception e) {
        exchange.sendResponseHeaders(400, -1);
        return;
      }
      JsonNode id = request.get("id");
      if (id == null) {
        exchange.sendResponseHeaders(202, -1);
        return;
      }
      String method = request.path("method").asText();
      JsonNode params = request.path("params");
      String names = String.join(",", cases.keySet().stream().map(name -> "\"" + name + "\"").toList());
      String members = switch (method) {
        case "initialize" -> "\"result\":{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{\"tools\":{},\"resources\":{},"
            + "\"prompts\":{}},\"serverInfo\":{\"name\":\"leaky\",\"version\":\"1\"}}";
        case "tools/list" -> "\"result\":{\"tools\":[" + String.join(",", cases.keySet().stream()
            .map(name -> "{\"name\":\"" + name + "\",\"inputSchema\":{\"type\":\"object\"}}").toList()) + "]}";
        case "resources/list" -> "\"result\":{\"resources\":[" + String.join(",", cases.keySet().stream()
            .map(name -> "{\"uri\":\"leak://" + server + "/" + name + "\",\"name\":\"" + name + "\"}").toList()) + "]}";
        case "resources/templates/list" -> "\"result\":{\"resourceTemplates\":[]}";
        case "prompts/list" -> "\"result\":{\"prompts\":[" + names.replaceAll("(\"[a-z_]+\")", "{\"name\":$1}") + "]}";
        case "tools/call", "prompts/get" -> cases.get(params.path("name").asText());
        case "resources/read" -> cases.get(params.path("uri").asText().substring(params.path("uri").asText().lastIndexOf('/') + 1));
        default -> "\"error\":{\"code\":-32601,\"message\":\"unknown method\"}";
      };
      String message = "{\"jsonrpc\":\"2.0\",\"id\":" + id + "," + members + "}";
      byte[] body = (sse ? "event: message\ndata: " + message + "\n\n" : message).getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", sse ? "text/event-stream" : "application/json");
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
    }
  }

  @Override
  public void close() {
    http.stop(0);
  }
}
