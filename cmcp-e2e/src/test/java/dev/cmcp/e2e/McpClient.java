package dev.cmcp.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/** A bare HTTP client for the tests: sends exact bytes, so malformed requests can be sent too. */
final class McpClient {

  static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final String url;

  McpClient(String baseUrl) {
    this.url = baseUrl + "/mcp";
  }

  record Answer(int status, JsonNode body, HttpResponse<String> raw) {
    String header(String name) {
      return raw.headers().firstValue(name).orElse(null);
    }
  }

  Answer post(String body) throws IOException, InterruptedException {
    return post(body, Map.of());
  }

  Answer post(String body, Map<String, String> headers) throws IOException, InterruptedException {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url))
        .timeout(Duration.ofSeconds(60))
        .header("Content-Type", "application/json")
        .header("Accept", "application/json, text/event-stream")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    headers.forEach(request::header);
    return send(request.build());
  }

  Answer delete(String sessionId) throws IOException, InterruptedException {
    return send(HttpRequest.newBuilder(URI.create(url)).header("Mcp-Session-Id", sessionId).DELETE().build());
  }

  private Answer send(HttpRequest request) throws IOException, InterruptedException {
    HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
    JsonNode body = response.body().isEmpty() ? null : JSON.readTree(response.body());
    return new Answer(response.statusCode(), body, response);
  }

  static String toolCall(int id, String tool, String argumentsJson, String sessionId, String workflowId) {
    return "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"tools/call\",\"params\":{\"name\":\"" + tool
        + "\",\"arguments\":" + argumentsJson + ",\"_cmcp\":{\"session_id\":\"" + sessionId
        + "\",\"workflow_id\":\"" + workflowId + "\"}}}";
  }
}
