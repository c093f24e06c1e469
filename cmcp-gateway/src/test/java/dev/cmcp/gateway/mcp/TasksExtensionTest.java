package dev.cmcp.gateway.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.gateway.auth.Identity;
import dev.cmcp.gateway.catalog.CatalogTool;
import dev.cmcp.gateway.catalog.UpstreamServer;
import dev.cmcp.gateway.config.EnforcementMode;
import dev.cmcp.verify.base.CanonicalJson;
import dev.cmcp.verify.base.Digests;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The MCP 2026-07-28 tasks extension ({@code io.modelcontextprotocol/tasks}, SEP-2663) through the
 * gateway, for 2026-07-28 agents in front of a 2026-07-28 server that offers it ({@code
 * interop/servers/tasks-server.mjs}; no official server does yet): a task is governed as the call
 * that created it (its caller's only, its result redacted and audited as that call's), and the
 * pairings with 2025 revisions refuse with MCP errors that say why.
 */
class TasksExtensionTest {

  private static final String POLICIES = """
      @id("tasks")
      permit (principal, action == Action::"call_tool", resource) unless { resource == Tool::"tasks.secret_report" };
      @id("secret")
      @redact_pattern("email")
      permit (principal, action == Action::"call_tool", resource == Tool::"tasks.secret_report");
      """;
  private static final String EXTENSION = "{\"extensions\":{\"io.modelcontextprotocol/tasks\":{}}}";
  private static final Set<String> TERMINAL = Set.of("completed", "failed", "cancelled");

  @TempDir Path dir;
  private GatewayUnderTest gateway;
  private Process server;

