package dev.cmcp.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cmcp.verify.audit.AuditLogReplay;
import dev.cmcp.verify.base.CheckStatus;
import dev.cmcp.verify.claim.ClaimVerifier;
import dev.cmcp.verify.claim.EvidencePolicy;
import dev.cmcp.verify.claim.VerificationOptions;
import dev.cmcp.verify.claim.VerificationReport;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two gateway processes behind Debian's HAProxy, sessions kept on their replica by a stick table
 * learned from the {@code Mcp-Session-Id} of each {@code initialize} answer (deploy/haproxy/):
 * every call of a session reaches one replica, stateless calls (MCP 2026-07-28, no session) are
 * spread over both, a replica killed mid-run fails only its own sessions (cleanly: 404, so the
 * client opens a new session), and every claim and both replicas' logs verify.
 */
class ReplicasTest {

  private static final Path HAPROXY = Path.of("/usr/sbin/haproxy");
  private static final int SESSIONS = 20;
  private static final int STATELESS_CALLS = 20;
  /** How the gateway names, in its audit log, the one-call session of a call that names none. */
  private static final String ONE_OFF_SESSION = "stateless-";

  @TempDir Path tmp;

  @Test
  void sessionsStickToTheirReplicaAndOutliveTheOtherOne() throws Exception {
    assumeTrue(Files.isExecutable(HAPROXY), "Debian's haproxy is not installed (.ci/run installs it)");
    Path dirA = Files.createDirectories(tmp.resolve("a"));
    Path dirB = Files.createDirectories(tmp.resolve("b"));
    try (GatewayProcess a = GatewayProcess.start(Deployments.quickstart(dirA, "enforcing", dirA.resolve("calls.log")),
            Map.of("CMCP_DEV_MODE", "1"));
        GatewayProcess b = GatewayProcess.start(Deployments.quickstart(dirB, "enforcing", dirB.resolve("calls.log")),
            Map.of("CMCP_DEV_MODE", "1"))) {
      int port = freePort();
      String config = Files.readString(Repo.root().resolve("deploy/haproxy/haproxy.cfg"), StandardCharsets.UTF_8)
          .replace("0.0.0.0:8443", "127.0.0.1:" + port)
          .replace("gateway-1:8443", "127.0.0.1:" + a.port())
          .replace("gateway-2:8443", "127.0.0.1:" + b.port())
          // No health checks here: a first check that is slow on a busy machine would mark a replica
          // down and send every session to the other. A refused connection is redispatched all the same.
          .replace(" check inter 2s", "");
      Path cfg = Files.writeString(tmp.resolve("haproxy.cfg"), config);
      Process haproxy = new ProcessBuilder(HAPROXY.toString(), "-db", "-f", cfg.toString()).redirectErrorStream(true)
          .redirectOutput(Files.createDirectories(Path.of("target")).resolve("replicas-haproxy.log").toFile()).start();
      try {
        awaitListening(port, haproxy);
        McpClient client = new McpClient("http://127.0.0.1:" + port);
        List<String> sessions = new ArrayList<>();
        for (int i = 0; i < SESSIONS; i++) {
          McpClient.Answer init = client.post("""
              {"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},
               "clientInfo":{"name":"e2e","version":"1"}}}""", Map.of("X-MCP-Workflow-ID", "demo-agent"));
          assertThat(init.status()).as(init.raw().body()).isEqualTo(200);
          sessions.add(init.header("Mcp-Session-Id"));
        }
        for (String session : sessions) {
          assertThat(call(client, session, 2).status()).isEqualTo(200);
          assertThat(call(client, session, 3).status()).isEqualTo(200);
        }
        Set<String> onA = sessionsIn(dirA.resolve("audit"));
        Set<String> onB = sessionsIn(dirB.resolve("audit"));
        // Each session's calls all reached one replica, and round robin gave both some.
        assertThat(onA).doesNotContainAnyElementsOf(onB);
        assertThat(union(onA, onB)).containsExactlyInAnyOrderElementsOf(sessions);
        assertThat(onA).isNotEmpty();
        assertThat(onB).isNotEmpty();

        // Stateless calls carry no Mcp-Session-Id, so the stick table has nothing to match: round robin spreads them.
        for (int i = 0; i < STATELESS_CALLS; i++) {
          McpClient.Answer answer = statelessCall(client, 100 + i);
          assertThat(answer.status()).as(answer.raw().body()).isEqualTo(200);
          assertThat(answer.body().path("result").path("resultType").asText()).as(answer.raw().body()).isEqualTo("complete");
          assertThat(answer.body().path("result").path("isError").asBoolean()).as(answer.raw().body()).isFalse();
          assertThat(answer.header("Mcp-Session-Id")).as("nothing for the stick table to learn").isNull();
        }
        long statelessOnA = statelessDecisionsIn(dirA.resolve("audit"));
        long statelessOnB = statelessDecisionsIn(dirB.resolve("audit"));
        assertThat(statelessOnA + statelessOnB).isEqualTo(STATELESS_CALLS);
        assertThat(statelessOnA).as("stateless calls decided by A").isPositive();
        assertThat(statelessOnB).as("stateless calls decided by B").isPositive();

        // One session of B ends before B goes: its claim is B's, written beside B's log.
        String endedOnB = onB.iterator().next();
        assertThat(client.delete(endedOnB).status()).isEqualTo(204);
        b.kill();

        for (String session : sessions) {
          McpClient.Answer after = call(client, session, 4);
          if (onA.contains(session)) {
            assertThat(after.status()).as("a session of the live replica").isEqualTo(200);
          } else {
            // HAProxy sends it on to the live replica, which does not know it: 404, and the client starts anew.
            assertThat(after.status()).as("a session of the killed replica").isIn(404, 502, 503);
          }
        }
        for (String session : onA) {
          assertThat(client.delete(session).status()).isEqualTo(204);
        }
      } finally {
        haproxy.destroy();
        haproxy.waitFor(10, TimeUnit.SECONDS);
      }
    }
    // The claims of both replicas, verified together, each against its own replica's log.
    CliTest.Run together = CliTest.cmcp("verify", "--claims", tmp.toString(), "--allow-software", "--accept-any-bundle",
        "--accept-any-measurement");
    assertThat(together.exit()).as(together.output()).isEqualTo(3);
    // A wrote a claim at its stop for every session it still held, the one-call sessions of its stateless calls too.
    Set<String> claimedOnA = new HashSet<>(decidedSessions(dirA.resolve("audit")));
    assertThat(together.output()).contains("== " + (claimedOnA.size() + 1) + " claims")
        .contains("partially_verified " + dirB.resolve("audit").resolve("claims")).doesNotContain("unverified");
    // One claim per session of the live replica, stateless ones included, each verifying against that replica's own log.
    Path claims = dirA.resolve("audit").resolve("claims");
    List<Path> files = new ArrayList<>();
    try (DirectoryStream<Path> listing = Files.newDirectoryStream(claims, "*.json")) {
      listing.forEach(files::add);
    }
    assertThat(files).hasSize(claimedOnA.size());
    assertThat(files).filteredOn(file -> file.getFileName().toString().contains("-" + ONE_OFF_SESSION))
        .hasSize((int) statelessDecisionsIn(dirA.resolve("audit")));
    // Each replica's whole chain replays, its stateless calls' decisions included (B, killed, wrote no claim for those).
    for (Path audit : List.of(dirA.resolve("audit"), dirB.resolve("audit"))) {
      assertThat(AuditLogReplay.replay(onlyLog(audit))).as(audit.toString()).isInstanceOf(AuditLogReplay.Intact.class);
      assertThat(statelessDecisionsIn(audit)).as(audit.toString()).isPositive();
    }
    Path log = onlyLog(dirA.resolve("audit"));
    for (Path claim : files) {
      VerificationReport report = ClaimVerifier.verify(Files.readAllBytes(claim),
          VerificationOptions.of(EvidencePolicy.ALLOW_SOFTWARE, Instant.now()).withAuditLog(log));
      assertThat(report.checks()).as(claim.toString()).noneMatch(check -> check.status() == CheckStatus.FAIL);
    }
  }

