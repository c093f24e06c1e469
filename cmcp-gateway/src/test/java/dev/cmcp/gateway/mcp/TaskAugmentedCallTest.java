package dev.cmcp.gateway.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.gateway.catalog.CatalogTool;
import dev.cmcp.gateway.catalog.UpstreamServer;
import dev.cmcp.gateway.config.EnforcementMode;
import dev.cmcp.gateway.upstream.AgentRelays;
import dev.cmcp.gateway.upstream.StreamWatcher;
import dev.cmcp.verify.base.CanonicalJson;
import dev.cmcp.verify.base.Digests;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * MCP 2025-11-25 tasks through the gateway, against {@code server-everything} (npm), which declares
 * tasks and runs {@code simulate-research-query} only as a task ({@code taskSupport: required}).
 * A task is the creating session's alone; its result is redacted and audited as the creating call's.
 */
class TaskAugmentedCallTest {

  private static final String POLICIES = """
      @id("research")
      permit (principal, action == Action::"call_tool", resource == Tool::"everything.research");
      @id("echo")
      permit (principal, action == Action::"call_tool", resource == Tool::"everything.echo");
      @id("private-research")
      @redact_pattern("email")
      permit (principal, action == Action::"call_tool", resource == Tool::"everything.private_research");
      """;
  private static final String TASK = ",\"task\":{\"ttl\":60000}";
  private static final String NEWEST = "2025-11-25";

  @TempDir Path dir;
  private GatewayUnderTest gateway;

  @BeforeEach
  void start() throws Exception {
    gateway = GatewayUnderTest.start(dir, EnforcementMode.ENFORCING, POLICIES, List.of(GatewayUnderTest.serverEverything("everything")),
        List.of(new CatalogTool("everything.research", "everything", "simulate-research-query", Map.of()),
            new CatalogTool("everything.private_research", "everything", "simulate-research-query", Map.of()),
            new CatalogTool("everything.denied_research", "everything", "simulate-research-query", Map.of()),
            new CatalogTool("everything.echo", "everything", "echo", Map.of())));
  }

  @AfterEach
  void stop() {
    gateway.close();
  }

  private JsonNode send(Optional<String> session, String method, String params) {
    return gateway.send(session, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"" + method + "\",\"params\":" + params + "}")
        .body().orElseThrow();
  }

  /** Opens a session of {@code version}; returns its Mcp-Session-Id. */
  private String open(String version) {
    return open(version, "{}");
  }

  private String open(String version, String capabilities) {
    McpHttpResponse opened = gateway.send(Optional.empty(), "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"
        + "{\"protocolVersion\":\"" + version + "\",\"capabilities\":" + capabilities
        + ",\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}");
    return Optional.ofNullable(opened.headers().get("Mcp-Session-Id")).orElseThrow(() -> new AssertionError(opened.toString()));
  }

  /** Creates a research task in {@code session} through catalog tool {@code tool}; returns the task object the agent got. */
  private JsonNode createTask(String session, String tool, String topic) {
    JsonNode answer = send(Optional.of(session), "tools/call",
        "{\"name\":\"" + tool + "\",\"arguments\":{\"topic\":\"" + topic + "\"}" + TASK + "}");
    assertThat(answer.at("/result/task/taskId").isTextual()).as(answer.toString()).isTrue();
    return answer.at("/result/task");
  }

  private JsonNode taskRequest(String session, String method, String taskId) {
    return send(Optional.of(session), method, "{\"taskId\":\"" + taskId + "\"}");
  }

  /** A session's {@code tasks/result} (request id 9) waiting for a task that asks its agent: what it asked, and its answer. */
  private record ResultWait(String session, String taskId, CompletableFuture<ObjectNode> asked, CompletableFuture<JsonNode> result) {}

