package dev.cmcp.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cmcp.verify.audit.AuditLogReplay;
import dev.cmcp.verify.base.Digests;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The audit log's disk fills up under a running gateway: calls are refused with 503 from then on
 * (for every session: no call may go unrecorded), every call an agent was answered for is on
 * disk, and after a restart with room again the log replays intact and calls are served.
 *
 * <p>The full disk is a file size limit set on the running gateway ({@code prlimit --fsize}): the
 * kernel fails any write past it with EFBIG, as it fails one on a full file system with ENOSPC,
 * and it needs no root or mount.
 */
class AuditDiskFullTest {

  /** Room for a few calls' entries (about 1.2 KB a call) past what the log holds at start. */
  private static final int ROOM_BYTES = 4096;

  @TempDir Path tmp;

  @Test
  void fullDiskRefusesEveryCallLosesNothingAcknowledgedAndTheLogReplays() throws Exception {
    Path config = Deployments.everything(tmp, Map.of());
    List<String> answeredSessions = new ArrayList<>();
    McpClient.Answer refused = null;
    try (GatewayProcess gateway = GatewayProcess.start(config, Map.of("CMCP_DEV_MODE", "1"))) {
      gateway.limitFileSize(Files.size(onlyAuditFile()) + ROOM_BYTES);
      McpClient client = new McpClient(gateway.baseUrl());
      for (int i = 0; i < 100 && refused == null; i++) {
        McpClient.Answer answer = client.post(McpClient.toolCall(i, "everything.echo", "{\"message\":\"m" + i + "\"}", "s" + i, "w"));
        if (answer.status() == 200) {
          assertThat(answer.body().path("result").path("content").get(0).path("text").asText()).isEqualTo("Echo: m" + i);
          answeredSessions.add("s" + i);
        } else {
          refused = answer;
        }
      }

      assertThat(answeredSessions).as("some calls fit before the disk is full").isNotEmpty();
      assertThat(refused).as("a call was refused once the disk was full").isNotNull();
      assertThat(refused.status()).isEqualTo(503);
      assertThat(refused.body().path("error").path("data").path("error").asText()).isEqualTo("audit_unavailable");
      // Fail closed for everyone: another session, another tool, still refused.
      McpClient.Answer other = client.post(McpClient.toolCall(900, "everything.get-sum", "{\"a\":1,\"b\":2}", "other", "w"));
      assertThat(other.status()).isEqualTo(503);
      assertThat(gateway.output()).contains("audit log cannot record").contains("File too large");
    }

    Path firstEpoch = onlyAuditFile();
    List<JsonNode> entries = entriesOf(firstEpoch);
    for (String session : answeredSessions) {
      assertThat(entries).as("decision and outcome of answered call in %s", session)
          .filteredOn(entry -> entry.path("session_id").asText().equals(session))
          .extracting(entry -> entry.path("type").asText())
          .containsExactly("decision", "outcome");
    }
    assertThat(entries).noneMatch(entry -> entry.path("session_id").asText().equals("other"));

    try (GatewayProcess restarted = GatewayProcess.start(config, Map.of("CMCP_DEV_MODE", "1"))) {
      McpClient.Answer after = new McpClient(restarted.baseUrl())
          .post(McpClient.toolCall(1, "everything.echo", "{\"message\":\"room again\"}", "after", "w"));
      assertThat(after.status()).isEqualTo(200);
    }
    // The restart cut off any half-written last line and linked the new epoch to the last whole one.
    assertThat(Files.readString(firstEpoch)).endsWith("\n");
    assertThat(entriesOf(firstEpoch)).hasSize(entries.size());
    assertThat(AuditLogReplay.replay(firstEpoch)).isInstanceOf(AuditLogReplay.Intact.class);
    try (Stream<Path> files = Files.list(tmp.resolve("audit"))) {
      Path secondEpoch = files.filter(file -> file.getFileName().toString().endsWith(".jsonl") && !file.equals(firstEpoch))
          .findFirst().orElseThrow();
      assertThat(AuditLogReplay.replay(secondEpoch)).isInstanceOf(AuditLogReplay.Intact.class);
      JsonNode genesis = entriesOf(secondEpoch).get(0);
      assertThat(genesis.path("previous_epoch").path("length").asLong()).isEqualTo(entries.size());
      assertThat(genesis.path("previous_epoch").path("tip").asText())
          .isEqualTo(Digests.sha256Hex(Files.readString(firstEpoch).lines().toList().getLast()
              .getBytes(StandardCharsets.UTF_8)));
    }
  }

  private Path onlyAuditFile() throws Exception {
    // The folder also holds the `current` link to the running epoch; the epochs are the .jsonl files.
    try (Stream<Path> files = Files.list(tmp.resolve("audit"))) {
      List<Path> all = files.filter(p -> p.getFileName().toString().endsWith(".jsonl")).toList();
      assertThat(all).hasSize(1);
      return all.get(0);
    }
  }

  /** The whole lines of an audit file; a last line cut off by the full disk is not an entry. */
  private static List<JsonNode> entriesOf(Path file) throws Exception {
    List<JsonNode> entries = new ArrayList<>();
    String text = Files.readString(file);
    String whole = text.substring(0, text.lastIndexOf('\n') + 1);
    for (String line : whole.lines().toList()) {
      entries.add(McpClient.JSON.readTree(line));
    }
    return entries;
  }
}
