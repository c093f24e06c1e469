package dev.cmcp.gateway.mcp;


import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.gateway.InteropPackages;
import dev.cmcp.gateway.audit.AuditFixtures;
import dev.cmcp.gateway.audit.AuditLog;
import dev.cmcp.gateway.catalog.Catalog;
import dev.cmcp.gateway.catalog.CatalogPrompt;
import dev.cmcp.gateway.catalog.CatalogTool;
import dev.cmcp.gateway.catalog.ResourceOwner;
import dev.cmcp.gateway.catalog.UpstreamServer;
import dev.cmcp.gateway.config.DenyResponse;
import dev.cmcp.gateway.config.EnforcementMode;
import dev.cmcp.gateway.policy.ActivePolicy;
import dev.cmcp.gateway.policy.PolicyBundle;
import dev.cmcp.gateway.policy.PolicyBundleLoader;
import dev.cmcp.gateway.policy.PolicyEngine;
import dev.cmcp.gateway.upstream.UpstreamSettings;
import dev.cmcp.gateway.upstream.Upstreams;
import dev.cmcp.verify.base.StrictJson;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/** The MCP endpoint wired as {@code Gateway} wires it, over real upstream processes, without HTTP. */
final class GatewayUnderTest implements AutoCloseable {

  static final StrictJson JSON = new StrictJson();

  private final Upstreams upstreams;
  private final Optional<AuditLog> audit;
  final McpEndpoint endpoint;
  private final AtomicReference<ActivePolicy> active;
  private final Path dir;

  private GatewayUnderTest(Upstreams upstreams, Optional<AuditLog> audit, McpEndpoint endpoint, AtomicReference<ActivePolicy> active,
      Path dir) {
    this.upstreams = upstreams;
    this.audit = audit;
    this.endpoint = endpoint;
    this.active = active;
    this.dir = dir;
  }

  /** Swaps in a bundle of {@code policies} over the same catalog, as a policy reload does between requests. */
  void reloadPolicies(String policies) throws Exception {
    Path bundleDir = Files.createDirectories(dir.resolve("bundle-" + System.nanoTime()));
    Files.writeString(bundleDir.resolve("manifest.json"),
        "{\"version\": \"1.0.1\", \"authored_at\": \"2026-01-02T00:00:00Z\", \"author_identity\": \"t@example.com\", \"commit_sha\": \"u\"}");
    Files.writeString(bundleDir.resolve("p.cedar"), policies, StandardCharsets.UTF_8);
    PolicyBundle bundle = PolicyBundleLoader.load(bundleDir);
    ActivePolicy old = active.get();
    Catalog catalog = old.catalog();
    ActivePolicy next = new ActivePolicy(bundle, catalog, new PolicyEngine(bundle, catalog));
    active.set(next);
    endpoint.policyReloaded(old, next);
  }

  /**
   * Starts the servers and serves the tools under the Cedar {@code policies}.
   *
   * @param tools catalog entries, as {@code new CatalogTool(...)}
   */
  static GatewayUnderTest start(Path dir, EnforcementMode mode, String policies, List<UpstreamServer> servers,
      List<CatalogTool> tools) throws Exception {
    return start(dir, mode, policies, servers, tools, new UpstreamSettings(Duration.ofSeconds(20), 1024 * 1024));
  }

  /** As above, with these upstream timeout and size limits. */
  static GatewayUnderTest start(Path dir, EnforcementMode mode, String policies, List<UpstreamServer> servers,
      List<CatalogTool> tools, UpstreamSettings settings) throws Exception {
    return start(dir, mode, policies, servers, tools, settings, DenyResponse.HTTP_403);
  }

  /** As above, answering policy denials as {@code denyResponse} says. */
  static GatewayUnderTest start(Path dir, EnforcementMode mode, String policies, List<UpstreamServer> servers,
      List<CatalogTool> tools, UpstreamSettings settings, DenyResponse denyResponse) throws Exception {
    return start(dir, mode, policies, servers, tools, List.of(), List.of(), settings, denyResponse, CallControls.defaults());
  }

  /** As above, with these rate limits (and the other checks of {@link CallControls}). */
  static GatewayUnderTest start(Path dir, EnforcementMode mode, String policies, List<UpstreamServer> servers,
      List<CatalogTool> tools, UpstreamSettings settings, DenyResponse denyResponse, CallControls controls) throws Exception {
    return start(dir, mode, policies, servers, tools, List.of(), List.of(), settings, denyResponse, controls);
  }

