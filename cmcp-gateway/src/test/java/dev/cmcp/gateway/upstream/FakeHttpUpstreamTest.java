package dev.cmcp.gateway.upstream;

import static dev.cmcp.gateway.upstream.Interop.PATIENT;
import static dev.cmcp.gateway.upstream.Interop.catalog;
import static dev.cmcp.gateway.upstream.Interop.text;
import static dev.cmcp.gateway.upstream.Interop.toolCall;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import dev.cmcp.gateway.catalog.UpstreamServer;
import dev.cmcp.verify.base.StrictJson;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Streamable HTTP cases the reference server cannot be made to show: a session that expires
 * with 404, plain JSON answers, and an SSE stream in an unusual but valid shape.
 */
class FakeHttpUpstreamTest {
  private final StrictJson json = new StrictJson();
  private final AtomicInteger sessions = new AtomicInteger();
  private final List<Headers> requestHeaders = new CopyOnWriteArrayList<>();
  /** The request of the {@code hang} tool, once it arrived; the server never answers it. */
  private final CompletableFuture<JsonNode> hanging = new CompletableFuture<>();
  private final CompletableFuture<JsonNode> cancelledNotice = new CompletableFuture<>();
  /** The gateway's reply to the server's request sent on the {@code ask} tool's stream. */
  private final CompletableFuture<JsonNode> replyToServer = new CompletableFuture<>();
  @AutoClose private LoopbackHttpUpstream server;
  /** What the session's standalone stream carries, once completed; null: the server offers no stream. */
  private volatile CompletableFuture<String> onStandaloneStream;
  /** The headers of each GET that resumed an answer's stream (it carries Last-Event-ID), in order. */
  private final List<Headers> resumptions = new CopyOnWriteArrayList<>();
  /** How many times a tools/call reached the server. */
  private final AtomicInteger toolCalls = new AtomicInteger();
  /** The request of the last tools/call, whose answer a resumed stream carries. */
  private volatile JsonNode lastToolCall;

  @BeforeEach
  void startServer() throws IOException {
    server = new LoopbackHttpUpstream(this::handle);
  }

  private UpstreamServer.StreamableHttp fake(Map<String, String> headers) {
    return new UpstreamServer.StreamableHttp("fake", server.url(), headers);
  }

  /** Where a call that the test cancels runs: a platform thread here, which takes the asynchronous HttpClient. */
  Executor callers() {
    return ForkJoinPool.commonPool();
  }

  private static JsonNode call(Upstreams upstreams, String tool) throws Exception {
    return upstreams.connection("fake").request("tools/call", toolCall(tool, JsonNodeFactory.instance.objectNode()));
  }

  @Test
  void expiredSessionIsReplacedAndTheCallRetriedOnce() throws Exception {
    try (Upstreams upstreams = new Upstreams(catalog(fake(Map.of("Authorization", "Bearer upstream-token"))), PATIENT)) {
      upstreams.start();
      assertThat(text(call(upstreams, "plain"))).isEqualTo("plain answer in session-1");

      sessions.incrementAndGet(); // the server forgets session-1

      assertThat(text(call(upstreams, "plain"))).isEqualTo("plain answer in session-2");
      Headers last = requestHeaders.getLast();
      assertThat(last.getFirst("Mcp-Session-Id")).isEqualTo("session-2");
      assertThat(last.getFirst("MCP-Protocol-Version")).isEqualTo("2025-06-18");
      assertThat(last.getFirst("Authorization")).isEqualTo("Bearer upstream-token");
      assertThat(last.getFirst("Accept")).contains("application/json").contains("text/event-stream");
    }
  }

  @Test
  void reachabilityFollowsTheLastExchange() throws Exception {
    try (Upstreams upstreams = new Upstreams(catalog(fake(Map.of())), PATIENT)) {
      upstreams.start();
      assertThat(upstreams.problem("fake")).isEmpty();

      server.close();
      UpstreamException down = catchThrowableOfType(UpstreamException.class, () -> call(upstreams, "plain"));

      assertThat(down.kind()).isEqualTo(UpstreamException.Kind.UNAVAILABLE);
      assertThat(upstreams.problem("fake")).hasValue(down.getMessage());
    }
  }

