package dev.cmcp.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cmcp.gateway.audit.CurrentLink;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Start and stop as an operator sees them: what is checked first, what is named, what a stop leaves behind. */
class GatewayLifecycleTest {

  private static final Map<String, String> DEV_MODE = Map.of("CMCP_DEV_MODE", "1");
  private static final String CALL = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"nothing.here\","
      + "\"arguments\":{},\"_cmcp\":{\"session_id\":\"s1\",\"workflow_id\":\"w\"}}}";

  @TempDir Path dir;
  private final List<String> reported = new CopyOnWriteArrayList<>();

  @BeforeEach
  void layOutBundleAndCatalog() throws Exception {
    Path policies = Files.createDirectory(dir.resolve("policies"));
    Files.writeString(policies.resolve("manifest.json"),
        "{\"version\":\"1.0.0\",\"authored_at\":\"2026-01-01T00:00:00Z\",\"author_identity\":\"t@example.com\",\"commit_sha\":\"t\"}");
    Files.writeString(policies.resolve("all.cedar"), "permit (principal, action, resource);\n");
    Files.writeString(dir.resolve("catalog.json"), "{\"servers\": {}, \"tools\": []}");
  }

  private Path config(String listen) throws Exception {
    return Files.writeString(dir.resolve("cmcp-config.yaml"), "listen_addr: \"" + listen + "\"\naudit_dir: audit\n");
  }

  @Test
  void aBusyPortIsRefusedBeforeAnyEvidenceAuditFileOrUpstreamIsMade() throws Exception {
    try (ServerSocket held = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Path config = config("127.0.0.1:" + held.getLocalPort());

      assertThatThrownBy(() -> Gateway.start(config, DEV_MODE, reported::add))
          .isInstanceOf(Gateway.StartupException.class)
          .hasMessageContaining("port " + held.getLocalPort() + " is already in use");
    }
    assertThat(dir.resolve("audit")).doesNotExist();
    assertThat(reported).isEmpty();
  }

  @Test
  void aStopClaimsEachSessionNotYetClaimedAndSaysWhatItDid() throws Exception {
    Path audit = dir.resolve("audit");
    Gateway gateway = Gateway.start(config("127.0.0.1:0"), DEV_MODE, reported::add);
    Path log;
    try (HttpClient http = HttpClient.newHttpClient()) {
      post(http, gateway, CALL);
      post(http, gateway, CALL.replace("\"s1\"", "\"s2\""));
      // s2's claim is fetched, so the stop has nothing to add for it.
      HttpResponse<String> claim = http.send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + gateway.port() + "/v1/sessions/s2/claim")).GET().build(), HttpResponse.BodyHandlers.ofString());
      assertThat(claim.statusCode()).isEqualTo(200);
    } finally {
      Gateway.Stopped stopped = gateway.stop();
      try (Stream<Path> files = Files.list(audit)) {
        log = files.filter(p -> p.getFileName().toString().endsWith(".jsonl")).findFirst().orElseThrow();
      }
      assertThat(stopped.lines()).containsExactly(
          "stopped: 0 open MCP sessions ended",
          "1 claim written to " + audit.resolve("claims") + " (sessions whose calls were not all in a claim yet)",
          "audit log closed: " + log + ", " + stopped.chain().orElseThrow().length() + " entries, root " + stopped.chain().orElseThrow().root());
    }
    try (Stream<Path> claims = Files.list(audit.resolve("claims"))) {
      assertThat(claims.map(p -> p.getFileName().toString()).sorted().toList())
          .hasSize(2).anyMatch(name -> name.endsWith("-s1.json")).anyMatch(name -> name.endsWith("-s2.json"));
    }
    assertThat(Files.readSymbolicLink(audit.resolve(CurrentLink.NAME))).isEqualTo(log.getFileName());
    assertThat(reported).anyMatch(line -> line.startsWith("audit log: " + log));
  }

  private static void post(HttpClient http, Gateway gateway, String body) throws Exception {
    HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + "/mcp"))
        .header("Content-Type", "application/json").header("Accept", "application/json, text/event-stream")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(answer.body()).contains("not in the catalog");
  }
}
