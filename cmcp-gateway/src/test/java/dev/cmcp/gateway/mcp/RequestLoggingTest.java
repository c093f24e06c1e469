package dev.cmcp.gateway.mcp;

import static dev.cmcp.gateway.mcp.GatewayUnderTest.piiServer;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cmcp.gateway.catalog.CatalogTool;
import dev.cmcp.gateway.config.EnforcementMode;
import dev.cmcp.gateway.config.ListenAddress;
import dev.cmcp.gateway.config.LogFormat;
import dev.cmcp.gateway.config.LogLevel;
import dev.cmcp.gateway.http.GatewayHttpServer;
import dev.cmcp.gateway.ops.GatewayLogging;
import dev.cmcp.verify.base.StrictJson;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the gateway logs for a call over HTTP, with every record captured as the JSON lines an
 * operator's collector would read: the request id that leads to the audit entries, and never the
 * call's arguments or result.
 */
class RequestLoggingTest {

  private static final String POLICIES = """
      @id("sales-contacts")
      permit (principal == Agent::"sales", action == Action::"call_tool", resource == Tool::"crm.contacts");
      """;
  private static final List<CatalogTool> TOOLS = List.of(
      new CatalogTool("crm.contacts", "crm", "contacts", Map.of()), new CatalogTool("crm.notes", "crm", "notes", Map.of()));
  /** An argument value that appears nowhere else. */
  private static final String ARGUMENT = "needle-7f3c9a1e";
  /** A value of the upstream's result (pii-server.mjs). */
  private static final String RESULT = "alice.moreno@example.com";

  @TempDir Path dir;

  @Test
  void callIsLoggedWithItsRequestIdAndWithoutArgumentsOrResult() throws Exception {
    List<JsonNode> log;
    String allowedId;
    String deniedId;
    List<JsonNode> audit;
    PrintStream stderr = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    try (GatewayUnderTest gateway = GatewayUnderTest.start(
        dir, EnforcementMode.ENFORCING, POLICIES, List.of(piiServer("crm", Map.of())), TOOLS)) {
      System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
      GatewayLogging.install(LogFormat.JSON, LogLevel.DEBUG);
      GatewayHttpServer http = new GatewayHttpServer(
          new ListenAddress("127.0.0.1", 0, true), gateway.endpoint, Optional.empty(), List.of(), new StrictJson().mapper());
      http.start();
      try {
        HttpResponse<String> allowed = post(http.port(), "sales", "crm.contacts");
        assertThat(allowed.body()).contains(RESULT);
        allowedId = allowed.headers().firstValue("X-Request-Id").orElseThrow();
        HttpResponse<String> denied = post(http.port(), "sales", "crm.notes");
        assertThat(denied.statusCode()).isEqualTo(403);
        deniedId = denied.headers().firstValue("X-Request-Id").orElseThrow();
      } finally {
        http.close();
      }
      audit = gateway.auditEntries();
    } finally {
      System.setErr(stderr);
      GatewayLogging.install(GatewayLogging.defaultFormat(), LogLevel.INFO);
    }
    String text = captured.toString(StandardCharsets.UTF_8);
    log = parseLines(text);

    assertThat(allowedId).isNotEqualTo(deniedId);
    assertThat(text).doesNotContain(ARGUMENT).doesNotContain(RESULT).doesNotContain("Alice Moreno");
    JsonNode forwarded = only(log, "request forwarded");
    assertThat(forwarded.path("request_id").asText()).isEqualTo(allowedId);
    assertThat(forwarded.path("tool").asText()).isEqualTo("crm.contacts");
    assertThat(forwarded.path("decision").asText()).isEqualTo("allow");
    assertThat(forwarded.path("level").asText()).isEqualTo("DEBUG");
    assertThat(forwarded.path("latency_ms").isNumber()).isTrue();
    JsonNode refused = only(log, "request denied");
    assertThat(refused.path("request_id").asText()).isEqualTo(deniedId);
    assertThat(refused.path("cause").asText()).isEqualTo("no_permit");
    assertThat(refused.path("level").asText()).isEqualTo("INFO");

    // From a log line to its audit entries: the decision and outcome carry the same request id.
    assertThat(audit).filteredOn(entry -> entry.path("request_id").asText().equals(allowedId))
        .extracting(entry -> entry.path("type").asText()).containsExactly("decision", "outcome");
    assertThat(audit).filteredOn(entry -> entry.path("request_id").asText().equals(deniedId))
        .extracting(entry -> entry.path("type").asText()).containsExactly("decision");
  }

  private static HttpResponse<String> post(int port, String workflow, String tool) throws Exception {
    String body = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"" + tool
        + "\",\"arguments\":{\"query\":\"" + ARGUMENT + "\"}}}";
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/mcp"))
        .header("Content-Type", "application/json")
        .header("Accept", "application/json, text/event-stream")
        .header("X-MCP-Workflow-ID", workflow)
        .POST(HttpRequest.BodyPublishers.ofString(body))
        .build();
    try (HttpClient client = HttpClient.newHttpClient()) {
      return client.send(request, HttpResponse.BodyHandlers.ofString());
    }
  }

  /** Every line must be one JSON object. */
  private static List<JsonNode> parseLines(String text) throws Exception {
    StrictJson json = new StrictJson();
    List<JsonNode> lines = new ArrayList<>();
    for (String line : text.split("\n")) {
      if (!line.isBlank()) {
        lines.add(json.parse(line));
      }
    }
    return lines;
  }

  private static JsonNode only(List<JsonNode> log, String message) {
    List<JsonNode> matching = log.stream().filter(line -> line.path("message").asText().equals(message)).toList();
    assertThat(matching).as("log lines \"%s\" in %s", message, log).hasSize(1);
    return matching.get(0);
  }
}