  @Test
  void answerIsFoundAmongOtherEventsOfAnEventStream() throws Exception {
    try (Upstreams upstreams = new Upstreams(catalog(fake(Map.of())), PATIENT)) {
      upstreams.start();

      assertThat(text(call(upstreams, "stream"))).isEqualTo("streamed answer");
    }
  }

  @Test
  void oversizedJsonAnswerFailsTheCall() throws Exception {
    UpstreamSettings small = new UpstreamSettings(Duration.ofSeconds(20), 4096);
    try (Upstreams upstreams = new Upstreams(catalog(fake(Map.of())), small)) {
      upstreams.start();

      UpstreamException tooLarge = catchThrowableOfType(UpstreamException.class, () -> call(upstreams, "big"));

      assertThat(tooLarge.kind()).isEqualTo(UpstreamException.Kind.RESPONSE_TOO_LARGE);
      assertThat(text(call(upstreams, "plain"))).startsWith("plain answer");
    }
  }

  @Test
  void headerTheHttpClientRefusesIsReportedAsACatalogProblem() throws Exception {
    try (Upstreams upstreams = new Upstreams(catalog(fake(Map.of("Host", "elsewhere.example"))), PATIENT)) {
      upstreams.start();

      UpstreamException misconfigured = catchThrowableOfType(UpstreamException.class, () -> call(upstreams, "plain"));

      assertThat(misconfigured.kind()).isEqualTo(UpstreamException.Kind.UNAVAILABLE);
      assertThat(misconfigured).hasMessageContaining("upstream fake cannot be used").hasMessageContaining("'Host'");
    }
  }

  @Test
  void refusedHeaderValueIsNotQuotedInTheError() throws Exception {
    try (Upstreams upstreams = new Upstreams(catalog(fake(Map.of("Authorization", "Bearer secret\nsmuggled"))), PATIENT)) {
      upstreams.start();

      UpstreamException misconfigured = catchThrowableOfType(UpstreamException.class, () -> call(upstreams, "plain"));

      assertThat(misconfigured.kind()).isEqualTo(UpstreamException.Kind.UNAVAILABLE);
      assertThat(misconfigured).hasMessageContaining("'Authorization'").hasMessageNotContaining("secret");
    }
  }

  @Test
  void cancellingACallInFlightTellsTheServerUnderItsIdAndStopsWaiting() throws Exception {
    try (Upstreams upstreams = new Upstreams(catalog(fake(Map.of())), PATIENT)) {
      upstreams.start();
      Cancellation cancellation = new Cancellation();
      CompletableFuture<UpstreamException> failure = CompletableFuture.supplyAsync(() -> catchThrowableOfType(UpstreamException.class,
          () -> upstreams.connection("fake").request("tools/call", toolCall("hang", JsonNodeFactory.instance.objectNode()), cancellation,
              StreamWatcher.NONE)),
          callers());
      JsonNode request = hanging.get(20, TimeUnit.SECONDS);

      cancellation.cancel("cancelled by the agent");

      assertThat(failure.get(20, TimeUnit.SECONDS).kind()).isEqualTo(UpstreamException.Kind.CANCELLED);
      JsonNode notice = cancelledNotice.get(20, TimeUnit.SECONDS);
      assertThat(notice.path("params").path("requestId")).isEqualTo(request.get("id"));
    }
  }

