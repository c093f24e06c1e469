package dev.cmcp.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
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
 * The official MCP conformance suite's server scenarios, each MCP revision from 2025-03-26 to
 * 2026-07-28, run against the suite's own reference server (interop/servers/everything-server.ts)
 * twice: directly, and through the gateway fronting it. Every scenario that passes directly must
 * pass through the gateway, with every check that succeeded directly, except the known gaps listed with their reasons in
 * interop/conformance-gaps.yml; a listed gap that passes now fails this test too, so the list
 * can only shrink. The table it prints (and writes to target/conformance/table.md) is the one in
 * docs/testing/conformance.md.
 */
class ConformanceTest {

  private static final Path GAPS = Repo.root().resolve("interop/conformance-gaps.yml");
  /** Each scenario's results land in server-<scenario>-<ISO time>/checks.json. */
  private static final Pattern RESULT_FOLDER = Pattern.compile("server-(.+)-\\d{4}-\\d{2}-\\d{2}T[\\d-]+Z");

  private static final Path RESULTS = Path.of("target", "conformance").toAbsolutePath();
  /** What the suite runs for each revision: 2025 ones by applicability, 2026-07-28 its frozen requirements. */
  private static final Map<String, List<String>> REVISIONS = revisions();

  @TempDir Path tmp;

  @Test
  void everyScenarioThatPassesDirectlyPassesThroughTheGatewayExceptTheListedGaps() throws Exception {
    Map<String, Map<String, Outcome>> direct = new LinkedHashMap<>();
    Map<String, Map<String, Outcome>> viaGateway = new LinkedHashMap<>();
    StringBuilder outputs = new StringBuilder();
    try (NodeServer reference = NodeServer.conformanceEverythingServer();
        GatewayProcess gateway = GatewayProcess.start(Deployments.permitAll(tmp, catalog(reference.mcpUrl()).json()),
            Map.of("CMCP_DEV_MODE", "1"))) {
      for (Map.Entry<String, List<String>> revision : REVISIONS.entrySet()) {
        direct.put(revision.getKey(), suite(reference.mcpUrl(), revision.getValue(), "direct-" + revision.getKey(), outputs));
        viaGateway.put(revision.getKey(), suite(gateway.baseUrl() + "/mcp", revision.getValue(), "cmcp-" + revision.getKey(), outputs));
      }
      // Beside the checks, to diagnose a gap: what the reference server and the gateway printed.
      Files.writeString(RESULTS.resolve("everything-server.log"), String.join("\n", reference.output()));
      Files.writeString(RESULTS.resolve("gateway.log"), gateway.output());
    }

    String table = table(direct, viaGateway);
    System.out.println(table);
    Files.writeString(Files.createDirectories(RESULTS).resolve("table.md"), table);

    Map<String, Set<String>> gaps = new TreeMap<>();
    for (String revision : REVISIONS.keySet()) {
      Map<String, Outcome> straight = direct.get(revision);
      Map<String, Outcome> through = viaGateway.get(revision);
      // The suite ran, and its own server is a working fixture.
      assertThat(straight).as(revision + "\n" + outputs).isNotEmpty();
      assertThat(through.keySet()).as(revision + ": the same scenarios ran both ways\n" + outputs).isEqualTo(straight.keySet());
      Set<String> gap = new TreeSet<>();
      straight.forEach((scenario, outcome) -> {
        if (outcome.passed() && !outcome.matchedBy(through.get(scenario))) {
          gap.add(scenario);
        }
      });
      gaps.put(revision, gap);
    }
    assertThat(direct.get("2025-11-25").get("server-initialize").passed()).isTrue();
    assertThat(direct.get("2025-11-25").get("tools-call-sampling").passed()).isTrue();
    assertThat(gaps)
        .as("scenarios that pass directly but not as well through cMCP, against interop/conformance-gaps.yml"
            + " (a gap not listed is a regression; a listed one that passes must leave the list)\n" + table)
        .isEqualTo(knownGaps());
  }