  /**
   * Opens a session that can answer elicitation, creates a research task on an ambiguous topic
   * (the server asks which meaning) and waits for its result on another thread.
   */
  private ResultWait waitForTheResultOfAnAmbiguousResearchTask() {
    String session = open(NEWEST, "{\"elicitation\":{}}");
    JsonNode answer = send(Optional.of(session), "tools/call",
        "{\"name\":\"everything.research\",\"arguments\":{\"topic\":\"tides\",\"ambiguous\":true}" + TASK + "}");
    String taskId = answer.at("/result/task/taskId").asText();
    CompletableFuture<ObjectNode> asked = new CompletableFuture<>();
    CompletableFuture<JsonNode> result = CompletableFuture.supplyAsync(() -> gateway.endpoint.post(new McpHttpRequest(
        Optional.of(session), Optional.empty(), Optional.empty(),
        ("{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tasks/result\",\"params\":{\"taskId\":\"" + taskId + "\"}}")
            .getBytes(StandardCharsets.UTF_8)), asked::complete, StreamWatcher.NONE).body().orElseThrow());
    return new ResultWait(session, taskId, asked, result);
  }

  private List<JsonNode> entries(String type) throws Exception {
    return gateway.auditEntries().stream().filter(entry -> entry.path("type").asText().equals(type)).toList();
  }

  @Test
  void theGatewayDeclaresTasksToA20251125SessionOnly() {
    JsonNode newest = send(Optional.empty(), "initialize", "{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{}}");
    assertThat(newest.at("/result/capabilities/tasks/requests/tools/call").isObject()).as(newest.toString()).isTrue();
    assertThat(newest.at("/result/capabilities/tasks/list").isObject()).isTrue();
    assertThat(newest.at("/result/capabilities/tasks/cancel").isObject()).isTrue();
    JsonNode older = send(Optional.empty(), "initialize", "{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{}}");
    assertThat(older.at("/result/capabilities").has("tasks")).as(older.toString()).isFalse();
  }

  @Test
  void aTaskIsCreatedUnderTheGatewaysIdAndItsResultFetchedAndAuditedAsTheCreatingCalls() throws Exception {
    String session = open(NEWEST);
    JsonNode task = createTask(session, "everything.research", "tides");
    String taskId = task.path("taskId").asText();
    assertThat(taskId).startsWith("cmcp-task-");
    assertThat(task.path("status").asText()).isIn("working", "completed");
    assertThat(task.path("ttl").asLong()).isPositive().isLessThanOrEqualTo(TaskRegistry.MAX_TTL.toMillis());

    JsonNode status = taskRequest(session, "tasks/get", taskId);
    assertThat(status.at("/result/taskId").asText()).as(status.toString()).isEqualTo(taskId);
    assertThat(status.at("/result/status").asText()).isIn("working", "completed");

    // Blocks upstream until the task ends (about 4 s for this tool).
    JsonNode result = taskRequest(session, "tasks/result", taskId);
    assertThat(result.at("/result/content/0/text").asText()).as(result.toString()).contains("Research Report: tides");
    assertThat(result.at("/result/_meta/io.modelcontextprotocol~1related-task/taskId").asText()).isEqualTo(taskId);
    assertThat(taskRequest(session, "tasks/get", taskId).at("/result/status").asText()).isEqualTo("completed");

    List<JsonNode> decisions = entries("decision");
    assertThat(decisions).hasSize(1);
    assertThat(decisions.get(0).path("tool").asText()).isEqualTo("everything.research");
    long decisionIndex = decisions.get(0).path("index").asLong();
    List<JsonNode> outcomes = entries("outcome");
    assertThat(outcomes).extracting(outcome -> outcome.path("outcome").asText()).containsExactly("task_created", "ok");
    assertThat(outcomes).allSatisfy(outcome -> assertThat(outcome.path("decision_index").asLong()).isEqualTo(decisionIndex));
    assertThat(outcomes.get(1).path("result_sha256").asText()).isEqualTo(Digests.sha256Hex(CanonicalJson.bytes(result.get("result"))));
    // Digests only: neither the topic nor the report is in the log.
    assertThat(new String(java.nio.file.Files.readAllBytes(gateway.auditFile()), StandardCharsets.UTF_8))
        .doesNotContain("tides").doesNotContain("Research Report");
  }

