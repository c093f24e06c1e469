package dev.cmcp.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * An initialized MCP session over Streamable HTTP that reads SSE answers: with the HTTP upstream
 * directly, to see what it says without the gateway, or with the gateway as an agent.
 */
record StreamableSession(HttpClient http, String url, String sessionId) {

  static StreamableSession open(String url) throws IOException, InterruptedException {
    StreamableSession bare = new StreamableSession(HttpClient.newHttpClient(), url, null);
    HttpResponse<String> init = bare.post("""
        {"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},
         "clientInfo":{"name":"cmcp-e2e-direct","version":"1"}}}""");
    StreamableSession session = new StreamableSession(bare.http, url, init.headers().firstValue("Mcp-Session-Id").orElseThrow());
    session.post("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
    return session;
  }

  /** The answer to one request. */
  JsonNode request(String method, String params) throws IOException, InterruptedException {
    List<JsonNode> messages = messages(method, params);
    return messages.get(messages.size() - 1);
  }

  /** Every message sent back for one request: notifications first, the answer last. */
  List<JsonNode> messages(String method, String params) throws IOException, InterruptedException {
    HttpResponse<String> response = post("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"" + method + "\",\"params\":" + params + "}");
    if (!response.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream")) {
      return List.of(McpClient.JSON.readTree(response.body()));
    }
    List<JsonNode> messages = new ArrayList<>();
    // Each event here has one data line: the message.
    for (String line : response.body().lines().filter(line -> line.startsWith("data:")).toList()) {
      if (!line.substring(5).isBlank()) {
        messages.add(McpClient.JSON.readTree(line.substring(5)));
      }
    }
    return messages;
  }

  private HttpResponse<String> post(String body) throws IOException, InterruptedException {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/json")
        .header("Accept", "application/json, text/event-stream")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    if (sessionId != null) {
      request.header("Mcp-Session-Id", sessionId).header("MCP-Protocol-Version", "2025-06-18");
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  /**
   * Opens the session's standalone stream ({@code GET}); each message it carries is added to
   * {@code heard} as it arrives, until the session ends.
   */
  void listen(List<JsonNode> heard) {
    HttpRequest request = HttpRequest.newBuilder(URI.create(url)).header("Accept", "text/event-stream")
        .header("Mcp-Session-Id", sessionId).header("MCP-Protocol-Version", "2025-06-18").GET().build();
    http.sendAsync(request, HttpResponse.BodyHandlers.ofLines()).thenAccept(response -> response.body()
        .filter(line -> line.startsWith("data:") && !line.substring(5).isBlank())
        .forEach(line -> {
          try {
            heard.add(McpClient.JSON.readTree(line.substring(5)));
          } catch (IOException e) {
            throw new IllegalStateException("not JSON on the stream: " + line, e);
          }
        }));
  }

  /** Ends the session ({@code DELETE}); returns the HTTP status. */
  int end() throws IOException, InterruptedException {
    HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
        .header("Mcp-Session-Id", sessionId).header("MCP-Protocol-Version", "2025-06-18").DELETE().build();
    return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
  }
}
