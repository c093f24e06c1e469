package dev.cmcp.gateway.upstream;

import static dev.cmcp.gateway.upstream.Interop.PATIENT;
import static dev.cmcp.gateway.upstream.Interop.awaitTrue;
import static dev.cmcp.gateway.upstream.Interop.catalog;
import static dev.cmcp.gateway.upstream.Interop.echo;
import static dev.cmcp.gateway.upstream.Interop.longRunning;
import static dev.cmcp.gateway.upstream.Interop.node;
import static dev.cmcp.gateway.upstream.Interop.serverEverything;
import static dev.cmcp.gateway.upstream.Interop.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** A stdio upstream against the real reference server, server-everything. */
class StdioUpstreamTest {

  @Test
  void listsToolsAndForwardsACall() throws Exception {
    try (Upstreams upstreams = new Upstreams(catalog(node("everything", serverEverything(), "stdio")), PATIENT)) {
      upstreams.start();

      assertThat(upstreams.tools("everything")).extracting(tool -> tool.path("name").asText()).contains("echo");
      ObjectNode answer = upstreams.connection("everything").request("tools/call", echo("hi"));
      assertThat(text(answer)).isEqualTo("Echo: hi");
    }
  }

  @Test
  void concurrentCallsEachGetTheirOwnAnswer() throws Exception {
    try (Upstreams upstreams = new Upstreams(catalog(node("everything", serverEverything(), "stdio")), PATIENT);
        ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
      upstreams.start();
      UpstreamConnection connection = upstreams.connection("everything");

      List<Future<String>> answers = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        String message = "call " + i;
        answers.add(callers.submit(() -> text(connection.request("tools/call", echo(message)))));
      }
      for (int i = 0; i < 50; i++) {
        assertThat(answers.get(i).get()).isEqualTo("Echo: call " + i);
      }
    }
  }

  @Test
  void killedChildFailsTheCallInFlightAndIsRestarted() throws Exception {
    try (Upstreams upstreams = new Upstreams(catalog(node("everything", serverEverything(), "stdio")), PATIENT);
        ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
      upstreams.start();
      StdioConnection connection = (StdioConnection) upstreams.connection("everything");
      ProcessHandle first = connection.process().orElseThrow();

      Future<UpstreamException> inFlight =
          callers.submit(
              () -> catchThrowableOfType(
                  UpstreamException.class, () -> connection.request("tools/call", longRunning(60))));
      awaitTrue("the long call to be in flight", () -> connection.requestsInFlight() == 1);
      first.destroyForcibly();

      UpstreamException failure = inFlight.get();
      assertThat(failure.kind()).isEqualTo(UpstreamException.Kind.UNAVAILABLE);
      assertThat(failure).hasMessageContaining("upstream everything exited before answering tools/call");

      awaitTrue(
          "a new child to be started and initialized",
          () -> connection.process().filter(child -> child.pid() != first.pid()).isPresent());
      assertThat(text(connection.request("tools/call", echo("back")))).isEqualTo("Echo: back");
    }
  }

  @Test
  void slowAnswerTimesOutAndTheConnectionStaysUsable() throws Exception {
    UpstreamSettings impatient = new UpstreamSettings(Duration.ofSeconds(3), 1024 * 1024);
    try (Upstreams upstreams = new Upstreams(catalog(node("everything", serverEverything(), "stdio")), impatient)) {
      upstreams.start();
      UpstreamConnection connection = upstreams.connection("everything");

      UpstreamException timeout =
          catchThrowableOfType(UpstreamException.class, () -> connection.request("tools/call", longRunning(30)));

      assertThat(timeout.kind()).isEqualTo(UpstreamException.Kind.TIMEOUT);
      assertThat(timeout).hasMessage("upstream everything did not answer tools/call within 3 s");
      assertThat(text(connection.request("tools/call", echo("after")))).isEqualTo("Echo: after");
    }
  }

  @Test
  void oversizedAnswerFailsOnlyItsOwnCall() throws Exception {
    UpstreamSettings small = new UpstreamSettings(Duration.ofSeconds(20), 4096);
    try (Upstreams upstreams = new Upstreams(catalog(node("everything", serverEverything(), "stdio")), small)) {
      upstreams.start();
      UpstreamConnection connection = upstreams.connection("everything");

      UpstreamException tooLarge =
          catchThrowableOfType(
              UpstreamException.class, () -> connection.request("tools/call", echo("x".repeat(100_000))));

      assertThat(tooLarge.kind()).isEqualTo(UpstreamException.Kind.RESPONSE_TOO_LARGE);
      assertThat(tooLarge).hasMessageContaining("answered tools/call with more than 4096 bytes");
      assertThat(text(connection.request("tools/call", echo("small")))).isEqualTo("Echo: small");
    }
  }
}
