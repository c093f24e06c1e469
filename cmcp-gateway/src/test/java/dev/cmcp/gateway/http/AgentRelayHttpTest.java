package dev.cmcp.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cmcp.gateway.catalog.UpstreamServer;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server's request and log messages during a call, as an agent sees them over HTTP: events of
 * the call's SSE answer, the agent's answer a second POST in the same session.
 */
class AgentRelayHttpTest {

  @TempDir Path dir;

  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final ObjectMapper json = new ObjectMapper();
  @AutoClose private GatewayInFront gateway;

  @BeforeEach
  void start() throws Exception {
    Path fixture = Path.of(AgentRelayHttpTest.class.getResource("/dev/cmcp/gateway/mcp/asking-server.mjs").toURI());
    gateway = new GatewayInFront(dir, new UpstreamServer.Stdio("asking", "node", List.of(fixture.toString()), Map.of(), null),
        "ask", "log3");
  }

  @Test
  void theServersRequestIsAnEventOfTheCallsAnswerAndTheAgentsReplyReachesTheServer() throws Exception {
    String session = initialize("{\"sampling\":{}}");
    Iterator<JsonNode> events = events(callTool(session, "asking.ask"));

    JsonNode request = events.next();
    assertThat(request.path("method").asText()).isEqualTo("sampling/createMessage");
    HttpResponse<String> reply = post(session, "{\"jsonrpc\":\"2.0\",\"id\":" + request.get("id") + ",\"result\":{\"role\":\"assistant\","
        + "\"content\":{\"type\":\"text\",\"text\":\"hello from the agent\"},\"model\":\"m\"}}", "application/json");
    JsonNode answer = events.next();

    assertThat(reply.statusCode()).isEqualTo(202);
    assertThat(answer.path("id").asInt()).isEqualTo(7);
    assertThat(answer.path("result").path("content").path(0).path("text").asText()).contains("hello from the agent");
  }

  @Test
  void logMessagesAreEventsBeforeTheAnswer() throws Exception {
    String session = initialize("{}");
    List<JsonNode> all = new ArrayList<>();
    events(callTool(session, "asking.log3")).forEachRemaining(all::add);

    assertThat(all).extracting(event -> event.path("method").asText("answer"))
        .containsExactly("notifications/message", "notifications/message", "notifications/message", "answer");
  }

  private String initialize(String capabilities) throws Exception {
    HttpResponse<String> opened = post(null, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
        + "\"2025-06-18\",\"capabilities\":" + capabilities + "}}", "application/json");
    return opened.headers().firstValue("Mcp-Session-Id").orElseThrow();
  }

  private HttpResponse<Stream<String>> callTool(String session, String tool) throws Exception {
    HttpRequest request = request(session, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":\"" + tool
        + "\",\"arguments\":{}}}", "application/json, text/event-stream");
    HttpResponse<Stream<String>> response = client.send(request, HttpResponse.BodyHandlers.ofLines());
    assertThat(response.headers().firstValue("Content-Type")).hasValue("text/event-stream");
    return response;
  }

  /** The JSON messages of an SSE answer, each read as it arrives. */
  private Iterator<JsonNode> events(HttpResponse<Stream<String>> response) {
    return response.body().filter(line -> line.startsWith("data: ")).map(line -> {
      try {
        return json.readTree(line.substring("data: ".length()));
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }).iterator();
  }

  private HttpResponse<String> post(String session, String body, String accept) throws Exception {
    return client.send(request(session, body, accept), HttpResponse.BodyHandlers.ofString());
  }

  private HttpRequest request(String session, String body, String accept) {
    HttpRequest.Builder request = gateway.post(body, accept);
    if (session != null) {
      request.header("Mcp-Session-Id", session);
    }
    return request.build();
  }
}
