package dev.cmcp.gateway.attest;

import static dev.cmcp.gateway.attest.Fixtures.BINDING;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.cmcp.gateway.catalog.Catalog;
import dev.cmcp.gateway.catalog.CatalogTool;
import dev.cmcp.gateway.catalog.UpstreamServer;
import dev.cmcp.gateway.config.EnforcementMode;
import dev.cmcp.gateway.config.StalenessPolicy;
import dev.cmcp.gateway.mcp.JsonRpcException;
import dev.cmcp.gateway.mcp.ToolCallPipeline;
import dev.cmcp.gateway.policy.PolicyBundle;
import dev.cmcp.gateway.policy.PolicyBundleLoader;
import dev.cmcp.gateway.policy.PolicyEngine;
import dev.cmcp.gateway.upstream.UpstreamSettings;
import dev.cmcp.gateway.upstream.Upstreams;
import dev.cmcp.verify.base.StrictJson;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The staleness policy as an agent meets it: tool calls through the pipeline to a small MCP
 * server, with evidence whose renewal fails after a short validity.
 */
class StalenessPolicyTest {

  private static final Duration VALIDITY = Duration.ofSeconds(2);

  @TempDir Path dir;
  private final TestClock clock = new TestClock(Instant.parse("2026-11-25T10:00:00Z"));
  private final ScriptedTpm tpm = new ScriptedTpm();
  private final AtomicInteger forwarded = new AtomicInteger();
  private HttpServer server;
  private Upstreams upstreams;

  @BeforeEach
  void startUpstream() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/mcp", this::serveMcp);
    server.start();
  }

  @AfterEach
  void stop() {
    if (upstreams != null) {
      upstreams.close();
    }
    server.stop(0);
  }

  /** Just enough MCP: initialize, notifications, and an echo tool. */
  private void serveMcp(HttpExchange exchange) throws IOException {
    try (exchange) {
      JsonNode message = new StrictJson().parse(exchange.getRequestBody().readAllBytes());
      if (!message.has("id")) {
        exchange.sendResponseHeaders(202, -1);
        return;
      }
      String result = switch (message.path("method").asText()) {
        case "initialize" ->
            "{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"serverInfo\":{\"name\":\"fake\",\"version\":\"1\"}}";
        case "tools/call" -> {
          forwarded.incrementAndGet();
          yield "{\"content\":[{\"type\":\"text\",\"text\":\"echoed\"}]}";
        }
        default -> "{}";
      };
      byte[] body = ("{\"jsonrpc\":\"2.0\",\"id\":" + message.get("id") + ",\"result\":" + result + "}")
          .getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    } catch (StrictJson.MalformedJsonException e) {
      exchange.sendResponseHeaders(400, -1);
    }
  }

  private ToolCallPipeline pipeline(CurrentEvidence evidence) throws Exception {
    URI url = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/mcp");
    Catalog catalog = new Catalog(
        Map.of("fake", new UpstreamServer.StreamableHttp("fake", url, Map.of())),
        Map.of("fake.echo", new CatalogTool("fake.echo", "fake", "echo", Map.of())),
        "sha256:" + "b".repeat(64));
    Path policies = Files.createDirectory(dir.resolve("policies"));
    Files.writeString(policies.resolve("manifest.json"),
        "{\"version\":\"1.0.0\",\"authored_at\":\"2026-01-01T00:00:00Z\",\"author_identity\":\"t@example.com\",\"commit_sha\":\"t\"}");
    Files.writeString(policies.resolve("all.cedar"), "permit (principal, action, resource);\n");
    PolicyBundle bundle = PolicyBundleLoader.load(policies);
    upstreams = new Upstreams(catalog, new UpstreamSettings(Duration.ofSeconds(10), 1 << 20));
    upstreams.start();
    return new ToolCallPipeline(catalog, bundle, new PolicyEngine(bundle, catalog), EnforcementMode.ENFORCING, upstreams,
        Optional.empty(), session -> { }, evidence::refusal, clock);
  }

  private static ObjectNode echo() {
    ObjectNode params = JsonNodeFactory.instance.objectNode().put("name", "fake.echo");
    params.putObject("arguments");
    return params;
  }

  private ObjectNode call(ToolCallPipeline pipeline, int id) throws JsonRpcException {
    return pipeline.call(JsonNodeFactory.instance.numberNode(id), echo(), Optional.empty(), Optional.empty());
  }

  private CurrentEvidence evidence(StalenessPolicy policy) throws AttestationException {
    return CurrentEvidence.start(new TpmProvider(tpm, clock), BINDING, Optional.empty(), VALIDITY, policy, clock);
  }

  @Test
  void failClosedAnswers503EvidenceStaleAndForwardsNothing() throws Exception {
    ToolCallPipeline pipeline = pipeline(evidence(StalenessPolicy.FAIL_CLOSED));
    assertThat(call(pipeline, 1).path("result").path("content").get(0).path("text").asText()).isEqualTo("echoed");
    tpm.failWith("TPM is gone");
    clock.advance(VALIDITY);

    JsonRpcException refused = catchThrowableOfType(JsonRpcException.class, () -> call(pipeline, 2));

    assertThat(refused.httpStatus()).isEqualTo(503);
    assertThat(refused.id().asInt()).isEqualTo(2);
    assertThat(refused.error().data().path("error").asText()).isEqualTo("evidence_stale");
    assertThat(refused.error().message()).contains("fail_closed");
    assertThat(forwarded).hasValue(1);
  }

  @Test
  void warnOnlyForwardsWithStaleEvidence() throws Exception {
    ToolCallPipeline pipeline = pipeline(evidence(StalenessPolicy.WARN_ONLY));
    tpm.failWith("TPM is gone");
    clock.advance(VALIDITY.multipliedBy(2));

    ObjectNode answer = call(pipeline, 3);

    assertThat(answer.path("result").path("content").get(0).path("text").asText()).isEqualTo("echoed");
    assertThat(forwarded).hasValue(1);
  }
}