  /** As above, with the catalog's prompt aliases and resource owners. */
  static GatewayUnderTest start(Path dir, EnforcementMode mode, String policies, List<UpstreamServer> servers,
      List<CatalogTool> tools, List<CatalogPrompt> prompts, List<ResourceOwner> owners, UpstreamSettings settings,
      DenyResponse denyResponse, CallControls controls) throws Exception {
    Path bundleDir = Files.createDirectories(dir.resolve("bundle"));
    Files.writeString(bundleDir.resolve("manifest.json"),
        "{\"version\": \"1.0.0\", \"authored_at\": \"2026-01-01T00:00:00Z\", \"author_identity\": \"t@example.com\", \"commit_sha\": \"t\"}");
    Files.writeString(bundleDir.resolve("p.cedar"), policies, StandardCharsets.UTF_8);
    PolicyBundle bundle = PolicyBundleLoader.load(bundleDir);
    Map<String, UpstreamServer> byName = new LinkedHashMap<>();
    servers.forEach(server -> byName.put(server.name(), server));
    Map<String, CatalogTool> toolsByName = new LinkedHashMap<>();
    tools.forEach(tool -> toolsByName.put(tool.toolName(), tool));
    Map<String, CatalogPrompt> promptsByName = new LinkedHashMap<>();
    prompts.forEach(prompt -> promptsByName.put(prompt.promptName(), prompt));
    Catalog catalog = new Catalog(byName, toolsByName, AuditFixtures.CATALOG_HASH, promptsByName, owners);
    Clock clock = Clock.systemUTC();
    Optional<AuditLog> audit = mode == EnforcementMode.SILENT
        ? Optional.empty()
        : Optional.of(AuditLog.open(dir.resolve("audit"), AuditFixtures.genesis("key"), clock));
    Upstreams upstreams = new Upstreams(catalog, settings);
    upstreams.start();
    AtomicReference<ActivePolicy> active = new AtomicReference<>(new ActivePolicy(bundle, catalog, new PolicyEngine(bundle, catalog)));
    ToolCallPipeline pipeline = new ToolCallPipeline(
        active::get, mode, upstreams, audit, session -> { }, Optional::empty, clock, Optional.empty(), denyResponse, controls);
    McpEndpoint endpoint = new McpEndpoint(new JsonRpcDecoder(JSON), new SessionStore(clock, 100), pipeline, Optional.empty(), "test");
    return new GatewayUnderTest(upstreams, audit, endpoint, active, dir);
  }

  static UpstreamServer.Stdio piiServer(String name, Map<String, String> env) {
    return new UpstreamServer.Stdio(name, "node", List.of(resource("pii-server.mjs").toString()), env, null);
  }

  /** The misbehaving server of the fault and attack tests, {@code hostile-server.mjs}. */
  static UpstreamServer.Stdio hostileServer(String name) {
    return new UpstreamServer.Stdio(name, "node", List.of(resource("hostile-server.mjs").toString()), Map.of(), null);
  }

  /** The hostile server of the redaction tests, {@code leaky-server.mjs}, answering the cases of {@code leaky-answers.json}. */
  static UpstreamServer.Stdio leakyServer(String name) {
    return new UpstreamServer.Stdio(name, "node", List.of(resource("leaky-server.mjs").toString(), name), Map.of(), null);
  }

  /** A test resource of this package, as a file. */
  static Path resourceFile(String name) {
    return resource(name);
  }

  /** The server whose tools log and ask the client during a call, {@code asking-server.mjs}. */
  static UpstreamServer.Stdio askingServer(String name) {
    return new UpstreamServer.Stdio(name, "node", List.of(resource("asking-server.mjs").toString()), Map.of(), null);
  }

  /** interop/servers/list-changing-server.mjs: the official TypeScript SDK's McpServer, whose lists change when asked. */
  static UpstreamServer.Stdio listChangingServer(String name) {
    String root = System.getProperty("cmcp.repo.root");
    Path base = root != null ? Path.of(root) : Path.of("").toAbsolutePath().getParent();
    InteropPackages.require(base.resolve("interop/node_modules/@modelcontextprotocol/sdk/package.json"));
    return new UpstreamServer.Stdio(name, "node", List.of(base.resolve("interop/servers/list-changing-server.mjs").toString()),
        Map.of(), null);
  }

