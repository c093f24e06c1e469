package dev.cmcp.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway as an MCP authorization resource server against a real authorization server: the
 * certified npm package oidc-provider, started on loopback, issuing JWT access tokens by the client
 * credentials grant, with each client's groups and tenant as claims. The official TypeScript MCP
 * SDK client, given only the gateway's URL and its client credentials, runs the whole flow by
 * itself (401, protected resource metadata, authorization server metadata, token, calls), and
 * Cedar decides on the token's groups and tenant.
 */
class OAuthInteropTest {

  private static final String SCOPE = "mcp:call";
  private static final String POLICIES = """
      @id("sales-crm-contacts")
      permit (principal, action == Action::"call_tool", resource == Tool::"crm.contacts")
      when { principal has groups && principal.groups.contains("sales") };
      @id("globex-notes")
      permit (principal, action == Action::"call_tool", resource == Tool::"crm.notes")
      when { principal has tenant && principal.tenant == "globex" };
      """;

  @TempDir static Path dir;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static Path repo;
  private static Process authorizationServer;
  private static String issuer;
  private static Gateway gateway;
  private static String mcpUrl;

  @BeforeAll
  static void start() throws Exception {
    repo = Path.of(System.getProperty("cmcp.repo.root", "..")).toAbsolutePath().normalize();
    InteropPackages.require(repo.resolve("interop/node_modules/oidc-provider/package.json"));
    InteropPackages.require(repo.resolve("interop/node_modules/@modelcontextprotocol/sdk/package.json"));
    int port;
    // The resource URL names the gateway's port, which tokens are issued for: take a free one first.
    try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = free.getLocalPort();
    }
    mcpUrl = "http://127.0.0.1:" + port + "/mcp";
    String asConfig = JSON.writeValueAsString(Map.of("resource", mcpUrl, "scope", SCOPE, "clients", List.of(
        Map.of("id", "sales-agent", "secret", "sales-secret-0123456789", "groups", List.of("sales"), "tenant", "acme"),
        Map.of("id", "support-agent", "secret", "support-secret-0123456789", "groups", List.of("support"), "tenant", "globex"))));
    authorizationServer = new ProcessBuilder("node", repo.resolve("interop/clients/oauth-as.mjs").toString(), asConfig)
        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
    BufferedReader out = new BufferedReader(new InputStreamReader(authorizationServer.getInputStream(), StandardCharsets.UTF_8));
    issuer = JSON.readTree(out.readLine()).path("issuer").asText();

    Path policies = Files.createDirectories(dir.resolve("policies"));
    Files.writeString(policies.resolve("manifest.json"),
        "{\"version\": \"1.0.0\", \"authored_at\": \"2026-01-01T00:00:00Z\", \"author_identity\": \"t@example.com\", \"commit_sha\": \"t\"}");
    Files.writeString(policies.resolve("oauth.cedar"), POLICIES);
    // The shipped schema declares principal.groups and principal.tenant: the policies are validated against it.
    Files.copy(repo.resolve("examples/schema/cmcp.cedarschema"), policies.resolve("schema.cedarschema"));
    Path server = Path.of(OAuthInteropTest.class.getResource("/dev/cmcp/gateway/mcp/pii-server.mjs").toURI());
    Files.writeString(dir.resolve("catalog.json"), "{\"servers\": {\"crm\": {\"transport\": \"stdio\", \"command\": \"node\", \"args\": ["
        + JSON.writeValueAsString(server.toString()) + "]}}, \"tools\": ["
        + "{\"tool_name\": \"crm.contacts\", \"server\": \"crm\", \"upstream_name\": \"contacts\"},"
        + "{\"tool_name\": \"crm.notes\", \"server\": \"crm\", \"upstream_name\": \"notes\"}]}");
    Path config = Files.writeString(dir.resolve("cmcp-config.yaml"), """
        attestation:
          provider: software-only
        enforcement_mode: enforcing
        listen_addr: 127.0.0.1:%d
        audit_dir: ./audit/
        auth:
          oauth:
            issuer: %s
            audience: %s
            principal_claim: client_id
            required_scopes: [%s]
            attributes: [groups, tenant]
        """.formatted(port, issuer, mcpUrl, SCOPE));
    gateway = Gateway.start(config, Map.of("CMCP_DEV_MODE", "1"), new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
  }

  @AfterAll
  static void stop() throws Exception {
    if (gateway != null) {
      gateway.close();
    }
    if (authorizationServer != null) {
      authorizationServer.getOutputStream().close();
      if (!authorizationServer.waitFor(5, TimeUnit.SECONDS)) {
        authorizationServer.destroyForcibly();
      }
    }
  }