  /**
   * The suite's tasks extension scenarios (2026-07-28, SEP-2663), which its reference server does
   * not implement, against a server that does (interop/servers/tasks-server.mjs): each passes
   * directly, and through the gateway with every check that succeeded directly. They run in the
   * test above too (against the reference server, failing both ways).
   */
  @Test
  void theTasksExtensionScenariosPassThroughTheGatewayAsTheyDoDirectly() throws Exception {
    Map<String, Outcome> direct = new TreeMap<>();
    Map<String, Outcome> viaGateway = new TreeMap<>();
    StringBuilder outputs = new StringBuilder();
    try (NodeServer tasks = NodeServer.tasksOverHttp()) {
      Catalog catalog = new Catalog().httpServer("tasks", tasks.mcpUrl());
      for (String tool : List.of("greet", "slow_compute", "failing_job", "protocol_error_job", "confirm_delete", "multi_input",
          "test_tool_with_task")) {
        catalog.alias(tool, "tasks", tool);
      }
      try (GatewayProcess gateway = GatewayProcess.start(Deployments.permitAll(tmp, catalog.json()), Map.of("CMCP_DEV_MODE", "1"))) {
        for (String scenario : TASK_SCENARIOS) {
          List<String> selection = List.of("--scenario", scenario);
          direct.putAll(suite(tasks.mcpUrl(), selection, "direct-tasks-" + scenario, outputs));
          viaGateway.putAll(suite(gateway.baseUrl() + "/mcp", selection, "cmcp-tasks-" + scenario, outputs));
        }
        Files.writeString(Files.createDirectories(RESULTS).resolve("tasks-gateway.log"), gateway.output());
      }
      Files.writeString(RESULTS.resolve("tasks-server.log"), String.join("\n", tasks.output()));
    }
    String table = table(Map.of("2026-07-28 tasks extension", direct), Map.of("2026-07-28 tasks extension", viaGateway));
    System.out.println(table);
    Files.writeString(RESULTS.resolve("tasks-table.md"), table);
    // tasks-status-notifications has no check when a server sends no notifications (they are optional).
    assertThat(direct.keySet()).as(outputs.toString()).containsExactlyInAnyOrderElementsOf(TASK_SCENARIOS);
    assertThat(direct.values()).as("the fixture server passes every tasks scenario\n" + table).allMatch(Outcome::passed);
    direct.forEach((scenario, outcome) -> assertThat(outcome.matchedBy(viaGateway.get(scenario)))
        .as(scenario + " through cMCP, with every check that succeeded directly\n" + table).isTrue());
  }

  private static final List<String> TASK_SCENARIOS = List.of("tasks-capability-negotiation", "tasks-dispatch-and-envelope",
      "tasks-lifecycle", "tasks-mrtr-composition", "tasks-mrtr-input", "tasks-request-headers", "tasks-request-state-removal",
      "tasks-required-task-error", "tasks-status-notifications", "tasks-wire-fields");

  /**
   * One scenario's result: whether it passed by the suite's own rule (no check a {@code FAILURE}
   * or {@code WARNING}), and the checks that succeeded. Through the gateway a scenario matches
   * its direct run when it passes and every check that succeeded directly succeeded too: a check
   * can also turn from a success into "not applicable" ({@code INFO}, {@code SKIPPED}), for
   * example when an answer comes in JSON where the server itself streamed it.
   */
  record Outcome(boolean passed, Set<String> succeeded) {
    boolean matchedBy(Outcome other) {
      return other.passed() && other.succeeded().containsAll(succeeded);
    }

    Set<String> missingFrom(Outcome other) {
      Set<String> missing = new TreeSet<>(succeeded);
      missing.removeAll(other.succeeded());
      return missing;
    }

    Outcome and(Outcome other) {
      Set<String> both = new TreeSet<>(succeeded);
      both.addAll(other.succeeded());
      return new Outcome(passed && other.passed(), both);
    }
  }

  /**
   * The reference server's tools, prompts and resources under their own names (the scenarios
   * call them by name).
   */
  private static Catalog catalog(String url) {
    Catalog catalog = new Catalog().httpServer("conformance", url);
    for (String tool : List.of("test_simple_text", "test_image_content", "test_audio_content", "test_embedded_resource",
        "test_multiple_content_types", "test_tool_with_logging", "test_tool_with_progress", "test_error_handling",
        "test_reconnection", "test_sampling", "test_elicitation", "test_elicitation_sep1034_defaults",
        "test_elicitation_sep1330_enums", "json_schema_2020_12_tool", "test_missing_capability",
        "test_input_required_result_elicitation", "test_input_required_result_sampling",
        "test_input_required_result_list_roots", "test_input_required_result_request_state",
        "test_input_required_result_multiple_inputs", "test_input_required_result_multi_round",
        "test_input_required_result_tampered_state", "test_input_required_result_capabilities",
        "test_streaming_elicitation", "test_logging_tool",
        // server-stateless changes the server's tool and prompt lists with these, to see the change on subscriptions/listen.
        "test_trigger_tool_change", "test_trigger_prompt_change",
        // The tasks scenarios call these; the reference server has none of them and answers as it would directly.
        "slow_compute", "greet", "confirm_delete", "failing_job", "test_tool_with_task")) {
      catalog.alias(tool, "conformance", tool);
    }
    for (String prompt : List.of("test_simple_prompt", "test_prompt_with_arguments", "test_prompt_with_embedded_resource",
        "test_prompt_with_image", "test_input_required_result_prompt")) {
      catalog.promptAlias(prompt, "conformance", prompt);
    }
    return catalog.resourceOwner("test://", "conformance");
  }