  static UpstreamServer.Stdio serverEverything(String name) {
    String root = System.getProperty("cmcp.repo.root");
    Path base = root != null ? Path.of(root) : Path.of("").toAbsolutePath().getParent();
    Path launcher = InteropPackages.require(base.resolve("interop/node_modules/@modelcontextprotocol/server-everything/dist/index.js"));
    return new UpstreamServer.Stdio(name, "node", List.of(launcher.toString(), "stdio"), Map.of(), null);
  }

  /** The answer to one JSON-RPC request, sent statelessly by {@code workflow}. */
  McpHttpResponse post(String workflow, String method, String paramsJson) {
    String body = "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"" + method + "\",\"params\":" + paramsJson + "}";
    return endpoint.post(new McpHttpRequest(Optional.empty(), Optional.empty(), Optional.of(workflow),
        body.getBytes(StandardCharsets.UTF_8)));
  }

  /** Opens an MCP session with {@code initialize}; returns its {@code Mcp-Session-Id}. */
  String openSession() {
    return openSession("{}");
  }

  /** Opens an MCP session for an agent declaring {@code capabilitiesJson}; returns its {@code Mcp-Session-Id}. */
  String openSession(String capabilitiesJson) {
    McpHttpResponse opened = endpoint.post(new McpHttpRequest(Optional.empty(), Optional.empty(), Optional.empty(),
        ("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\","
            + "\"capabilities\":" + capabilitiesJson + "}}").getBytes(StandardCharsets.UTF_8)));
    return Optional.ofNullable(opened.headers().get("Mcp-Session-Id"))
        .orElseThrow(() -> new AssertionError("initialize did not open a session: " + opened));
  }

  /** The answer to a raw body sent with these {@code Mcp-Session-Id} and {@code MCP-Protocol-Version} headers. */
  McpHttpResponse send(Optional<String> session, Optional<String> protocolVersion, String body) {
    return endpoint.post(new McpHttpRequest(session, protocolVersion, Optional.empty(), body.getBytes(StandardCharsets.UTF_8)));
  }

  /** The answer to a raw body sent with {@code session} as its {@code Mcp-Session-Id}, if any. */
  McpHttpResponse send(Optional<String> session, String body) {
    return endpoint.post(new McpHttpRequest(session, Optional.empty(), Optional.empty(), body.getBytes(StandardCharsets.UTF_8)));
  }

  /** A tools/call of {@code tool} with {@code argumentsJson}, in {@code session}. */
  McpHttpResponse callTool(Optional<String> session, String tool, String argumentsJson) {
    return send(session, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":"
        + quoted(tool) + ",\"arguments\":" + argumentsJson + "}}");
  }

  /** {@code text} as a JSON string, escaped. */
  static String quoted(String text) {
    return com.fasterxml.jackson.databind.node.TextNode.valueOf(text).toString();
  }

  /** The body of {@link #post}, which must be a result. */
  JsonNode result(String workflow, String method, String paramsJson) {
    McpHttpResponse response = post(workflow, method, paramsJson);
    JsonNode body = response.body().orElseThrow();
    if (!body.has("result")) {
      throw new AssertionError(method + " did not succeed: " + body);
    }
    return body.get("result");
  }

  /**
   * The tool names {@code server} (hostile-server.mjs) received so far, asked of it directly,
   * not through the gateway: so it can be asked even when the gateway refuses every call.
   */
  List<String> upstreamCalls(String server) throws Exception {
    ObjectNode answer = upstreams.connection(server).request("tools/call", parse("{\"name\":\"calls\",\"arguments\":{}}"));
    List<String> names = new java.util.ArrayList<>();
    JSON.parse(answer.at("/result/content/0/text").asText().getBytes(StandardCharsets.UTF_8)).forEach(name -> names.add(name.asText()));
    return names;
  }

  /** Closes the audit log under the gateway: every later append throws, as when the disk fails. */
  void breakAuditLog() {
    audit.orElseThrow().close();
  }

  Path auditFile() {
    return audit.orElseThrow().file();
  }

  /** Every entry of the audit log so far. */
  List<JsonNode> auditEntries() throws Exception {
    return AuditFixtures.entries(audit.orElseThrow().file());
  }

  static ObjectNode parse(String json) throws Exception {
    return (ObjectNode) JSON.parse(json);
  }

  private static Path resource(String name) {
    try {
      return Path.of(GatewayUnderTest.class.getResource(name).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    upstreams.close();
    audit.ifPresent(AuditLog::close);
  }
}