  @Test
  void aServerRequestOnTheAnswersStreamGoesToTheCallInFlightAndItsReplyBackUnderTheServersId() throws Exception {
    try (Upstreams upstreams = new Upstreams(catalog(fake(Map.of())), PATIENT)) {
      upstreams.start();
      List<JsonNode> asked = new CopyOnWriteArrayList<>();
      AgentRelays.Relay agent = new AgentRelays.Relay() {
        @Override
        public void log(ObjectNode notification) {}

        @Override
        public boolean ask(ObjectNode request, Consumer<ObjectNode> answer) {
          asked.add(request);
          ObjectNode response = JsonNodeFactory.instance.objectNode().put("id", "cmcp-request-1");
          response.putObject("result").put("model", "agent-model");
          answer.accept(response);
          return true;
        }
      };
      JsonNode answer;
      try (AgentRelays.Registration inFlight = upstreams.relays().open("fake", Upstreams.SHARED_SESSION, agent)) {
        answer = call(upstreams, "ask");
      }

      assertThat(asked).singleElement().satisfies(request -> assertThat(request.path("method").asText()).isEqualTo("sampling/createMessage"));
      assertThat(replyToServer.get(20, TimeUnit.SECONDS).toString())
          .isEqualTo("{\"jsonrpc\":\"2.0\",\"id\":\"srv-9\",\"result\":{\"model\":\"agent-model\"}}");
      assertThat(text(answer)).isEqualTo("asked");
    }
  }

  @Test
  void aServerRequestOnTheStandaloneStreamWithNoAgentToTakeItIsRefusedAtOnceWithTheReason() throws Exception {
    onStandaloneStream = new CompletableFuture<>();
    try (Upstreams upstreams = new Upstreams(catalog(fake(Map.of())), PATIENT)) {
      upstreams.start();
      onStandaloneStream.complete("{\"jsonrpc\":\"2.0\",\"id\":\"srv-get-1\",\"method\":\"sampling/createMessage\","
          + "\"params\":{\"messages\":[],\"maxTokens\":5}}");

      // Well within the 20 s request timeout: nobody waits for an agent that is not there.
      JsonNode reply = replyToServer.get(5, TimeUnit.SECONDS);
      assertThat(reply.path("id").asText()).isEqualTo("srv-get-1");
      assertThat(reply.at("/error/message").asText()).contains("does not offer sampling/createMessage")
          .contains("relayed only to the agent of the one call in flight");
    }
  }

  @Test
  void aServerRequestOnTheStandaloneStreamGoesToTheAgentWhoseCallIsInFlight() throws Exception {
    onStandaloneStream = new CompletableFuture<>();
    try (Upstreams upstreams = new Upstreams(catalog(fake(Map.of())), PATIENT)) {
      upstreams.start();
      AgentRelays.Relay agent = new AgentRelays.Relay() {
        @Override
        public void log(ObjectNode notification) {}

        @Override
        public boolean ask(ObjectNode request, Consumer<ObjectNode> answer) {
          ObjectNode response = JsonNodeFactory.instance.objectNode().put("id", "cmcp-request-1");
          response.putObject("result").put("model", "agent-model");
          answer.accept(response);
          return true;
        }
      };
      try (AgentRelays.Registration inFlight = upstreams.relays().open("fake", Upstreams.SHARED_SESSION, agent)) {
        onStandaloneStream.complete("{\"jsonrpc\":\"2.0\",\"id\":\"srv-get-2\",\"method\":\"sampling/createMessage\","
            + "\"params\":{\"messages\":[],\"maxTokens\":5}}");
        assertThat(replyToServer.get(5, TimeUnit.SECONDS).toString())
            .isEqualTo("{\"jsonrpc\":\"2.0\",\"id\":\"srv-get-2\",\"result\":{\"model\":\"agent-model\"}}");
      }
    }
  }

