package dev.cmcp.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cmcp.verify.base.CanonicalJson;
import dev.cmcp.verify.base.Digests;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No acknowledged call is ever missing from the log: concurrent calls, SIGKILL mid-load, a
 * restart, and then every call a client saw answered is in the repaired log, and both epochs
 * verify.
 */
class CrashSafetyTest {

  @TempDir Path tmp;

  @Test
  void everyAnsweredCallSurvivesASigkillAndBothEpochsVerify() throws Exception {
    Path config = Deployments.quickstart(tmp, "enforcing", tmp.resolve("calls.log"), Map.of("claim_granularity", "call"));
    Path audit = tmp.resolve("audit");
    ConcurrentLinkedQueue<String> answered = new ConcurrentLinkedQueue<>();

    GatewayProcess first = GatewayProcess.start(config, Map.of("CMCP_DEV_MODE", "1"));
    AtomicBoolean running = new AtomicBoolean(true);
    List<Thread> clients = new ArrayList<>();
    for (int t = 0; t < 6; t++) {
      int client = t;
      clients.add(Thread.ofVirtual().start(() -> {
        McpClient mcp = new McpClient(first.baseUrl());
        for (int n = 0; running.get(); n++) {
          String arguments = "{\"query\":\"crash-" + client + "-" + n + "\"}";
          try {
            McpClient.Answer answer = mcp.post(McpClient.toolCall(n, "salesforce.contacts", arguments, "load-" + client, "demo-agent"));
            if (answer.status() == 200 && answer.body().has("result")) {
              answered.add(arguments);
            }
          } catch (Exception e) {
            return; // the gateway died under us: this call was never acknowledged
          }
        }
      }));
    }
    while (answered.size() < 60) {
      Thread.sleep(20);
    }
    first.kill();
    running.set(false);
    for (Thread client : clients) {
      client.join();
    }

    Path firstLog = onlyLog(audit);
    try (GatewayProcess second = GatewayProcess.start(config, Map.of("CMCP_DEV_MODE", "1"))) {
      McpClient mcp = new McpClient(second.baseUrl());
      assertThat(mcp.post(McpClient.toolCall(1, "salesforce.contacts", "{\"query\":\"after\"}", "after-crash", "demo-agent"))
          .status()).isEqualTo(200);
      Path claim = tmp.resolve("after.json");
      assertThat(CliTest.cmcp("claim", "--gateway", second.baseUrl(), "--session", "after-crash", "--out", claim.toString()).exit()).isZero();
      Path secondLog = logs(audit).stream().filter(p -> !p.equals(firstLog)).findFirst().orElseThrow();
      CliTest.Run run = ClaimTest.verify(claim, "--audit-log", secondLog.toString(), "--allow-software");
      // Software evidence is at best partially_verified (exit 3); no check may fail.
      assertThat(run.exit()).as(run.output()).isEqualTo(3);
      assertThat(run.output()).doesNotContain("FAIL");

      JsonNode genesis = McpClient.JSON.readTree(Files.readAllLines(secondLog).get(0));
      assertThat(genesis.path("previous_epoch").path("file").asText()).isEqualTo(firstLog.getFileName().toString());
    }

    // Every acknowledged call has its decision and its outcome in the repaired first epoch.
    List<JsonNode> entries = new ArrayList<>();
    for (String line : Files.readAllLines(firstLog, StandardCharsets.UTF_8)) {
      entries.add(McpClient.JSON.readTree(line));
    }
    Set<String> decided = new HashSet<>();
    Set<Long> finished = new HashSet<>();
    Map<Long, String> argumentsOf = new java.util.HashMap<>();
    for (JsonNode entry : entries) {
      if (entry.path("type").asText().equals("decision")) {
        decided.add(entry.path("arguments_sha256").asText());
        argumentsOf.put(entry.path("index").asLong(), entry.path("arguments_sha256").asText());
      } else if (entry.path("type").asText().equals("outcome")) {
        finished.add(entry.path("decision_index").asLong());
      }
    }
    Set<String> withOutcome = new HashSet<>();
    finished.forEach(index -> withOutcome.add(argumentsOf.get(index)));
    for (String arguments : answered) {
      String digest = Digests.sha256Hex(CanonicalJson.bytes(McpClient.JSON.readTree(arguments)));
      assertThat(decided).as("decision of acknowledged call %s", arguments).contains(digest);
      assertThat(withOutcome).as("outcome of acknowledged call %s", arguments).contains(digest);
    }

    // The first epoch, repaired, still verifies against the last claim it issued.
    Path lastFirstEpochClaim = ClaimTest.claimFiles(audit).stream()
        .filter(p -> p.getFileName().toString().startsWith(epochOf(firstLog))).reduce((a, b) -> b).orElseThrow();
    CliTest.Run run = ClaimTest.verify(lastFirstEpochClaim, "--audit-log", firstLog.toString(), "--allow-software");
    assertThat(run.exit()).as(run.output()).isEqualTo(3);
    assertThat(run.output()).doesNotContain("FAIL");
  }

  private static String epochOf(Path log) {
    String name = log.getFileName().toString();
    return name.substring("audit-".length(), name.length() - ".jsonl".length());
  }

  private static Path onlyLog(Path audit) throws Exception {
    List<Path> logs = logs(audit);
    assertThat(logs).hasSize(1);
    return logs.get(0);
  }

  private static List<Path> logs(Path audit) throws Exception {
    try (Stream<Path> files = Files.list(audit)) {
      return files.filter(p -> p.toString().endsWith(".jsonl")).sorted().toList();
    }
  }
}