  @Test
  void theServersStatusNotificationsReachTheCreatingSessionsStreamUnderTheGatewaysIdOnly() throws Exception {
    String mine = open(NEWEST);
    String theirs = open(NEWEST);
    try (SessionStreams.Stream myStream = gateway.endpoint.openStream(mine);
        SessionStreams.Stream theirStream = gateway.endpoint.openStream(theirs)) {
      String taskId = createTask(mine, "everything.research", "tides").path("taskId").asText();
      // Returns once the task ended: the server told its statuses by then.
      assertThat(taskRequest(mine, "tasks/result", taskId).at("/result/content/0/text").asText()).contains("tides");
      List<JsonNode> statuses = new java.util.ArrayList<>();
      for (Optional<ObjectNode> next; (next = myStream.next(10_000)).isPresent(); ) {
        // The stream also carries what else the session hears (list changes).
        if (next.get().path("method").asText().equals("notifications/tasks/status")) {
          statuses.add(next.get());
          if (next.get().at("/params/status").asText().equals("completed")) {
            break;
          }
        }
      }
      assertThat(statuses).as("the creating session hears the task end").isNotEmpty()
          .allSatisfy(message -> {
            assertThat(message.path("method").asText()).isEqualTo("notifications/tasks/status");
            assertThat(message.at("/params/taskId").asText()).isEqualTo(taskId);
            assertThat(message.at("/params/ttl").asLong()).isPositive();
          });
      assertThat(statuses.getLast().at("/params/status").asText()).isEqualTo("completed");
      List<ObjectNode> theirMessages = new java.util.ArrayList<>();
      for (Optional<ObjectNode> next; (next = theirStream.next(0)).isPresent(); ) {
        theirMessages.add(next.get());
      }
      assertThat(theirMessages).as("another session hears nothing of it")
          .noneMatch(message -> message.path("method").asText().startsWith("notifications/tasks"));
    }
  }

  @Test
  void aTaskIsReachableFromTheCreatingSessionOnly() {
    String mine = open(NEWEST);
    String theirs = open(NEWEST);
    String taskId = createTask(mine, "everything.research", "tides").path("taskId").asText();
    for (String method : List.of("tasks/get", "tasks/result", "tasks/cancel")) {
      JsonNode refused = taskRequest(theirs, method, taskId);
      assertThat(refused.at("/error/code").asInt()).as(method + ": " + refused).isEqualTo(JsonRpcError.INVALID_PARAMS);
      assertThat(refused.has("result")).isFalse();
    }
    assertThat(send(Optional.of(theirs), "tasks/list", "{}").at("/result/tasks").size()).isZero();
    // Stateless, and in an older revision: no tasks at all.
    assertThat(taskRequest("none", "tasks/get", taskId).path("error").isObject()).isTrue();
    JsonNode stateless = send(Optional.empty(), "tasks/get", "{\"taskId\":\"" + taskId + "\"}");
    assertThat(stateless.at("/error/code").asInt()).isEqualTo(JsonRpcError.METHOD_NOT_FOUND);
    JsonNode older = taskRequest(open("2025-06-18"), "tasks/get", taskId);
    assertThat(older.at("/error/code").asInt()).isEqualTo(JsonRpcError.METHOD_NOT_FOUND);
    // The owner still has it, untouched by the attempts.
    assertThat(taskRequest(mine, "tasks/get", taskId).at("/result/taskId").asText()).isEqualTo(taskId);
  }

  @Test
  void tasksListShowsTheCallersTasksOnly() {
    String mine = open(NEWEST);
    String theirs = open(NEWEST);
    String myTask = createTask(mine, "everything.research", "tides").path("taskId").asText();
    String theirTask = createTask(theirs, "everything.research", "winds").path("taskId").asText();
    JsonNode listed = send(Optional.of(mine), "tasks/list", "{}");
    assertThat(listed.at("/result/tasks").findValuesAsText("taskId")).as(listed.toString()).containsExactly(myTask);
    assertThat(send(Optional.of(theirs), "tasks/list", "{}").at("/result/tasks").findValuesAsText("taskId")).containsExactly(theirTask);
    assertThat(send(Optional.of(mine), "tasks/list", "{\"cursor\":\"x\"}").at("/error/code").asInt())
        .isEqualTo(JsonRpcError.INVALID_PARAMS);
  }

