package dev.cmcp.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One agent's MCP session with a {@link Target}, as a real client holds it: {@code initialize},
 * {@code notifications/initialized}, then {@code tools/call} with the session's headers. Every
 * target gets the same request bytes except the tool name; the workflow header names the agent
 * for cMCP and is ignored by the others.
 */
final class McpSession {

  static final String PROTOCOL_VERSION = "2025-06-18";
  static final String AGENT = "bench-agent";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final HttpClient http;
  private final Target target;
  private final String sessionId;
  private final AtomicLong nextId = new AtomicLong(2);

  private McpSession(HttpClient http, Target target, String sessionId) {
    this.http = http;
    this.target = target;
    this.sessionId = sessionId;
  }

  /** The session's id, as the target gave it; null when the target keeps no sessions. */
  String sessionId() {
    return sessionId;
  }

  /** Opens a session; fails with a message naming the target when it will not talk MCP. */
  static McpSession open(HttpClient http, Target target) throws IOException, InterruptedException {
    String initialize = """
        {"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"%s","capabilities":{},\
        "clientInfo":{"name":"cmcp-bench","version":"1.0"}}}""".formatted(PROTOCOL_VERSION);
    HttpResponse<String> opened = http.send(post(target, null, initialize), HttpResponse.BodyHandlers.ofString());
    String sessionId = opened.headers().firstValue("Mcp-Session-Id").orElse(null);
    if (opened.statusCode() != 200 || !message(opened).has("result")) {
      throw new IOException(target.name() + ": initialize answered HTTP " + opened.statusCode() + ": " + opened.body());
    }
    HttpResponse<String> ready = http.send(
        post(target, sessionId, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}"),
        HttpResponse.BodyHandlers.ofString());
    if (ready.statusCode() / 100 != 2) {
      throw new IOException(target.name() + ": notifications/initialized answered HTTP " + ready.statusCode());
    }
    return new McpSession(http, target, sessionId);
  }

  /**
   * One {@code tools/call} of the echo tool. Returns normally only for an answer that carries the
   * echoed text; anything else (HTTP error, JSON-RPC error, denial) throws.
   */
  void callEcho() throws IOException, InterruptedException {
    long id = nextId.getAndIncrement();
    String call = """
        {"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"%s","arguments":{"message":"bench"}}}"""
        .formatted(id, target.echoTool());
    HttpResponse<String> answer = http.send(post(target, sessionId, call), HttpResponse.BodyHandlers.ofString());
    if (answer.statusCode() != 200) {
      throw new IOException("HTTP " + answer.statusCode() + ": " + abbreviate(answer.body()));
    }
    JsonNode message = message(answer);
    if (!message.path("result").path("content").path(0).path("text").asText().equals("Echo: bench")) {
      throw new IOException("not an echo: " + abbreviate(answer.body()));
    }
  }

  private static HttpRequest post(Target target, String sessionId, String body) {
    HttpRequest.Builder request = HttpRequest.newBuilder(target.url())
        .timeout(TIMEOUT)
        .header("Content-Type", "application/json")
        .header("Accept", "application/json, text/event-stream")
        .header("X-MCP-Workflow-ID", AGENT)
        .POST(HttpRequest.BodyPublishers.ofString(body));
    if (sessionId != null) {
      request.header("Mcp-Session-Id", sessionId).header("MCP-Protocol-Version", PROTOCOL_VERSION);
    }
    return request.build();
  }

  /** The JSON-RPC message of an answer sent as plain JSON or as a short event stream. */
  private static JsonNode message(HttpResponse<String> answer) throws IOException {
    String type = answer.headers().firstValue("Content-Type").orElse("");
    if (!type.startsWith("text/event-stream")) {
      return JSON.readTree(answer.body());
    }
    for (String line : answer.body().split("\n", -1)) {
      if (line.startsWith("data:")) {
        JsonNode message = JSON.readTree(line.substring("data:".length()));
        if (message.has("id")) {
          return message;
        }
      }
    }
    throw new IOException("an event stream without an answer: " + abbreviate(answer.body()));
  }

  private static String abbreviate(String text) {
    return text.length() <= 200 ? text : text.substring(0, 200) + "...";
  }
}