  private static Map<String, List<String>> revisions() {
    Map<String, List<String>> revisions = new LinkedHashMap<>();
    for (String revision : List.of("2025-03-26", "2025-06-18", "2025-11-25")) {
      // "all": the pending scenarios too (json-schema-2020-12, server-sse-polling), which the reference server passes.
      revisions.put(revision, List.of("--spec-version", revision, "--suite", "all"));
    }
    revisions.put("2026-07-28", List.of("--requirements", "2026-07-28"));
    return revisions;
  }

  /** Runs the suite's server scenarios for one revision against url; scenario name to outcome. */
  private Map<String, Outcome> suite(String url, List<String> selection, String label, StringBuilder outputs) throws Exception {
    // Kept after the test (target/conformance/<label>/server-<scenario>-<time>/checks.json) to diagnose a gap.
    Path results = RESULTS.resolve(label);
    deleteRecursively(results);
    List<String> command = new ArrayList<>(List.of(Repo.node22().toString(),
        Repo.interop("@modelcontextprotocol/conformance/dist/index.js").toString(), "server",
        "--url", url, "--output-dir", results.toString(), "--timeout", "15000"));
    command.addAll(selection);
    NodeServer.Finished run = NodeServer.run(command, 300);
    outputs.append("--- ").append(label).append('\n').append(run.output()).append('\n');
    return scenarioOutcomes(results);
  }

  private static void deleteRecursively(Path folder) throws Exception {
    if (Files.exists(folder)) {
      try (Stream<Path> paths = Files.walk(folder)) {
        for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(path);
        }
      }
    }
  }

  /** Scenario name to its outcome, read from each scenario's checks.json. */
  private static Map<String, Outcome> scenarioOutcomes(Path results) throws Exception {
    Map<String, Outcome> outcomes = new TreeMap<>();
    if (!Files.isDirectory(results)) {
      return outcomes;
    }
    try (Stream<Path> folders = Files.list(results)) {
      for (Path folder : folders.toList()) {
        Matcher name = RESULT_FOLDER.matcher(folder.getFileName().toString());
        if (!name.matches() || !Files.isRegularFile(folder.resolve("checks.json"))) {
          continue;
        }
        boolean passed = true;
        Set<String> succeeded = new TreeSet<>();
        for (JsonNode check : McpClient.JSON.readTree(folder.resolve("checks.json").toFile())) {
          String status = check.path("status").asText();
          passed &= !status.equals("FAILURE") && !status.equals("WARNING");
          if (status.equals("SUCCESS")) {
            succeeded.add(check.path("id").asText());
          }
        }
        outcomes.merge(name.group(1), new Outcome(passed, succeeded), Outcome::and);
      }
    }
    return outcomes;
  }

  /** The direct-vs-gateway table of docs/testing/conformance.md, one section per revision. */
  private static String table(Map<String, Map<String, Outcome>> direct, Map<String, Map<String, Outcome>> viaGateway) {
    StringBuilder out = new StringBuilder();
    out.append("| revision | scenarios | pass directly | pass through cMCP | gaps |\n|---|---|---|---|---|\n");
    for (String revision : direct.keySet()) {
      Map<String, Outcome> straight = direct.get(revision);
      Map<String, Outcome> through = viaGateway.get(revision);
      long gaps = straight.keySet().stream()
          .filter(s -> straight.get(s).passed() && !straight.get(s).matchedBy(through.get(s))).count();
      out.append("| ").append(revision).append(" | ").append(straight.size())
          .append(" | ").append(straight.values().stream().filter(Outcome::passed).count())
          .append(" | ").append(through.values().stream().filter(Outcome::passed).count())
          .append(" | ").append(gaps).append(" |\n");
    }
    for (String revision : direct.keySet()) {
      out.append("\n#### ").append(revision)
          .append("\n\n| scenario | directly | through cMCP | checks that succeed only directly |\n|---|---|---|---|\n");
      Map<String, Outcome> through = viaGateway.get(revision);
      direct.get(revision).forEach((scenario, outcome) -> out.append("| ").append(scenario)
          .append(" | ").append(outcome.passed() ? "pass" : "fail")
          .append(" | ").append(through.get(scenario).passed() ? "pass" : "fail")
          .append(" | ").append(String.join(", ", outcome.missingFrom(through.get(scenario)))).append(" |\n"));
    }
    return out.toString();
  }

  /** interop/conformance-gaps.yml: revision to the scenarios listed as known gaps (each with its reason). */
  private static Map<String, Set<String>> knownGaps() throws Exception {
    JsonNode listed = new YAMLMapper().readTree(GAPS.toFile());
    Map<String, Set<String>> gaps = new TreeMap<>();
    for (String revision : REVISIONS.keySet()) {
      Set<String> names = new TreeSet<>();
      listed.path(revision).fieldNames().forEachRemaining(names::add);
      gaps.put(revision, names);
    }
    return gaps;
  }
}