  @Test
  void aRedactingPermitRedactsTheTaskResultAndWithholdsItsStatusMessages() throws Exception {
    String session = open(NEWEST);
    JsonNode task = createTask(session, "everything.private_research", "mail alice@example.com");
    assertThat(task.has("statusMessage")).isFalse();
    String taskId = task.path("taskId").asText();
    assertThat(taskRequest(session, "tasks/get", taskId).path("result").has("statusMessage")).isFalse();
    JsonNode result = taskRequest(session, "tasks/result", taskId);
    String text = result.at("/result/content/0/text").asText();
    assertThat(text).as(result.toString()).contains("Research Report").contains("[REDACTED]").doesNotContain("alice@example.com");
    JsonNode outcome = entries("outcome").getLast();
    assertThat(outcome.path("outcome").asText()).isEqualTo("ok");
    assertThat(outcome.at("/redactions/count").asInt()).isPositive();
    assertThat(outcome.path("result_sha256").asText()).isEqualTo(Digests.sha256Hex(CanonicalJson.bytes(result.get("result"))));
  }

  @Test
  void aDeniedTaskAugmentedCallCreatesNoTask() {
    String session = open(NEWEST);
    McpHttpResponse denied = gateway.send(Optional.of(session), "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":"
        + "{\"name\":\"everything.denied_research\",\"arguments\":{\"topic\":\"tides\"}" + TASK + "}}");
    assertThat(denied.status()).isEqualTo(403);
    assertThat(send(Optional.of(session), "tasks/list", "{}").at("/result/tasks").size()).isZero();
  }

  @Test
  void afterAPolicyReloadATasksResultIsWithheld() throws Exception {
    String session = open(NEWEST);
    String taskId = createTask(session, "everything.research", "tides").path("taskId").asText();
    gateway.reloadPolicies(POLICIES + "\n// reloaded\n");
    JsonNode withheld = taskRequest(session, "tasks/result", taskId);
    assertThat(withheld.at("/error/data/error").asText()).as(withheld.toString()).isEqualTo("task_policy_changed");
    assertThat(withheld.has("result")).isFalse();
    assertThat(entries("outcome").getLast().path("outcome").asText()).isEqualTo("withheld_policy_changed");
  }

  @Test
  void aTaskCanBeCancelledByItsSessionAndTheCancellationIsAudited() throws Exception {
    String session = open(NEWEST);
    String taskId = createTask(session, "everything.research", "tides").path("taskId").asText();
    JsonNode cancelled = taskRequest(session, "tasks/cancel", taskId);
    assertThat(cancelled.at("/result/status").asText()).as(cancelled.toString()).isEqualTo("cancelled");
    assertThat(cancelled.at("/result/taskId").asText()).isEqualTo(taskId);
    assertThat(entries("outcome").getLast().path("outcome").asText()).isEqualTo("cancelled");
    // A task in a terminal status cannot be cancelled again: the server's -32602 reaches the agent.
    assertThat(taskRequest(session, "tasks/cancel", taskId).at("/error/code").asInt()).isEqualTo(JsonRpcError.INVALID_PARAMS);
  }

  @Test
  void anEndedSessionsTasksAreForgotten() {
    String session = open(NEWEST);
    createTask(session, "everything.research", "tides");
    assertThat(gateway.endpoint.delete(Optional.of(session)).status()).isEqualTo(204);
    String other = open(NEWEST);
    assertThat(send(Optional.of(other), "tasks/list", "{}").at("/result/tasks").size()).isZero();
  }

  @Test
  void aTaskAugmentedCallInAnOlderSessionIsNotForwardedAsATask() {
    String session = open("2025-06-18");
    JsonNode answer = send(Optional.of(session), "tools/call",
        "{\"name\":\"everything.research\",\"arguments\":{\"topic\":\"tides\"}" + TASK + "}");
    // Without its task, this tool refuses to run; no task is created upstream that nobody could fetch.
    assertThat(answer.path("result").has("task")).as(answer.toString()).isFalse();
    assertThat(answer.at("/result/isError").asBoolean()).as(answer.toString()).isTrue();
    assertThat(answer.at("/result/content/0/text").asText()).contains("requires task augmentation");
  }