  private static McpClient.Answer call(McpClient client, String session, int id) throws IOException, InterruptedException {
    return client.post("{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"tools/call\",\"params\":{\"name\":\"salesforce.contacts\","
        + "\"arguments\":{\"query\":\"acme\"}}}",
        Map.of("Mcp-Session-Id", session, "MCP-Protocol-Version", "2025-11-25", "X-MCP-Workflow-ID", "demo-agent"));
  }

  /** A tools/call of MCP 2026-07-28: no initialize, no session, the revision's headers and {@code _meta}. */
  private static McpClient.Answer statelessCall(McpClient client, int id) throws IOException, InterruptedException {
    return client.post("{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"tools/call\",\"params\":{\"name\":\"salesforce.contacts\","
        + "\"arguments\":{\"query\":\"acme\"},\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\","
        + "\"io.modelcontextprotocol/clientInfo\":{\"name\":\"e2e\",\"version\":\"1\"},"
        + "\"io.modelcontextprotocol/clientCapabilities\":{}}}}",
        Map.of("MCP-Protocol-Version", "2026-07-28", "Mcp-Method", "tools/call", "Mcp-Name", "salesforce.contacts",
            "X-MCP-Workflow-ID", "demo-agent"));
  }

  private static Set<String> union(Set<String> a, Set<String> b) {
    Set<String> all = new HashSet<>(a);
    all.addAll(b);
    return all;
  }

  /** The MCP sessions (opened with initialize) whose decisions a replica's audit log holds. */
  private static Set<String> sessionsIn(Path audit) throws IOException {
    Set<String> sessions = new HashSet<>();
    for (String session : decidedSessions(audit)) {
      if (!session.startsWith(ONE_OFF_SESSION)) {
        sessions.add(session);
      }
    }
    return sessions;
  }

  /** How many calls without a session a replica decided: each is its own one-call session in the log. */
  private static long statelessDecisionsIn(Path audit) throws IOException {
    return decidedSessions(audit).stream().filter(session -> session.startsWith(ONE_OFF_SESSION)).count();
  }

  /** The session of every decision in a replica's audit log, one element per decision. */
  private static List<String> decidedSessions(Path audit) throws IOException {
    List<String> sessions = new ArrayList<>();
    for (String line : Files.readAllLines(onlyLog(audit), StandardCharsets.UTF_8)) {
      JsonNode entry = McpClient.JSON.readTree(line);
      if (entry.path("type").asText().equals("decision")) {
        sessions.add(entry.path("session_id").asText());
      }
    }
    return sessions;
  }

  private static Path onlyLog(Path audit) throws IOException {
    try (DirectoryStream<Path> logs = Files.newDirectoryStream(audit, "audit-*.jsonl")) {
      List<Path> all = new ArrayList<>();
      logs.forEach(all::add);
      assertThat(all).hasSize(1);
      return all.getFirst();
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  private static void awaitListening(int port, Process haproxy) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (System.nanoTime() < deadline) {
      assertThat(haproxy.isAlive()).as("haproxy exited").isTrue();
      try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
        return;
      } catch (IOException notYet) {
        Thread.onSpinWait();
      }
    }
    throw new AssertionError("haproxy did not listen on " + port);
  }
}
