package dev.cmcp.gateway.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cmcp.gateway.audit.AuditFixtures;
import dev.cmcp.gateway.catalog.Catalog;
import dev.cmcp.gateway.catalog.CatalogTool;
import dev.cmcp.gateway.catalog.UpstreamServer;
import dev.cmcp.gateway.config.EnforcementMode;
import dev.cmcp.gateway.config.ListenAddress;
import dev.cmcp.gateway.mcp.JsonRpcDecoder;
import dev.cmcp.gateway.mcp.McpEndpoint;
import dev.cmcp.gateway.mcp.SessionStore;
import dev.cmcp.gateway.mcp.ToolCallPipeline;
import dev.cmcp.gateway.policy.PolicyBundle;
import dev.cmcp.gateway.policy.PolicyBundleLoader;
import dev.cmcp.gateway.policy.PolicyEngine;
import dev.cmcp.gateway.upstream.UpstreamSettings;
import dev.cmcp.gateway.upstream.Upstreams;
import dev.cmcp.verify.base.StrictJson;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The gateway as an agent reaches it, over HTTP on a loopback port, in front of one upstream whose
 * named tools the policy lets every agent call: no token, no audit log, enforcing.
 */
final class GatewayInFront implements AutoCloseable {

  private final Upstreams upstreams;
  private final GatewayHttpServer server;

  /**
   * Starts the upstream's connection and the gateway.
   *
   * @param dir where the policy bundle is written
   * @param tools the upstream's tools the catalog lists, each as {@code <upstream>.<tool>}
   */
  GatewayInFront(Path dir, UpstreamServer upstream, String... tools) throws Exception {
    String name = upstream.name();
    Path bundleDir = Files.createDirectories(dir.resolve("bundle"));
    Files.writeString(bundleDir.resolve("manifest.json"),
        "{\"version\": \"1.0.0\", \"authored_at\": \"2026-01-01T00:00:00Z\", \"author_identity\": \"t@example.com\", \"commit_sha\": \"t\"}");
    Files.writeString(bundleDir.resolve("p.cedar"), "permit (principal, action == Action::\"call_tool\", resource in Server::\"" + name + "\");");
    PolicyBundle bundle = PolicyBundleLoader.load(bundleDir);
    Map<String, CatalogTool> listed = new HashMap<>();
    for (String tool : tools) {
      listed.put(name + "." + tool, new CatalogTool(name + "." + tool, name, tool, Map.of()));
    }
    Catalog catalog = new Catalog(Map.of(name, upstream), listed, AuditFixtures.CATALOG_HASH);
    upstreams = new Upstreams(catalog, new UpstreamSettings(Duration.ofSeconds(20), 1024 * 1024));
    upstreams.start();
    Clock clock = Clock.systemUTC();
    ToolCallPipeline pipeline = new ToolCallPipeline(catalog, bundle, new PolicyEngine(bundle, catalog),
        EnforcementMode.ENFORCING, upstreams, Optional.empty(), session -> { }, Optional::empty, clock);
    McpEndpoint endpoint = new McpEndpoint(new JsonRpcDecoder(new StrictJson()), new SessionStore(clock, 10), pipeline,
        Optional.empty(), "test");
    server = new GatewayHttpServer(new ListenAddress("127.0.0.1", 0, true), endpoint, Optional.empty(), List.of(),
        new ObjectMapper(), Optional.empty(), Duration.ofSeconds(30), McpHandler.BODY_TIMEOUT);
    try {
      server.start();
    } catch (Exception e) {
      upstreams.close();
      throw e;
    }
  }

  /** A POST of {@code body} to the gateway's MCP endpoint, the agent taking what {@code accept} says; no session yet. */
  HttpRequest.Builder post(String body, String accept) {
    return HttpRequest.newBuilder(mcp())
        .timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/json")
        .header("Accept", accept)
        .POST(HttpRequest.BodyPublishers.ofString(body));
  }

  /** A {@code GET} of the gateway's MCP endpoint: the standalone stream of {@code session}. */
  HttpRequest get(String session) {
    return HttpRequest.newBuilder(mcp()).header("Accept", "text/event-stream").header("Mcp-Session-Id", session).GET().build();
  }

  /** The gateway's MCP endpoint. */
  URI mcp() {
    return URI.create("http://127.0.0.1:" + server.port() + "/mcp");
  }

  @Override
  public void close() throws Exception {
    server.close();
    upstreams.close();
  }
}