  @Test
  void aTaskAugmentedCallOfAToolWithoutTaskSupportRunsNormally() {
    String session = open(NEWEST);
    JsonNode answer = send(Optional.of(session), "tools/call", "{\"name\":\"everything.echo\",\"arguments\":{\"message\":\"hi\"}" + TASK + "}");
    assertThat(answer.path("result").has("task")).as(answer.toString()).isFalse();
    assertThat(answer.at("/result/content/0/text").asText()).contains("hi");
    JsonNode stateless = send(Optional.empty(), "tools/call", "{\"name\":\"everything.echo\",\"arguments\":{\"message\":\"hi\"}" + TASK + "}");
    assertThat(stateless.at("/result/content/0/text").asText()).contains("hi");
  }

  @Test
  void anInputRequiredTaskAsksTheCreatingAgentDuringTasksResult() throws Exception {
    ResultWait wait = waitForTheResultOfAnAmbiguousResearchTask();
    String session = wait.session();
    ObjectNode question = wait.asked().get(30, TimeUnit.SECONDS);
    assertThat(question.path("method").asText()).as(question.toString()).isEqualTo("elicitation/create");
    assertThat(question.path("id").asText()).startsWith("cmcp-request-");
    McpHttpResponse accepted = gateway.send(Optional.of(session), "{\"jsonrpc\":\"2.0\",\"id\":" + question.get("id")
        + ",\"result\":{\"action\":\"accept\",\"content\":{\"interpretation\":\"historical\"}}}");
    assertThat(accepted.status()).isEqualTo(202);
    JsonNode delivered = wait.result().get(30, TimeUnit.SECONDS);
    assertThat(delivered.at("/result/content/0/text").asText()).as(delivered.toString()).contains("historical");
    assertThat(entries("relayed_request")).hasSize(1);
    assertThat(entries("relayed_answer").getFirst().path("answer").asText()).isEqualTo("result");
  }

  @Test
  void theAgentMayCallOffItsWaitForATasksResult() throws Exception {
    ResultWait wait = waitForTheResultOfAnAmbiguousResearchTask();
    String session = wait.session();
    // Asked, and unanswered: the wait is in flight until the agent calls it off.
    wait.asked().get(30, TimeUnit.SECONDS);
    assertThat(gateway.send(Optional.of(session),
        "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":9}}").status()).isEqualTo(202);
    JsonNode cancelled = wait.result().get(30, TimeUnit.SECONDS);
    assertThat(cancelled.at("/error/code").asInt()).as(cancelled.toString()).isEqualTo(JsonRpcError.REQUEST_CANCELLED);
    assertThat(entries("outcome").getLast().path("outcome").asText()).isEqualTo("cancelled");
    // The task itself goes on; it is still the session's.
    assertThat(taskRequest(session, "tasks/get", wait.taskId()).at("/result/taskId").asText()).isEqualTo(wait.taskId());
  }

  @Test
  void aServersMessageAboutATaskReachesOnlyThatTasksWait() throws Exception {
    List<String> heard = new java.util.ArrayList<>();
    AgentRelays.Relay agent = new AgentRelays.Relay() {
      @Override
      public void log(ObjectNode notification) {
        heard.add(notification.path("params").path("data").asText());
      }

      @Override
      public boolean ask(ObjectNode request, java.util.function.Consumer<ObjectNode> reply) {
        heard.add(request.path("method").asText());
        return true;
      }
    };
    ObjectNode plain = (ObjectNode) GatewayUnderTest.JSON.parse(
        "{\"method\":\"elicitation/create\",\"params\":{}}".getBytes(StandardCharsets.UTF_8));
    ObjectNode ofTaskOne = (ObjectNode) GatewayUnderTest.JSON.parse(("{\"method\":\"elicitation/create\",\"params\":{\"_meta\":"
        + "{\"io.modelcontextprotocol/related-task\":{\"taskId\":\"one\"}}}}").getBytes(StandardCharsets.UTF_8));
    AgentRelays.Relay call = TaskMethods.about(Optional.empty(), agent);
    AgentRelays.Relay waitForTwo = TaskMethods.about(Optional.of("two"), agent);
    AgentRelays.Relay waitForOne = TaskMethods.about(Optional.of("one"), agent);
    assertThat(call.ask(plain, reply -> { })).isTrue();
    // A call in flight is never asked a task's question, nor a wait for another task.
    assertThat(call.ask(ofTaskOne, reply -> { })).isFalse();
    assertThat(waitForTwo.ask(ofTaskOne, reply -> { })).isFalse();
    assertThat(waitForOne.ask(ofTaskOne, reply -> { })).isTrue();
    assertThat(heard).hasSize(2);
  }