  @Test
  void anMcpClientWithOnlyTheGatewaysUrlCompletesTheAuthorizationFlow() throws Exception {
    JsonNode run = sdkClient("sales-agent", "sales-secret-0123456789", "[{\"do\":\"listTools\"},"
        + "{\"do\":\"callTool\",\"name\":\"crm.contacts\",\"arguments\":{\"query\":\"Acme Corp\"}},"
        + "{\"do\":\"callTool\",\"name\":\"crm.notes\",\"arguments\":{\"query\":\"Acme Corp\"}}]");

    assertThat(run.path("connectError").isMissingNode()).as("connected: %s", run).isTrue();
    List<String> fetched = new ArrayList<>();
    run.path("fetched").forEach(f -> fetched.add(f.path("method").asText() + " " + f.path("url").asText() + " " + f.path("status").asInt()));
    assertThat(fetched.get(0)).isEqualTo("POST " + mcpUrl + " 401");
    assertThat(fetched).contains("GET " + mcpUrl.replace("/mcp", "/.well-known/oauth-protected-resource/mcp") + " 200");
    assertThat(fetched).anySatisfy(f -> assertThat(f).startsWith("GET " + issuer + "/.well-known/").endsWith(" 200"));
    assertThat(fetched).anySatisfy(f -> assertThat(f).startsWith("POST " + issuer).endsWith(" 200"));
    // Cedar on the token's groups: the sales group gets crm.contacts, and only that is listed and allowed.
    JsonNode steps = run.path("steps");
    assertThat(steps.path(0).path("result").path("tools").findValuesAsText("name")).containsExactly("crm.contacts");
    assertThat(steps.path(1).path("result").path("content").path(0).path("text").asText()).contains("Acme Corp");
    assertThat(steps.path(2).path("error").path("message").asText()).contains("denied");
  }

  @Test
  void tokensOfTheRealServerCarryTheirClaimsIntoCedar() throws Exception {
    String support = token("support-agent", "support-secret-0123456789");

    HttpResponse<String> notes = call(support, "crm.notes");
    HttpResponse<String> contacts = call(support, "crm.contacts");

    assertThat(notes.statusCode()).as(notes.body()).isEqualTo(200);
    assertThat(contacts.statusCode()).isEqualTo(403);
    JsonNode decision = lastDecision();
    assertThat(decision.path("principal").asText()).isEqualTo("support-agent");
    assertThat(decision.path("auth").path("method").asText()).isEqualTo("oauth");
    assertThat(decision.path("auth").path("issuer").asText()).isEqualTo(issuer);
    assertThat(decision.path("auth").path("jti_sha256").asText()).hasSize(64);
    assertThat(Files.readString(auditFile())).doesNotContain(support);
  }

  @Test
  void withoutAValidTokenTheGatewaySaysWhereToGetOne() throws Exception {
    HttpResponse<String> none = post(null, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":{}}");
    String metadataUrl = mcpUrl.replace("/mcp", "/.well-known/oauth-protected-resource/mcp");
    assertThat(none.statusCode()).isEqualTo(401);
    assertThat(none.headers().firstValue("WWW-Authenticate")).contains("Bearer resource_metadata=\"" + metadataUrl + "\"");

    JsonNode metadata = JSON.readTree(CLIENT.send(HttpRequest.newBuilder(URI.create(metadataUrl)).GET().build(),
        HttpResponse.BodyHandlers.ofString()).body());
    assertThat(metadata.path("resource").asText()).isEqualTo(mcpUrl);
    assertThat(metadata.path("authorization_servers").path(0).asText()).isEqualTo(issuer);

    String token = token("sales-agent", "sales-secret-0123456789");
    String[] parts = token.split("\\.", -1);
    byte[] signature = Base64.getUrlDecoder().decode(parts[2]);
    signature[0] ^= 1;
    String tampered = parts[0] + "." + parts[1] + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(signature);
    HttpResponse<String> refused = call(tampered, "crm.contacts");
    assertThat(refused.statusCode()).isEqualTo(401);
    assertThat(refused.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).contains("error=\"invalid_token\""));
    assertThat(JSON.readTree(refused.body()).path("error").path("data").path("error").asText()).isEqualTo("bad_signature");
  }

  private static JsonNode sdkClient(String clientId, String secret, String steps) throws IOException, InterruptedException {
    Process client = new ProcessBuilder("node", repo.resolve("interop/clients/sdk-oauth-client.mjs").toString(), mcpUrl, clientId, secret,
        SCOPE, steps).directory(repo.resolve("interop").toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    client.getOutputStream().close();
    String out = new String(client.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(client.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return JSON.readTree(out);
  }

  /** An access token by the client credentials grant, for the gateway's resource. */
  private static String token(String clientId, String secret) throws Exception {
    String basic = Base64.getEncoder().encodeToString((clientId + ":" + secret).getBytes(StandardCharsets.UTF_8));
    String form = "grant_type=client_credentials&scope=" + SCOPE.replace(":", "%3A") + "&resource="
        + java.net.URLEncoder.encode(mcpUrl, StandardCharsets.UTF_8);
    HttpResponse<String> answer = CLIENT.send(HttpRequest.newBuilder(URI.create(issuer + "/token"))
        .header("Authorization", "Basic " + basic).header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
    return JSON.readTree(answer.body()).path("access_token").asText();
  }

  private static HttpResponse<String> call(String token, String tool) throws Exception {
    return post(token, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":\"" + tool
        + "\",\"arguments\":{\"query\":\"Acme Corp\"}}}");
  }

  private static HttpResponse<String> post(String token, String body) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(mcpUrl))
        .header("Content-Type", "application/json").header("Accept", "application/json, text/event-stream")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static Path auditFile() throws IOException {
    try (var files = Files.list(dir.resolve("audit"))) {
      return files.filter(f -> f.getFileName().toString().endsWith(".jsonl")).findFirst().orElseThrow();
    }
  }

  private static JsonNode lastDecision() throws IOException {
    JsonNode last = null;
    for (String line : Files.readAllLines(auditFile())) {
      JsonNode entry = JSON.readTree(line);
      if (entry.path("type").asText().equals("decision")) {
        last = entry;
      }
    }
    return last;
  }
}
