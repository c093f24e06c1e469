package dev.cmcp.gateway.upstream;

import static dev.cmcp.gateway.upstream.Interop.PATIENT;
import static dev.cmcp.gateway.upstream.Interop.awaitTrue;
import static dev.cmcp.gateway.upstream.Interop.catalog;
import static dev.cmcp.gateway.upstream.Interop.echo;
import static dev.cmcp.gateway.upstream.Interop.longRunning;
import static dev.cmcp.gateway.upstream.Interop.serverEverything;
import static dev.cmcp.gateway.upstream.Interop.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.cmcp.gateway.catalog.UpstreamServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A Streamable HTTP upstream against the real reference server, server-everything. */
class HttpUpstreamTest {
  private final int port = Interop.freePort();
  private Process server;

  @BeforeEach
  void startServer() throws Exception {
    server = startEverything(port);
  }

  @AfterEach
  void stopServer() throws InterruptedException {
    stop(server);
  }

  private UpstreamServer.StreamableHttp everything() {
    return new UpstreamServer.StreamableHttp(
        "everything", URI.create("http://127.0.0.1:" + port + "/mcp"), Map.of("X-Test", "catalog header"));
  }

  @Test
  void listsToolsAndForwardsACall() throws Exception {
    try (Upstreams upstreams = new Upstreams(catalog(everything()), PATIENT)) {
      upstreams.start();

      assertThat(upstreams.tools("everything")).extracting(tool -> tool.path("name").asText()).contains("echo");
      assertThat(text(upstreams.connection("everything").request("tools/call", echo("hi")))).isEqualTo("Echo: hi");
    }
  }

  @Test
  void concurrentCallsEachGetTheirOwnAnswer() throws Exception {
    try (Upstreams upstreams = new Upstreams(catalog(everything()), PATIENT);
        ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
      upstreams.start();
      UpstreamConnection connection = upstreams.connection("everything");

      List<Future<String>> answers = new ArrayList<>();
      for (int i = 0; i < 30; i++) {
        String message = "call " + i;
        answers.add(callers.submit(() -> text(connection.request("tools/call", echo(message)))));
      }
      for (int i = 0; i < 30; i++) {
        assertThat(answers.get(i).get()).isEqualTo("Echo: call " + i);
      }
    }
  }

  @Test
  void slowAnswerTimesOutAndTheConnectionStaysUsable() throws Exception {
    UpstreamSettings impatient = new UpstreamSettings(Duration.ofSeconds(3), 1024 * 1024);
    try (Upstreams upstreams = new Upstreams(catalog(everything()), impatient)) {
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
    try (Upstreams upstreams = new Upstreams(catalog(everything()), small)) {
      upstreams.start();
      UpstreamConnection connection = upstreams.connection("everything");

      UpstreamException tooLarge =
          catchThrowableOfType(
              UpstreamException.class, () -> connection.request("tools/call", echo("x".repeat(100_000))));

      assertThat(tooLarge.kind()).isEqualTo(UpstreamException.Kind.RESPONSE_TOO_LARGE);
      assertThat(text(connection.request("tools/call", echo("small")))).isEqualTo("Echo: small");
    }
  }

  @Test
  void restartedServerGetsANewSession() throws Exception {
    try (Upstreams upstreams = new Upstreams(catalog(everything()), PATIENT)) {
      upstreams.start();
      UpstreamConnection connection = upstreams.connection("everything");
      assertThat(text(connection.request("tools/call", echo("before")))).isEqualTo("Echo: before");

      stop(server);
      server = startEverything(port);

      assertThat(text(connection.request("tools/call", echo("after")))).isEqualTo("Echo: after");
    }
  }

  @Test
  void unreachableServerFailsCallsButNotStart() throws Exception {
    stop(server);
    try (Upstreams upstreams = new Upstreams(catalog(everything()), PATIENT)) {
      upstreams.start();

      UpstreamException down =
          catchThrowableOfType(
              UpstreamException.class, () -> upstreams.connection("everything").request("tools/call", echo("hi")));

      assertThat(down.kind()).isEqualTo(UpstreamException.Kind.UNAVAILABLE);
      assertThat(down).hasMessageContaining("upstream everything is unreachable");
    }
  }

  private static Process startEverything(int port) throws Exception {
    ProcessBuilder builder =
        new ProcessBuilder("node", serverEverything().toString(), "streamableHttp")
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .redirectError(ProcessBuilder.Redirect.DISCARD);
    builder.environment().put("PORT", Integer.toString(port));
    Process process = builder.start();
    awaitTrue("server-everything to listen on port " + port, () -> listens(port) || !process.isAlive());
    assertThat(process.isAlive()).as("server-everything is running").isTrue();
    return process;
  }

  private static boolean listens(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static void stop(Process process) throws InterruptedException {
    if (process != null && process.isAlive()) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }
}