  @Test
  void overStreamableHttpEachAgentsTaskLivesInItsOwnUpstreamSession() throws Exception {
    int port = RedactionThroughGatewayTest.freePort();
    Process everything = RedactionThroughGatewayTest.startEverythingOverHttp(port);
    GatewayUnderTest stdio = gateway;
    try (GatewayUnderTest web = GatewayUnderTest.start(dir.resolve("web"), EnforcementMode.ENFORCING,
        "permit (principal, action == Action::\"call_tool\", resource == Tool::\"web.research\");",
        List.of(new UpstreamServer.StreamableHttp("web", URI.create("http://127.0.0.1:" + port + "/mcp"), Map.of())),
        List.of(new CatalogTool("web.research", "web", "simulate-research-query", Map.of())))) {
      gateway = web;
      String mine = open(NEWEST);
      String theirs = open(NEWEST);
      String myTask = createTask(mine, "web.research", "tides").path("taskId").asText();
      String theirTask = createTask(theirs, "web.research", "winds").path("taskId").asText();
      // server-everything keeps each MCP session's tasks apart: a task asked for in another upstream session is unknown there.
      assertThat(taskRequest(mine, "tasks/result", myTask).at("/result/content/0/text").asText()).contains("Research Report: tides");
      assertThat(taskRequest(theirs, "tasks/result", theirTask).at("/result/content/0/text").asText()).contains("Research Report: winds");
      assertThat(taskRequest(theirs, "tasks/get", myTask).at("/error/code").asInt()).isEqualTo(JsonRpcError.INVALID_PARAMS);
    } finally {
      gateway = stdio;
      everything.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void inAdvisoryModeADeniedTaskIsCreatedAndItsResultDeliveredAndAudited() throws Exception {
    GatewayUnderTest enforcing = gateway;
    try (GatewayUnderTest advisory = GatewayUnderTest.start(dir.resolve("advisory"), EnforcementMode.ADVISORY, POLICIES,
        List.of(GatewayUnderTest.serverEverything("everything")),
        List.of(new CatalogTool("everything.denied_research", "everything", "simulate-research-query", Map.of())))) {
      gateway = advisory;
      String session = open(NEWEST);
      String taskId = createTask(session, "everything.denied_research", "tides").path("taskId").asText();
      assertThat(taskRequest(session, "tasks/result", taskId).at("/result/content/0/text").asText()).contains("Research Report");
      JsonNode decision = entries("decision").getFirst();
      assertThat(decision.path("decision").asText()).isEqualTo("deny");
      assertThat(decision.path("enforced").asText()).isEqualTo("forwarded");
      assertThat(entries("outcome")).extracting(outcome -> outcome.path("outcome").asText()).containsExactly("task_created", "ok");
    } finally {
      gateway = enforcing;
    }
  }

  @Test
  void aBadTaskTtlIsRefused() {
    String session = open(NEWEST);
    JsonNode answer = send(Optional.of(session), "tools/call",
        "{\"name\":\"everything.research\",\"arguments\":{\"topic\":\"tides\"},\"task\":{\"ttl\":\"soon\"}}");
    assertThat(answer.at("/error/code").asInt()).as(answer.toString()).isEqualTo(JsonRpcError.INVALID_PARAMS);
  }
}