  @Test
  void anAnswersStreamClosedAfterAnEventIdIsResumedInTheSessionAndEventsSentAgainAreHandledOnce() throws Exception {
    try (Upstreams upstreams = new Upstreams(catalog(fake(Map.of("Authorization", "Bearer upstream-token"))), PATIENT)) {
      upstreams.start();
      List<JsonNode> asked = new CopyOnWriteArrayList<>();
      AgentRelays.Relay agent = new AgentRelays.Relay() {
        @Override
        public void log(ObjectNode notification) {}

        @Override
        public boolean ask(ObjectNode request, Consumer<ObjectNode> answer) {
          asked.add(request);
          ObjectNode response = JsonNodeFactory.instance.objectNode().put("id", "cmcp-request-1");
          response.putObject("result").put("model", "agent-model");
          answer.accept(response);
          return true;
        }
      };
      JsonNode answer;
      try (AgentRelays.Registration inFlight = upstreams.relays().open("fake", Upstreams.SHARED_SESSION, agent)) {
        answer = call(upstreams, "poll");
      }

      assertThat(text(answer)).isEqualTo("resumed answer");
      assertThat(toolCalls).hasValue(1);
      assertThat(resumptions).extracting(headers -> headers.getFirst("Last-Event-ID")).containsExactly("p-1", "p-2");
      assertThat(resumptions).allSatisfy(headers -> {
        assertThat(headers.getFirst("Mcp-Session-Id")).isEqualTo("session-1");
        assertThat(headers.getFirst("MCP-Protocol-Version")).isEqualTo("2025-06-18");
        assertThat(headers.getFirst("Authorization")).isEqualTo("Bearer upstream-token");
        assertThat(headers.getFirst("Accept")).isEqualTo("text/event-stream");
      });
      // The sampling request came twice, the second time replayed under the same event id.
      assertThat(asked).singleElement().satisfies(request -> assertThat(request.path("id").asText()).isEqualTo("srv-7"));
    }
  }

  @Test
  void aServerThatKeepsClosingTheAnswersStreamIsResumedOnlySoOften() throws Exception {
    try (Upstreams upstreams = new Upstreams(catalog(fake(Map.of())), PATIENT)) {
      upstreams.start();

      UpstreamException failed = catchThrowableOfType(UpstreamException.class, () -> call(upstreams, "drop"));

      assertThat(failed.kind()).isEqualTo(UpstreamException.Kind.UNAVAILABLE);
      assertThat(failed).hasMessageContaining("closed its event stream " + (HttpConnection.MAX_RESUMES + 1) + " times");
      assertThat(resumptions).hasSize(HttpConnection.MAX_RESUMES);
      assertThat(toolCalls).hasValue(1);
    }
  }

  @Test
  void aStreamClosedWithoutAnEventIdFailsTheCall() throws Exception {
    try (Upstreams upstreams = new Upstreams(catalog(fake(Map.of())), PATIENT)) {
      upstreams.start();

      UpstreamException failed = catchThrowableOfType(UpstreamException.class, () -> call(upstreams, "cut"));

      assertThat(failed.kind()).isEqualTo(UpstreamException.Kind.UNAVAILABLE);
      assertThat(failed).hasMessageContaining("closed its event stream before answering tools/call, with no event id");
      assertThat(resumptions).isEmpty();
    }
  }

  @Test
  void aResumptionTheServerRefusesFailsTheCallWithoutSendingTheRequestAgain() throws Exception {
    try (Upstreams upstreams = new Upstreams(catalog(fake(Map.of())), PATIENT)) {
      upstreams.start();

      UpstreamException failed = catchThrowableOfType(UpstreamException.class, () -> call(upstreams, "unresumable"));

      assertThat(failed.kind()).isEqualTo(UpstreamException.Kind.UNAVAILABLE);
      assertThat(failed).hasMessageContaining("did not resume it when asked").hasMessageContaining("HTTP 405");
      assertThat(resumptions).hasSize(1);
      assertThat(toolCalls).hasValue(1);
    }
  }

  @Test
  void aRetryLongerThanTheCallMayStillTakeFailsAtOnceAsATimeout() throws Exception {
    try (Upstreams upstreams = new Upstreams(catalog(fake(Map.of())), new UpstreamSettings(Duration.ofSeconds(3), 1 << 20))) {
      upstreams.start();

      UpstreamException failed = catchThrowableOfType(UpstreamException.class, () -> call(upstreams, "slow-retry"));

      assertThat(failed.kind()).isEqualTo(UpstreamException.Kind.TIMEOUT);
      // The server asked for a minute; the gateway would wait at most its cap, which is past the deadline too.
      assertThat(failed).hasMessageContaining("asked to wait " + UpstreamException.describe(HttpConnection.MAX_RESUME_WAIT));
      assertThat(resumptions).isEmpty();
      assertThat(cancelledNotice.get(20, TimeUnit.SECONDS).path("params").path("requestId")).isEqualTo(lastToolCall.get("id"));
    }
  }