  @BeforeEach
  void start() throws Exception {
    int port = RedactionThroughGatewayTest.freePort();
    String root = System.getProperty("cmcp.repo.root");
    Path base = root != null ? Path.of(root) : Path.of("").toAbsolutePath().getParent();
    ProcessBuilder builder = new ProcessBuilder("node", base.resolve("interop/servers/tasks-server.mjs").toString())
        .redirectOutput(dir.resolve("server.log").toFile()).redirectError(ProcessBuilder.Redirect.DISCARD);
    builder.environment().put("PORT", Integer.toString(port));
    server = builder.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!listens(port)) {
      if (!server.isAlive() || System.nanoTime() > deadline) {
        throw new AssertionError("tasks-server.mjs did not listen on port " + port);
      }
      Thread.sleep(20);
    }
    List<CatalogTool> tools = List.of("greet", "slow_compute", "failing_job", "protocol_error_job", "confirm_delete", "secret_report")
        .stream().map(name -> new CatalogTool("tasks." + name, "tasks", name, Map.of())).toList();
    gateway = GatewayUnderTest.start(dir, EnforcementMode.ENFORCING, POLICIES,
        List.of(new UpstreamServer.StreamableHttp("tasks", URI.create("http://127.0.0.1:" + port + "/mcp"), Map.of()),
            GatewayUnderTest.serverEverything("everything")),
        concat(tools, new CatalogTool("everything.research", "everything", "simulate-research-query", Map.of())));
  }

  private static List<CatalogTool> concat(List<CatalogTool> tools, CatalogTool more) {
    return java.util.stream.Stream.concat(tools.stream(), java.util.stream.Stream.of(more)).toList();
  }

  @AfterEach
  void stop() throws Exception {
    gateway.close();
    server.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
  }

  private static boolean listens(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** A 2026-07-28 request of {@code workflow}, its headers mirroring its body, declaring {@code capabilities}. */
  private McpHttpResponse send(String workflow, String method, Optional<String> name, String params, String capabilities) {
    String meta = "\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\","
        + "\"io.modelcontextprotocol/clientCapabilities\":" + capabilities + "}";
    String body = "{\"jsonrpc\":\"2.0\",\"id\":\"r-1\",\"method\":\"" + method + "\",\"params\":{" + meta
        + (params.isEmpty() ? "" : "," + params) + "}}";
    return gateway.endpoint.post(new McpHttpRequest(Optional.empty(), Optional.of("2026-07-28"), Optional.of(workflow),
        body.getBytes(StandardCharsets.UTF_8), Optional.empty(), Identity.UNAUTHENTICATED,
        new McpHttpRequest.MirroredHeaders(Optional.of(method), name)));
  }

  private JsonNode call(String workflow, String tool, String arguments, String capabilities) {
    return send(workflow, "tools/call", Optional.of(tool), "\"name\":\"" + tool + "\",\"arguments\":" + arguments, capabilities)
        .body().orElseThrow();
  }

  private JsonNode task(String workflow, String method, String taskId) {
    return send(workflow, method, Optional.of(taskId), "\"taskId\":\"" + taskId + "\"", EXTENSION).body().orElseThrow();
  }

  /** Polls tasks/get until the task reaches {@code status} or a terminal one; the server settles in well under a second. */
  private JsonNode awaitStatus(String workflow, String taskId, String status) throws InterruptedException {
    for (int polls = 0; polls < 1500; polls++) {
      JsonNode got = task(workflow, "tasks/get", taskId);
      String now = got.at("/result/status").asText();
      if (now.equals(status) || TERMINAL.contains(now) || got.has("error")) {
        return got;
      }
      Thread.sleep(20);
    }
    throw new AssertionError("task " + taskId + " never reached " + status);
  }

  private List<String> outcomes() throws Exception {
    return gateway.auditEntries().stream().filter(entry -> entry.path("type").asText().equals("outcome"))
        .map(entry -> entry.path("outcome").asText()).toList();
  }

  @Test
  void serverDiscoverOffersTheTasksExtension() {
    JsonNode discovered = send("w1", "server/discover", Optional.empty(), "", "{}").body().orElseThrow();
    assertThat(discovered.at("/result/capabilities/extensions/io.modelcontextprotocol~1tasks").isObject())
        .as(discovered.toString()).isTrue();
    assertThat(discovered.at("/result/capabilities").has("tasks")).as("no 2025-style tasks capability").isFalse();
  }

  @Test
  void aTaskIsCreatedUnderTheGatewaysIdAndItsInlinedResultIsAuditedAsTheCreatingCalls() throws Exception {
    JsonNode created = call("w1", "tasks.slow_compute", "{\"seconds\":0,\"label\":\"tides\"}", EXTENSION);
    JsonNode result = created.path("result");
    assertThat(result.path("resultType").asText()).as(created.toString()).isEqualTo("task");
    String taskId = result.path("taskId").asText();
    assertThat(taskId).startsWith("cmcp-task-");
    assertThat(result.path("ttlMs").asLong()).isPositive().isLessThanOrEqualTo(TaskRegistry.MAX_TTL.toMillis());
    assertThat(result.has("task")).isFalse();
    assertThat(result.has("result") || result.has("requestState") || result.has("ttl")).isFalse();

    JsonNode done = awaitStatus("w1", taskId, "completed");
    assertThat(done.at("/result/status").asText()).as(done.toString()).isEqualTo("completed");
    assertThat(done.at("/result/resultType").asText()).isEqualTo("complete");
    assertThat(done.at("/result/taskId").asText()).isEqualTo(taskId);
    assertThat(done.at("/result/result/content/0/text").asText()).isEqualTo("computed tides");

    assertThat(outcomes()).containsExactly("task_created", "ok");
    JsonNode delivered = gateway.auditEntries().stream().filter(entry -> entry.path("outcome").asText().equals("ok")).findFirst()
        .orElseThrow();
    assertThat(delivered.path("result_sha256").asText()).isEqualTo(Digests.sha256Hex(CanonicalJson.bytes(done.at("/result/result"))));
    assertThat(Files.readString(gateway.auditFile())).doesNotContain("tides");
    // The server was asked under its own id, in the Mcp-Name header too (it refuses a mismatch with 400).
    assertThat(Files.readString(dir.resolve("server.log"))).doesNotContain("cmcp-task-");
  }

  @Test
  void aCallThatDoesNotDeclareTheExtensionNeverGetsATask() {
    JsonNode plain = call("w1", "tasks.slow_compute", "{\"seconds\":0,\"label\":\"x\"}", "{}");
    assertThat(plain.at("/result/resultType").asText()).as(plain.toString()).isEqualTo("complete");
    assertThat(plain.at("/result/content/0/text").asText()).isEqualTo("computed x");
    assertThat(plain.at("/result").has("taskId")).isFalse();
    // A tool the server runs only as a task: the server's -32021, answered 400 as the revision says.
    McpHttpResponse required = send("w1", "tools/call", Optional.of("tasks.failing_job"),
        "\"name\":\"tasks.failing_job\",\"arguments\":{}", "{}");
    assertThat(required.status()).isEqualTo(400);
    assertThat(required.body().orElseThrow().at("/error/code").asInt()).isEqualTo(-32021);
    assertThat(required.body().orElseThrow().at("/error/message").asText()).contains("runs only as a task");
  }

  @Test
  void taskMethodsWithoutTheExtensionAreMissingRequiredClientCapability() {
    for (String method : List.of("tasks/get", "tasks/update", "tasks/cancel")) {
      McpHttpResponse refused = send("w1", method, Optional.of("gate-test"), "\"taskId\":\"gate-test\",\"inputResponses\":{}", "{}");
      assertThat(refused.status()).as(method).isEqualTo(400);
      JsonNode error = refused.body().orElseThrow().path("error");
      assertThat(error.path("code").asInt()).as(method).isEqualTo(-32021);
      assertThat(error.at("/data/requiredCapabilities/extensions/io.modelcontextprotocol~1tasks").isObject()).isTrue();
    }
  }

  @Test
  void tasksResultAndTasksListAreNotMethodsOfTheExtension() {
    for (String method : List.of("tasks/result", "tasks/list")) {
      McpHttpResponse refused = send("w1", method, Optional.of("x"), "\"taskId\":\"x\"", EXTENSION);
      assertThat(refused.status()).as(method).isEqualTo(404);
      assertThat(refused.body().orElseThrow().at("/error/code").asInt()).isEqualTo(JsonRpcError.METHOD_NOT_FOUND);
    }
  }

  @Test
  void aTaskIsReachableByItsCreatingCallerOnlyAndUnderTheGatewaysIdOnly() throws Exception {
    String taskId = call("w1", "tasks.slow_compute", "{\"seconds\":60}", EXTENSION).at("/result/taskId").asText();
    assertThat(task("w1", "tasks/get", taskId).at("/result/status").asText()).isEqualTo("working");
    for (String method : List.of("tasks/get", "tasks/cancel")) {
      JsonNode theirs = task("w2", method, taskId);
      assertThat(theirs.at("/error/code").asInt()).as(theirs.toString()).isEqualTo(JsonRpcError.INVALID_PARAMS);
    }
    String serversId = Files.readAllLines(dir.resolve("server.log")).stream().filter(line -> line.startsWith("request tasks/get "))
        .map(line -> line.substring("request tasks/get ".length())).findFirst().orElseThrow();
    assertThat(task("w1", "tasks/get", serversId).at("/error/code").asInt()).isEqualTo(JsonRpcError.INVALID_PARAMS);
    assertThat(task("w1", "tasks/get", taskId).at("/result/status").asText()).as("still running: w2's cancel never reached it")
        .isEqualTo("working");
  }

  @Test
  void aCallerWithNoRoomForAnotherTaskGetsItsCallRunPlainlyUntilItCancelsOne() {
    List<String> held = new java.util.ArrayList<>();
    for (int i = 0; i < TaskRegistry.MAX_PER_SESSION; i++) {
      held.add(call("w1", "tasks.slow_compute", "{\"seconds\":60}", EXTENSION).at("/result/taskId").asText());
    }
    assertThat(held).allMatch(taskId -> taskId.startsWith("cmcp-task-"));
    // The server is not told of the extension, so it runs the call at once.
    JsonNode plain = call("w1", "tasks.slow_compute", "{\"seconds\":0,\"label\":\"full\"}", EXTENSION);
    assertThat(plain.at("/result/resultType").asText()).as(plain.toString()).isEqualTo("complete");
    assertThat(plain.at("/result/content/0/text").asText()).isEqualTo("computed full");
    assertThat(call("w2", "tasks.slow_compute", "{\"seconds\":60}", EXTENSION).at("/result/resultType").asText())
        .as("another caller has room of its own").isEqualTo("task");

    task("w1", "tasks/cancel", held.get(0));
    assertThat(call("w1", "tasks.slow_compute", "{\"seconds\":60}", EXTENSION).at("/result/resultType").asText())
        .as("a cancelled task makes room for its caller's next").isEqualTo("task");
    held.forEach(taskId -> task("w1", "tasks/cancel", taskId));
  }

  @Test
  void aToolErrorCompletesAndAProtocolErrorFailsAsTheServerSaid() throws Exception {
    String toolError = call("w1", "tasks.failing_job", "{}", EXTENSION).at("/result/taskId").asText();
    JsonNode completed = awaitStatus("w1", toolError, "completed");
    assertThat(completed.at("/result/status").asText()).isEqualTo("completed");
    assertThat(completed.at("/result/result/isError").asBoolean()).isTrue();

    String protocolError = call("w1", "tasks.protocol_error_job", "{}", EXTENSION).at("/result/taskId").asText();
    JsonNode failed = awaitStatus("w1", protocolError, "failed");
    assertThat(failed.at("/result/status").asText()).as(failed.toString()).isEqualTo("failed");
    assertThat(failed.at("/result/error/code").asInt()).isEqualTo(-32603);
    assertThat(failed.at("/result").has("result")).isFalse();
    assertThat(outcomes()).containsExactly("task_created", "tool_error", "task_created", "upstream_error");
  }

  @Test
  void theServersQuestionsReachTheAgentAndItsAnswersTheServer() throws Exception {
    String taskId = call("w1", "tasks.confirm_delete", "{\"path\":\"/tmp/x\"}", EXTENSION).at("/result/taskId").asText();
    JsonNode asking = awaitStatus("w1", taskId, "input_required");
    assertThat(asking.at("/result/status").asText()).as(asking.toString()).isEqualTo("input_required");
    assertThat(asking.at("/result/inputRequests/confirm/method").asText()).isEqualTo("elicitation/create");

    JsonNode ack = send("w1", "tasks/update", Optional.of(taskId), "\"taskId\":\"" + taskId + "\",\"inputResponses\":"
        + "{\"confirm\":{\"action\":\"accept\",\"content\":{\"confirm\":true}}}", EXTENSION).body().orElseThrow();
    assertThat(ack.path("result").path("resultType").asText()).as(ack.toString()).isEqualTo("complete");
    assertThat(ack.path("result").has("taskId")).isFalse();
    JsonNode done = awaitStatus("w1", taskId, "completed");
    assertThat(done.at("/result/result/content/0/text").asText()).as(done.toString()).isEqualTo("deleted");
  }

  @Test
  void cancelIsAcknowledgedAndAuditedAsTheCreatingCallsOutcome() throws Exception {
    String taskId = call("w1", "tasks.slow_compute", "{\"seconds\":60}", EXTENSION).at("/result/taskId").asText();
    JsonNode ack = task("w1", "tasks/cancel", taskId);
    assertThat(ack.path("result").path("resultType").asText()).as(ack.toString()).isEqualTo("complete");
    assertThat(ack.path("result").has("taskId") || ack.path("result").has("status")).isFalse();
    assertThat(task("w1", "tasks/get", taskId).at("/result/status").asText()).isEqualTo("cancelled");
    assertThat(outcomes()).containsExactly("task_created", "cancelled");
  }

  @Test
  void aRedactingPermitRedactsTheInlinedResultAndAReloadWithholdsIt() throws Exception {
    String secret = call("w1", "tasks.secret_report", "{}", EXTENSION).at("/result/taskId").asText();
    JsonNode done = awaitStatus("w1", secret, "completed");
    assertThat(done.at("/result/result/content/0/text").asText()).as(done.toString()).startsWith("contact: ")
        .doesNotContain("alice@example.com");

    String later = call("w1", "tasks.slow_compute", "{\"seconds\":0}", EXTENSION).at("/result/taskId").asText();
    gateway.reloadPolicies(POLICIES + "\nforbid (principal, action, resource == Tool::\"tasks.greet\");");
    JsonNode withheld = awaitStatus("w1", later, "completed");
    assertThat(withheld.at("/error/data/error").asText()).as(withheld.toString()).isEqualTo("task_policy_changed");
    assertThat(outcomes()).contains("withheld_policy_changed");
  }

  private McpEndpoint.Listening listen(String workflow, String capabilities, String taskIdsJson) {
    String body = "{\"jsonrpc\":\"2.0\",\"id\":\"l-1\",\"method\":\"subscriptions/listen\",\"params\":{\"_meta\":"
        + "{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\",\"io.modelcontextprotocol/clientCapabilities\":"
        + capabilities + "},\"notifications\":{\"taskIds\":" + taskIdsJson + "}}}";
    return gateway.endpoint.listen(new McpHttpRequest(Optional.empty(), Optional.of("2026-07-28"), Optional.of(workflow),
        body.getBytes(StandardCharsets.UTF_8), Optional.empty(), Identity.UNAUTHENTICATED,
        new McpHttpRequest.MirroredHeaders(Optional.of("subscriptions/listen"), Optional.empty())));
  }

  @Test
  void listeningForTaskNotificationsNeedsTheExtension() {
    McpEndpoint.Listening refused = listen("w1", "{}", "[\"cmcp-task-x\"]");
    assertThat(refused).isInstanceOf(McpEndpoint.Listening.Answered.class);
    McpHttpResponse answer = ((McpEndpoint.Listening.Answered) refused).response();
    assertThat(answer.status()).isEqualTo(400);
    assertThat(answer.body().orElseThrow().at("/error/code").asInt()).isEqualTo(-32021);
  }

  @Test
  void aTasksStatusesReachItsCallersListenUnderTheGatewaysIdWithTheResultAuditedAndNoOneElses() throws Exception {
    String taskId = call("w1", "tasks.confirm_delete", "{\"path\":\"/tmp/x\"}", EXTENSION).at("/result/taskId").asText();
    McpEndpoint.Listening.Opened mine =
        (McpEndpoint.Listening.Opened) listen("w1", EXTENSION, "[\"" + taskId + "\",\"cmcp-task-unknown\"]");
    McpEndpoint.Listening.Opened theirs = (McpEndpoint.Listening.Opened) listen("w2", EXTENSION, "[\"" + taskId + "\"]");
    try (SessionStreams.Stream myStream = mine.stream(); SessionStreams.Stream theirStream = theirs.stream()) {
      assertThat(mine.acknowledgment().at("/params/notifications/taskIds").valueStream().map(JsonNode::asText))
          .as(mine.acknowledgment().toString()).containsExactly(taskId);
      assertThat(theirs.acknowledgment().at("/params/notifications/taskIds").isEmpty()).as("another caller's task is not listened to")
          .isTrue();
      send("w1", "tasks/update", Optional.of(taskId), "\"taskId\":\"" + taskId + "\",\"inputResponses\":"
          + "{\"confirm\":{\"action\":\"accept\",\"content\":{\"confirm\":true}}}", EXTENSION);
      JsonNode completed = null;
      for (Optional<ObjectNode> next; completed == null && (next = myStream.next(10_000)).isPresent(); ) {
        if (next.get().path("method").asText().equals("notifications/tasks")) {
          assertThat(next.get().at("/params/taskId").asText()).isEqualTo(taskId);
          assertThat(next.get().at("/params/_meta/io.modelcontextprotocol~1subscriptionId").asText()).isEqualTo("l-1");
          if (next.get().at("/params/status").asText().equals("completed")) {
            completed = next.get();
          }
        }
      }
      assertThat(completed).as("the listen hears the task complete").isNotNull();
      assertThat(completed.at("/params/result/content/0/text").asText()).isEqualTo("deleted");
      assertThat(outcomes()).containsExactly("task_created", "ok");
      assertThat(theirStream.next(0)).as("another caller hears nothing").isEmpty();
    }
  }

  @Test
  void a2025ServersTaskReachesA2026AgentInTheExtensionsFormAndItsResultIsAuditedAsTheCreatingCalls() throws Exception {
    // server-everything (stdio, 2025-11-25) runs simulate-research-query only as a task.
    JsonNode created = call("w1", "everything.research", "{\"topic\":\"tides\"}", EXTENSION);
    JsonNode result = created.path("result");
    assertThat(result.path("resultType").asText()).as(created.toString()).isEqualTo("task");
    String taskId = result.path("taskId").asText();
    assertThat(taskId).startsWith("cmcp-task-");
    assertThat(result.has("task") || result.has("ttl")).as("the extension's flat form").isFalse();
    assertThat(result.path("ttlMs").asLong()).isPositive();

    JsonNode done = awaitStatus("w1", taskId, "completed");
    assertThat(done.at("/result/status").asText()).as(done.toString()).isEqualTo("completed");
    assertThat(done.at("/result/result/content/0/text").asText()).contains("Research Report: tides");
    assertThat(done.at("/result/result/_meta").has("io.modelcontextprotocol/related-task")).isFalse();
    assertThat(task("w2", "tasks/get", taskId).at("/error/code").asInt()).isEqualTo(JsonRpcError.INVALID_PARAMS);
    assertThat(outcomes()).containsExactly("task_created", "ok");
    assertThat(Files.readString(gateway.auditFile())).doesNotContain("tides");
  }

  @Test
  void a2025ServersTaskCancelledByA2026AgentIsAcknowledgedAndAudited() throws Exception {
    String taskId = call("w1", "everything.research", "{\"topic\":\"winds\"}", EXTENSION).at("/result/taskId").asText();
    JsonNode ack = task("w1", "tasks/cancel", taskId);
    assertThat(ack.path("result").path("resultType").asText()).as(ack.toString()).isEqualTo("complete");
    assertThat(ack.path("result").has("taskId")).isFalse();
    assertThat(task("w1", "tasks/get", taskId).at("/result/status").asText()).isEqualTo("cancelled");
    assertThat(outcomes()).containsExactly("task_created", "cancelled");
  }

  @Test
  void a2025ServersTaskThatAsksForInputIsNotTranslatedAndTheAgentIsToldWhy() throws Exception {
    // An ambiguous topic makes server-everything ask (elicitation) during the task.
    String taskId = call("w1", "everything.research", "{\"topic\":\"python\",\"ambiguous\":true}", EXTENSION)
        .at("/result/taskId").asText();
    JsonNode asking = awaitStatus("w1", taskId, "input_required");
    assertThat(asking.at("/error/data/error").asText()).as(asking.toString()).isEqualTo("task_input_not_translated");
    assertThat(task("w1", "tasks/cancel", taskId).path("result").path("resultType").asText()).isEqualTo("complete");
  }

  @Test
  void a2026AgentWithoutTheExtensionCallingA2025ServersTaskOnlyToolIsMissingRequiredClientCapability() {
    McpHttpResponse refused = send("w1", "tools/call", Optional.of("everything.research"),
        "\"name\":\"everything.research\",\"arguments\":{\"topic\":\"tides\"}", "{}");
    assertThat(refused.status()).isEqualTo(400);
    JsonNode error = refused.body().orElseThrow().path("error");
    assertThat(error.path("code").asInt()).as(error.toString()).isEqualTo(-32021);
    assertThat(error.at("/data/requiredCapabilities/extensions/io.modelcontextprotocol~1tasks").isObject()).isTrue();
  }

  @Test
  void a2025AgentInFrontOfA2026OnlyServerGetsTheServersMissingCapabilityError() {
    McpHttpResponse opened = gateway.send(Optional.empty(), "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"
        + "{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}");
    String session = opened.headers().get("Mcp-Session-Id");
    JsonNode answer = gateway.send(Optional.of(session), "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":"
        + "{\"name\":\"tasks.failing_job\",\"arguments\":{},\"task\":{\"ttl\":60000}}}").body().orElseThrow();
    // The gateway does not declare the extension for a 2025 agent, which could not use it: the server says what it needs.
    assertThat(answer.at("/error/code").asInt()).as(answer.toString()).isEqualTo(-32021);
    assertThat(answer.at("/error/data/requiredCapabilities/extensions").has("io.modelcontextprotocol/tasks")).isTrue();
    assertThat(answer.at("/error/message").asText()).contains("2026-07-28 client declaring io.modelcontextprotocol/tasks");
  }
}
