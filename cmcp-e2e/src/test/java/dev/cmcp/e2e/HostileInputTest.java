package dev.cmcp.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One gateway, with a bearer token, fronting the official server-everything over stdio; each
 * bad input gets its own clear error and the gateway keeps serving good calls after all of them.
 */
class HostileInputTest {

  static final String TOKEN = "e2e-token-0123456789abcdef";
  static final Map<String, String> AUTH = Map.of("Authorization", "Bearer " + TOKEN);

  @TempDir static Path tmp;
  static GatewayProcess gateway;
  static McpClient client;
  static final HttpClient HTTP = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    Path config = Deployments.everything(tmp, Map.of("max_response_size_bytes", "4096"));
    gateway = GatewayProcess.start(config, Map.of("CMCP_DEV_MODE", "1", "CMCP_BEARER_TOKEN", TOKEN));
    client = new McpClient(gateway.baseUrl());
  }

  @AfterAll
  static void stop() throws Exception {
    gateway.close();
  }

  private static McpClient.Answer call(String body) throws Exception {
    return client.post(body, AUTH);
  }

  private static void assertStillServing() throws Exception {
    McpClient.Answer echo = call(McpClient.toolCall(99, "everything.echo", "{\"message\":\"still here\"}", "s", "w"));
    assertThat(echo.status()).isEqualTo(200);
    assertThat(echo.body().path("result").path("content").get(0).path("text").asText()).isEqualTo("Echo: still here");
  }

  @Test
  void aRealUpstreamToolIsCalledThroughTheGateway() throws Exception {
    McpClient.Answer sum = call(McpClient.toolCall(1, "everything.get-sum", "{\"a\":2,\"b\":40}", "s", "w"));
    assertThat(sum.status()).isEqualTo(200);
    assertThat(sum.body().path("result").path("content").get(0).path("text").asText()).contains("42");
    assertStillServing();
  }

  @Test
  void malformedJsonIsAParseError() throws Exception {
    McpClient.Answer answer = call("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":");
    assertThat(answer.status()).isEqualTo(400);
    assertThat(answer.body().path("error").path("code").asInt()).isEqualTo(-32700);
    assertStillServing();
  }

  @Test
  void aDuplicateKeyIsRejectedAndNothingIsForwarded() throws Exception {
    // A parser that kept the first "name" would check echo while the upstream ran the second.
    McpClient.Answer answer = call("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":"
        + "{\"name\":\"everything.echo\",\"name\":\"everything.get-env\",\"arguments\":{}}}");
    assertThat(answer.status()).isEqualTo(400);
    assertThat(answer.body().path("error").path("code").asInt()).isEqualTo(-32700);
    assertThat(answer.body().path("error").path("message").asText()).contains("Duplicate field");
    assertStillServing();
  }

  @Test
  void aBatchIsAnInvalidRequest() throws Exception {
    McpClient.Answer answer = call("[" + McpClient.toolCall(1, "everything.echo", "{\"message\":\"a\"}", "s", "w") + "]");
    assertThat(answer.status()).isEqualTo(400);
    assertThat(answer.body().path("error").path("code").asInt()).isEqualTo(-32600);
    assertThat(answer.body().path("error").path("message").asText()).contains("batch");
  }

  @Test
  void wrongTypesAreInvalidParams() throws Exception {
    McpClient.Answer nameIsNumber = call("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{\"name\":42}}");
    assertThat(nameIsNumber.body().path("error").path("code").asInt()).isEqualTo(-32602);
    assertThat(nameIsNumber.body().path("id").asInt()).isEqualTo(5);
    McpClient.Answer argsIsList = call("{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"tools/call\",\"params\":{\"name\":\"everything.echo\",\"arguments\":[1]}}");
    assertThat(argsIsList.body().path("error").path("code").asInt()).isEqualTo(-32602);
    McpClient.Answer paramsIsString = call("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":\"x\"}");
    assertThat(paramsIsString.body().path("error").path("code").asInt()).isEqualTo(-32600);
    McpClient.Answer unknownMethod = call("{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"tools/frobnicate\"}");
    assertThat(unknownMethod.body().path("error").path("code").asInt()).isEqualTo(-32601);
    assertStillServing();
  }

  @Test
  void anUnknownToolIsDeniedAsUnsanctioned() throws Exception {
    McpClient.Answer answer = call(McpClient.toolCall(3, "everything.get-env", "{}", "s", "w"));
    // Not a policy decision: an MCP error in an HTTP 200 answer, as a server answers an unknown tool.
    assertThat(answer.status()).isEqualTo(200);
    assertThat(answer.body().path("id").asInt()).isEqualTo(3);
    assertThat(answer.body().path("error").path("code").asInt()).isEqualTo(-32602);
    JsonNode data = answer.body().path("error").path("data");
    assertThat(data.path("error").asText()).isEqualTo("tool_call_denied");
    assertThat(data.path("cause").asText()).isEqualTo("unsanctioned_tool");
    assertStillServing();
  }

  @Test
  void aMissingOrWrongBearerTokenIsUnauthorized() throws Exception {
    String echo = McpClient.toolCall(1, "everything.echo", "{\"message\":\"x\"}", "s", "w");
    assertThat(client.post(echo).status()).isEqualTo(401);
    assertThat(client.post(echo, Map.of("Authorization", "Bearer wrong-token-0123456789abc")).status()).isEqualTo(401);
    assertThat(client.post(echo, Map.of("Authorization", "Basic " + TOKEN)).status()).isEqualTo(401);
    assertStillServing();
  }

  @Test
  void theBearerTokenNeverAppearsInTheGatewaysOutputOrAuditLog() throws Exception {
    String echo = McpClient.toolCall(1, "everything.echo", "{\"message\":\"x\"}", "s", "w");
    // Near misses, which a careless "wrong token: ..." message would print, and the token itself.
    for (String authorization : List.of("Bearer " + TOKEN + "x", "Bearer " + TOKEN.substring(1), "Basic " + TOKEN,
        TOKEN, "Bearer  " + TOKEN.toUpperCase(Locale.ROOT), "Bearer " + TOKEN)) {
      client.post(echo, Map.of("Authorization", authorization));
      client.post(McpClient.toolCall(2, "everything.get-env", "{}", "s", "w"), Map.of("Authorization", authorization));
      client.post("{\"jsonrpc\":", Map.of("Authorization", authorization));
    }
    // A header too large for Jetty is refused before the gateway sees it; Jetty must not print it either.
    HttpResponse<String> huge = HTTP.send(HttpRequest.newBuilder(URI.create(gateway.baseUrl() + "/mcp"))
        .header("Authorization", "Bearer " + TOKEN + "y".repeat(20_000))
        .POST(HttpRequest.BodyPublishers.ofString(echo)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(huge.statusCode()).isEqualTo(431);
    for (String path : List.of("/metrics", "/readyz", "/v1/sessions/s/claim", "/nowhere")) {
      HTTP.send(HttpRequest.newBuilder(URI.create(gateway.baseUrl() + path)).header("Authorization", "Bearer " + TOKEN + "z")
          .build(), HttpResponse.BodyHandlers.ofString());
    }
    assertStillServing();

    // The denials' log lines prove the output was captured while the token was being tried.
    assertThat(gateway.output()).contains("\"tool\":\"everything.get-env\"").doesNotContain(TOKEN);
    try (Stream<Path> files = Files.walk(tmp.resolve("audit"))) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        assertThat(Files.readString(file)).as(file.toString()).doesNotContain(TOKEN);
      }
    }
  }

  @Test
  void anOversizedUpstreamResponseIsRefused() throws Exception {
    String big = "x".repeat(10_000);
    McpClient.Answer answer = call(McpClient.toolCall(4, "everything.echo", "{\"message\":\"" + big + "\"}", "s", "w"));
    assertThat(answer.body().path("error").path("data").path("error").asText()).isEqualTo("response_too_large");
    assertThat(answer.raw().body()).doesNotContain(big.substring(0, 100));
    assertStillServing();
  }

  @Test
  void aForeignOriginIsRefused() throws Exception {
    McpClient.Answer answer = client.post(McpClient.toolCall(1, "everything.echo", "{\"message\":\"x\"}", "s", "w"),
        Map.of("Authorization", "Bearer " + TOKEN, "Origin", "https://evil.example"));
    assertThat(answer.status()).isEqualTo(403);
    assertThat(answer.body().path("error").path("data").path("error").asText()).isEqualTo("origin_not_allowed");
  }
}