  @Test
  void cancellingACallWaitingToResumeTellsTheServerAndStopsWaiting() throws Exception {
    try (Upstreams upstreams = new Upstreams(catalog(fake(Map.of())), PATIENT)) {
      upstreams.start();
      Cancellation cancellation = new Cancellation();
      CompletableFuture<UpstreamException> failure = CompletableFuture.supplyAsync(() -> catchThrowableOfType(UpstreamException.class,
          () -> upstreams.connection("fake").request("tools/call", toolCall("slow-retry", JsonNodeFactory.instance.objectNode()),
              cancellation, StreamWatcher.NONE)),
          callers());
      JsonNode request = hanging.get(20, TimeUnit.SECONDS);

      cancellation.cancel("cancelled by the agent");

      // Well within the 10 s the gateway would wait before resuming.
      assertThat(failure.get(5, TimeUnit.SECONDS).kind()).isEqualTo(UpstreamException.Kind.CANCELLED);
      assertThat(cancelledNotice.get(20, TimeUnit.SECONDS).path("params").path("requestId")).isEqualTo(request.get("id"));
      assertThat(resumptions).isEmpty();
    }
  }

  private void handle(HttpExchange exchange) throws IOException {
    if (exchange.getRequestMethod().equals("GET")) {
      if (exchange.getRequestHeaders().containsKey("Last-Event-ID")) {
        resumedStream(exchange);
      } else {
        standaloneStream(exchange);
      }
      return;
    }
    try (exchange) {
      requestHeaders.add(exchange.getRequestHeaders());
      JsonNode message = json.parse(exchange.getRequestBody().readAllBytes());
      String session = "session-" + sessions.get();
      if (message.path("method").asText().equals("initialize")) {
        sessions.compareAndSet(0, 1);
        exchange.getResponseHeaders().set("Mcp-Session-Id", "session-" + sessions.get());
        String result =
            "{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"serverInfo\":{\"name\":\"fake\",\"version\":\"1\"}}";
        respond(exchange, 200, "application/json", answer(message, result));
      } else if (!session.equals(exchange.getRequestHeaders().getFirst("Mcp-Session-Id"))) {
        respond(exchange, 404, "text/plain", "no such session");
      } else if (!message.has("id")) {
        if (message.path("method").asText().equals("notifications/cancelled")) {
          cancelledNotice.complete(message);
        }
        exchange.sendResponseHeaders(202, -1);
      } else if (!message.has("method")) {
        replyToServer.complete(message);
        exchange.sendResponseHeaders(202, -1);
      } else {
        if (message.path("method").asText().equals("tools/call")) {
          toolCalls.incrementAndGet();
          lastToolCall = message;
        }
        switch (message.path("params").path("name").asText()) {
          case "hang" -> {
            hanging.complete(message);
            cancelledNotice.join();
            respond(exchange, 200, "application/json", answer(message, content("too late")));
          }
          case "ask" -> {
            // The server's request first; the answer only once the gateway has replied to it.
            exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
            exchange.sendResponseHeaders(200, 0);
            try (OutputStream out = exchange.getResponseBody()) {
              out.write(("data: {\"jsonrpc\":\"2.0\",\"id\":\"srv-9\",\"method\":\"sampling/createMessage\",\"params\":"
                  + "{\"messages\":[],\"maxTokens\":5}}\n\n").getBytes(StandardCharsets.UTF_8));
              out.flush();
              replyToServer.join();
              out.write(("data: " + answer(message, content("asked")) + "\n\n").getBytes(StandardCharsets.UTF_8));
            }
          }
          case "stream" -> {
            String answer = answer(message, content("streamed answer"));
            int split = answer.indexOf("\"id\"");
            // CRLF line ends, a priming event without data, a comment, a notification, an answer
            // to someone else, and ours split over two data lines.
            String events =
                "id: 1\r\ndata:\r\n\r\n"
                    + ": keep-alive\r\n\r\n"
                    + "event: message\r\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":{}}\r\n\r\n"
                    + "data: {\"jsonrpc\":\"2.0\",\"id\":999999,\"result\":{}}\r\n\r\n"
                    + "data: " + answer.substring(0, split) + "\r\ndata: " + answer.substring(split) + "\r\n\r\n";
            respond(exchange, 200, "text/event-stream", events);
          }
          // Each closes the stream before the answer, as a server polling the client does (SEP-1699).
          case "poll" -> respond(exchange, 200, "text/event-stream", "id: p-0\nretry: 20\ndata:\n\n"
              + "id: p-1\ndata: {\"jsonrpc\":\"2.0\",\"id\":\"srv-7\",\"method\":\"sampling/createMessage\","
              + "\"params\":{\"messages\":[],\"maxTokens\":5}}\n\n");
          case "drop", "unresumable" -> respond(exchange, 200, "text/event-stream", "id: d-0\nretry: 1\ndata:\n\n");
          case "cut" -> respond(exchange, 200, "text/event-stream", "data:\n\n");
          case "slow-retry" -> {
            hanging.complete(message);
            respond(exchange, 200, "text/event-stream", "id: s-0\nretry: 60000\ndata:\n\n");
          }
          case "big" -> respond(exchange, 200, "application/json", answer(message, content("x".repeat(10_000))));
          default -> respond(exchange, 200, "application/json; charset=utf-8", answer(message, content("plain answer in " + session)));
        }
      }
    } catch (StrictJson.MalformedJsonException e) {
      respond(exchange, 400, "text/plain", "bad json");
    }
  }

  /**
   * A GET with Last-Event-ID: the rest of a closed answer's stream, as the tool that closed it
   * plays it: "poll" sends its sampling request again (same id), a notification, closes again,
   * then answers; "drop" closes every time; "unresumable" is refused.
   */
  private void resumedStream(HttpExchange exchange) throws IOException {
    resumptions.add(exchange.getRequestHeaders());
    String last = exchange.getRequestHeaders().getFirst("Last-Event-ID");
    try (exchange) {
      if (last.startsWith("d-") && lastToolCall.path("params").path("name").asText().equals("unresumable")) {
        exchange.sendResponseHeaders(405, -1);
      } else if (last.startsWith("d-")) {
        respond(exchange, 200, "text/event-stream", "id: d-" + resumptions.size() + "\ndata:\n\n");
      } else if (last.equals("p-1")) {
        respond(exchange, 200, "text/event-stream",
            "id: p-1\ndata: {\"jsonrpc\":\"2.0\",\"id\":\"srv-7\",\"method\":\"sampling/createMessage\","
                + "\"params\":{\"messages\":[],\"maxTokens\":5}}\n\n"
                + "id: p-2\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":{}}\n\n");
      } else if (last.equals("p-2")) {
        respond(exchange, 200, "text/event-stream", "id: p-3\ndata: " + answer(lastToolCall, content("resumed answer")) + "\n\n");
      } else {
        exchange.sendResponseHeaders(400, -1);
      }
    }
  }

  /**
   * The session's standalone stream: offered only when a test set {@link #onStandaloneStream},
   * which then carries that message, sent once the test says so; otherwise 405, as servers that
   * offer none answer.
   */
  private void standaloneStream(HttpExchange exchange) throws IOException {
    try (exchange) {
      if (onStandaloneStream == null) {
        exchange.sendResponseHeaders(405, -1);
        return;
      }
      exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
      exchange.sendResponseHeaders(200, 0);
      OutputStream out = exchange.getResponseBody();
      out.write(": open\n\n".getBytes(StandardCharsets.UTF_8));
      out.flush();
      out.write(("data: " + onStandaloneStream.join() + "\n\n").getBytes(StandardCharsets.UTF_8));
      out.flush();
      replyToServer.join();
    }
  }

  private static String answer(JsonNode request, String result) {
    return "{\"jsonrpc\":\"2.0\",\"id\":" + request.get("id") + ",\"result\":" + result + "}";
  }

  private static String content(String text) {
    return "{\"content\":[{\"type\":\"text\",\"text\":\"" + text + "\"}]}";
  }

  private static void respond(HttpExchange exchange, int status, String type, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", type);
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }
}
