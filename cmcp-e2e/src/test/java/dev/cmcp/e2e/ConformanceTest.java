package dev.cmcp.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The official MCP conformance suite's server scenarios, run against the gateway fronting
 * server-everything. Scenarios that fail are listed, with the reason, in
 * interop/conformance-expected-failures.yml and docs/testing/conformance.md; any other failure,
 * and any listed scenario that now passes, fails this test.
 */
class ConformanceTest {

  private static final Path BASELINE = Repo.root().resolve("interop/conformance-expected-failures.yml");
  /** Each scenario's results land in server-<scenario>-<ISO time>/checks.json. */
  private static final Pattern RESULT_FOLDER = Pattern.compile("server-(.+)-\\d{4}-\\d{2}-\\d{2}T[\\d-]+Z");

  @TempDir Path tmp;

  @Test
  void everyServerScenarioPassesOrIsAnExplainedFailure() throws Exception {
    Path results = tmp.resolve("results");
    try (GatewayProcess gateway = GatewayProcess.start(Deployments.permitAll(tmp, catalog().json()), Map.of("CMCP_DEV_MODE", "1"))) {
      NodeServer.Finished run = NodeServer.run(List.of("node",
          Repo.interop("@modelcontextprotocol/conformance/dist/index.js").toString(), "server",
          "--url", gateway.baseUrl() + "/mcp", "--output-dir", results.toString(),
          "--expected-failures", BASELINE.toString()), 120);

      Map<String, Boolean> passed = scenarioOutcomes(results);
      System.out.println("MCP conformance, server scenarios (scenario: passed):");
      passed.forEach((scenario, ok) -> System.out.println("  " + scenario + ": " + ok));
      Set<String> failed = new TreeSet<>(passed.keySet());
      failed.removeIf(passed::get);

      // The active suite of the pinned version has 30 scenarios; fewer means the suite did not run.
      assertThat(passed).as(run.output()).hasSizeGreaterThanOrEqualTo(30);
      assertThat(failed).as("failing scenarios, against the baseline\n" + run.output()).isEqualTo(expectedFailures());
      assertThat(run.exitCode()).as(run.output()).isZero();
      assertThat(passed).containsEntry("server-initialize", true).containsEntry("tools-call-image", true);
    }
  }

  /**
   * server-everything's tools under the names the scenarios call, where one of them does what
   * the scenario asks for (docs/testing/conformance.md says which serves which).
   */
  private static Catalog catalog() {
    return new Catalog()
        .stdioServer("everything", "node", Repo.serverEverything().toString(), "stdio")
        .tool("everything", "echo")
        .alias("test_image_content", "everything", "get-tiny-image")
        .alias("test_embedded_resource", "everything", "get-resource-reference")
        .alias("test_error_handling", "everything", "get-sum")
        .alias("test_tool_with_progress", "everything", "trigger-long-running-operation")
        .alias("test_sampling", "everything", "trigger-sampling-request")
        .alias("test_elicitation", "everything", "trigger-elicitation-request")
        .promptAlias("test_simple_prompt", "everything", "simple-prompt")
        .resourceOwner("test://", "everything");
  }

  /** Scenario name to whether it passed, by the suite's own rule: no FAILURE and no WARNING check. */
  private static Map<String, Boolean> scenarioOutcomes(Path results) throws Exception {
    Map<String, Boolean> outcomes = new TreeMap<>();
    if (!Files.isDirectory(results)) {
      return outcomes;
    }
    try (Stream<Path> folders = Files.list(results)) {
      for (Path folder : folders.toList()) {
        Matcher name = RESULT_FOLDER.matcher(folder.getFileName().toString());
        if (!name.matches()) {
          continue;
        }
        JsonNode checks = McpClient.JSON.readTree(folder.resolve("checks.json").toFile());
        boolean ok = checks.valueStream()
            .map(check -> check.path("status").asText())
            .noneMatch(status -> status.equals("FAILURE") || status.equals("WARNING"));
        outcomes.put(name.group(1), ok);
      }
    }
    return outcomes;
  }

  private static Set<String> expectedFailures() throws Exception {
    Set<String> names = new TreeSet<>();
    new YAMLMapper().readTree(BASELINE.toFile()).path("server").forEach(name -> names.add(name.asText()));
    return names;
  }
}
