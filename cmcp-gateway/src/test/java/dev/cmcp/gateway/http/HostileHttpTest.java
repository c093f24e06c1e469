package dev.cmcp.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cmcp.gateway.catalog.Catalog;
import dev.cmcp.gateway.config.EnforcementMode;
import dev.cmcp.gateway.config.GatewayLimits;
import dev.cmcp.gateway.config.ListenAddress;
import dev.cmcp.gateway.mcp.JsonRpcDecoder;
import dev.cmcp.gateway.mcp.McpEndpoint;
import dev.cmcp.gateway.mcp.SessionStore;
import dev.cmcp.gateway.mcp.ToolCallPipeline;
import dev.cmcp.gateway.policy.PolicyBundle;
import dev.cmcp.gateway.policy.PolicyBundleLoader;
import dev.cmcp.gateway.policy.PolicyEngine;
import dev.cmcp.gateway.upstream.UpstreamSettings;
import dev.cmcp.gateway.upstream.Upstreams;
import dev.cmcp.verify.base.StrictJson;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attacks on the HTTP transport, over real sockets: bodies too large, bodies that never finish
 * arriving, and browser origins dressed up as local ones. The gateway behind has no upstreams;
 * {@code ping} is enough to show it still serves.
 */
class HostileHttpTest {

  private static final String TOKEN = "hostile-http-token-0123456789";
  private static final String PING = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}";

  @TempDir Path dir;

  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor();
  private Upstreams upstreams;
  private GatewayHttpServer server;

  @AfterEach
  void stop() throws Exception {
    clients.shutdownNow();
    if (server != null) {
      server.close();
    }
    if (upstreams != null) {
      upstreams.close();
    }
  }

  private void start(Duration idleTimeout, Duration bodyTimeout) throws Exception {
    start(idleTimeout, bodyTimeout, McpHandler.BODY_GRACE, GatewayLimits.DEFAULTS);
  }

  private void start(Duration idleTimeout, Duration bodyTimeout, Duration bodyGrace, GatewayLimits limits) throws Exception {
    Path bundleDir = Files.createDirectories(dir.resolve("bundle"));
    Files.writeString(bundleDir.resolve("manifest.json"),
        "{\"version\": \"1.0.0\", \"authored_at\": \"2026-01-01T00:00:00Z\", \"author_identity\": \"t@example.com\", \"commit_sha\": \"t\"}");
    Files.writeString(bundleDir.resolve("p.cedar"), "forbid (principal, action, resource);");
    PolicyBundle bundle = PolicyBundleLoader.load(bundleDir);
    Catalog catalog = new Catalog(Map.of(), Map.of(), "sha256:" + "2".repeat(64));
    upstreams = new Upstreams(catalog, new UpstreamSettings(Duration.ofSeconds(5), 1024 * 1024));
    Clock clock = Clock.systemUTC();
    ToolCallPipeline pipeline = new ToolCallPipeline(catalog, bundle, new PolicyEngine(bundle, catalog),
        EnforcementMode.ENFORCING, upstreams, Optional.empty(), session -> { }, Optional::empty, clock);
    McpEndpoint endpoint = new McpEndpoint(new JsonRpcDecoder(new StrictJson()), new SessionStore(clock, 10), pipeline,
        Optional.empty(), "test");
    server = new GatewayHttpServer(new ListenAddress("127.0.0.1", 0, true), endpoint, Optional.of(TOKEN),
        List.of("https://app.example"), new ObjectMapper(), Optional.empty(), idleTimeout, bodyTimeout, bodyGrace, limits);
    server.start();
  }

  private HttpResponse<String> post(HttpRequest.BodyPublisher body, Map<String, String> headers) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/mcp"))
        .timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/json")
        .header("Authorization", "Bearer " + TOKEN)
        .POST(body);
    headers.forEach(request::header);
    return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private void assertStillServing() throws Exception {
    HttpResponse<String> pong = post(HttpRequest.BodyPublishers.ofString(PING), Map.of());
    assertThat(pong.statusCode()).isEqualTo(200);
    assertThat(pong.body()).contains("\"result\":{}");
  }

  private static String errorWord(HttpResponse<String> response) throws IOException {
    JsonNode body = new ObjectMapper().readTree(response.body());
    return body.path("error").path("data").path("error").asText();
  }

  @Test
  void chunkedBodyOverTheLimitIsRefusedAsItIsRead() throws Exception {
    start(Duration.ofSeconds(30), Duration.ofSeconds(30));
    byte[] tooLarge = new byte[McpHandler.MAX_REQUEST_BYTES + 1];
    Arrays.fill(tooLarge, (byte) ' ');

    // Without a length the body arrives chunked and is counted as it is read.
    HttpResponse<String> chunked = post(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(tooLarge)), Map.of());

    assertThat(chunked.statusCode()).isEqualTo(413);
    assertThat(errorWord(chunked)).isEqualTo("request_too_large");
    assertStillServing();
  }

  @Test
  void bodyDeclaredHugeIsRefusedBeforeItIsSent() throws Exception {
    start(Duration.ofSeconds(30), Duration.ofSeconds(30));
    try (Socket socket = new Socket("127.0.0.1", server.port())) {
      socket.setSoTimeout(20_000);
      socket.getOutputStream().write(("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
          + "Authorization: Bearer " + TOKEN + "\r\nContent-Length: 10000000000\r\n\r\n{").getBytes(StandardCharsets.US_ASCII));

      String answer = new String(socket.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);

      assertThat(answer).isEqualTo("HTTP/1.1 413");
    }
    assertStillServing();
  }

  @Test
  void bodySentAByteAtATimeIsCutOffAtTheBodyTimeout() throws Exception {
    // The idle timeout is never reached: a byte arrives every 100 ms.
    start(Duration.ofSeconds(30), Duration.ofSeconds(1));
    int declared = 1000;
    try (Socket socket = new Socket("127.0.0.1", server.port())) {
      OutputStream out = socket.getOutputStream();
      out.write(headers(declared));
      Future<Integer> trickle = clients.submit(() -> {
        int sent = 0;
        try {
          for (; sent < declared; sent++) {
            out.write(' ');
            out.flush();
            Thread.sleep(100);
          }
        } catch (IOException closedByTheGateway) {
          // the point of the test
        }
        return sent;
      });

      socket.setSoTimeout(20_000);
      byte[] answer = socket.getInputStream().readAllBytes();

      assertThat(answer).as("the gateway closes the connection without an answer").isEmpty();
      socket.close();
      assertThat(trickle.get()).isLessThan(declared);
    }
    assertStillServing();
  }

  @Test
  void bodyWhoseRestArrivesAfterItsHeadIsReadWholeAndAnswered() throws Exception {
    // What came with the head is taken without waiting; the rest is waited for, under the deadline.
    start(Duration.ofSeconds(30), Duration.ofSeconds(30));
    byte[] ping = PING.getBytes(StandardCharsets.US_ASCII);
    int split = ping.length / 2;
    try (Socket socket = new Socket("127.0.0.1", server.port())) {
      OutputStream out = socket.getOutputStream();
      out.write(headers(ping.length));
      out.write(ping, 0, split);
      out.flush();
      Thread.sleep(300);
      out.write(ping, split, ping.length - split);
      out.flush();
      socket.setSoTimeout(20_000);

      String answer = new String(socket.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);

      assertThat(answer).isEqualTo("HTTP/1.1 200");
    }
    assertStillServing();
  }

  @Test
  void bodyThatStopsArrivingIsDroppedAtTheIdleTimeout() throws Exception {
    start(Duration.ofMillis(500), Duration.ofSeconds(30));
    try (Socket socket = new Socket("127.0.0.1", server.port())) {
      socket.getOutputStream().write(headers(1000));
      socket.getOutputStream().write("{\"jsonrpc\"".getBytes(StandardCharsets.US_ASCII));
      socket.setSoTimeout(20_000);

      InputStream in = socket.getInputStream();
      String answer = new String(in.readAllBytes(), StandardCharsets.US_ASCII);

      // 408 when the handler was already waiting for the body; when the timeout came first,
      // Jetty closes the connection without an answer. Either way the connection is not held.
      assertThat(answer).satisfiesAnyOf(
          closed -> assertThat(closed).isEmpty(),
          timedOut -> assertThat(timedOut).startsWith("HTTP/1.1 408").contains("request_timeout").contains("Connection: close"));
    }
    assertStillServing();
  }

  @Test
  void foreignOriginsDressedAsLocalOnesAreRefused() throws Exception {
    start(Duration.ofSeconds(30), Duration.ofSeconds(30));
    List<String> foreign = List.of(
        "https://evil.example", "null", "file://", "chrome-extension://abcdef",
        "http://localhost.evil.example", "http://127.0.0.1.nip.io", "http://localhost@evil.example",
        "http://evil.example#@localhost", "http://evil.example\\@localhost", "http://[::1].evil.example",
        "http://localhost:8080.evil.example", "https://app.example.evil.example", "https://app.example:444",
        "http://app.example", "ftp://localhost", "http://127.0.0.2");

    for (String origin : foreign) {
      HttpResponse<String> answer = post(HttpRequest.BodyPublishers.ofString(PING), Map.of("Origin", origin));
      assertThat(answer.statusCode()).as(origin).isEqualTo(403);
      assertThat(errorWord(answer)).as(origin).isEqualTo("origin_not_allowed");
      // The body was never read: the client is told not to reuse the connection Jetty will drop.
      assertThat(answer.headers().firstValue("Connection")).as(origin).hasValue("close");
    }
    for (String origin : List.of("https://app.example", "https://APP.example", "http://localhost:5173", "http://127.0.0.1", "http://[::1]:3000")) {
      assertThat(post(HttpRequest.BodyPublishers.ofString(PING), Map.of("Origin", origin)).statusCode()).as(origin).isEqualTo(200);
    }
  }

  private static GatewayLimits limits(int perAddress, long minRate, long budget) {
    GatewayLimits d = GatewayLimits.DEFAULTS;
    return new GatewayLimits(d.sessionIdleTimeout(), d.maxSessions(), d.maxSessionsPerPrincipal(), d.maxConnections(),
        perAddress, minRate, budget, d.maxJsonValues());
  }

  @Test
  void connectionsOverThePerAddressLimitAreClosedWhileOtherAddressesAreServed() throws Exception {
    start(Duration.ofSeconds(30), Duration.ofSeconds(30), McpHandler.BODY_GRACE, limits(2, 1024, 1 << 20));
    List<Socket> held = new java.util.ArrayList<>();
    try {
      for (int i = 0; i < 3; i++) {
        held.add(new Socket("127.0.0.1", server.port()));
      }
      // Jetty's selectors may see the three in any order: whichever came third is closed.
      int closed = 0;
      for (Socket socket : held) {
        socket.setSoTimeout(20_000);
        try {
          socket.getOutputStream().write(headers(PING.length()));
          socket.getOutputStream().write(PING.getBytes(StandardCharsets.US_ASCII));
          socket.getOutputStream().flush();
          if (socket.getInputStream().read() == -1) {
            closed++;
          }
        } catch (IOException reset) {
          closed++;
        }
      }
      assertThat(closed).as("connections over the limit of 2 from one address").isEqualTo(1);
      // Another loopback address is another client.
      HttpClient other = HttpClient.newBuilder().localAddress(InetAddress.getByName("127.0.0.2")).build();
      HttpResponse<String> pong = other.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/mcp"))
          .header("Content-Type", "application/json").header("Authorization", "Bearer " + TOKEN)
          .POST(HttpRequest.BodyPublishers.ofString(PING)).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(pong.statusCode()).isEqualTo(200);
    } finally {
      for (Socket socket : held) {
        socket.close();
      }
    }
  }

  @Test
  void bodyBelowTheMinimumDataRateIsDroppedAfterTheGrace() throws Exception {
    // 10 bytes a second against a minimum of 1,000: well inside the 30 s body and idle timeouts.
    // One connection per address: serving again afterwards shows the dropped one was counted out.
    start(Duration.ofSeconds(30), Duration.ofSeconds(30), Duration.ofMillis(300), limits(1, 1000, 1 << 20));
    int declared = 1000;
    try (Socket socket = new Socket("127.0.0.1", server.port())) {
      OutputStream out = socket.getOutputStream();
      out.write(headers(declared));
      Future<Integer> trickle = clients.submit(() -> {
        int sent = 0;
        try {
          for (; sent < declared; sent++) {
            out.write(' ');
            out.flush();
            Thread.sleep(100);
          }
        } catch (IOException closedByTheGateway) {
          // the point of the test
        }
        return sent;
      });
      socket.setSoTimeout(20_000);
      String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);

      assertThat(answer).satisfiesAnyOf(
          closed -> assertThat(closed).isEmpty(),
          timedOut -> assertThat(timedOut).startsWith("HTTP/1.1 408").contains("request_timeout"));
      socket.close();
      assertThat(trickle.get()).as("bytes sent before the gateway let go").isLessThan(100);
    }
    assertStillServing();
  }

  @Test
  void requestBytesOverTheBudgetAreRefusedUntilTheHolderIsDone() throws Exception {
    start(Duration.ofSeconds(30), Duration.ofSeconds(30), McpHandler.BODY_GRACE, limits(0, 0, 2000));
    String padded = PING.substring(0, PING.length() - 1) + " ".repeat(600) + "}";
    HttpResponse<String> refused;
    try (Socket holder = new Socket("127.0.0.1", server.port())) {
      // Holds 1,501 of the 2,000 bytes while its body does not arrive. It asks for 100 Continue,
      // which Jetty sends when the gateway first reads the body, after reserving its bytes: so the
      // holder's bytes are known to be held before anyone else asks (a refusal of the holder
      // itself, because another request held bytes first, would end the test's premise).
      holder.getOutputStream().write(headers(1500, "Expect: 100-continue\r\n"));
      holder.getOutputStream().flush();
      assertThat(head(holder.getInputStream())).startsWith("HTTP/1.1 100");
      refused = post(HttpRequest.BodyPublishers.ofString(padded), Map.of());
      assertThat(refused.statusCode()).isEqualTo(503);
      assertThat(errorWord(refused)).isEqualTo("gateway_busy");
      assertThat(refused.headers().firstValue("Retry-After")).contains("1");
    }
    HttpResponse<String> served = refused;
    for (int tries = 0; tries < 200 && served.statusCode() != 200; tries++) {
      served = post(HttpRequest.BodyPublishers.ofString(padded), Map.of());
    }
    assertThat(served.statusCode()).as("the holder's bytes are given back when it goes").isEqualTo(200);
  }

  private static byte[] headers(int contentLength) {
    return headers(contentLength, "");
  }

  private static byte[] headers(int contentLength, String more) {
    return ("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAuthorization: Bearer " + TOKEN
        + "\r\nContent-Length: " + contentLength + "\r\n" + more + "\r\n").getBytes(StandardCharsets.US_ASCII);
  }

  /** An answer's head, up to its blank line (at most 8 KiB). */
  private static String head(InputStream in) throws IOException {
    StringBuilder head = new StringBuilder();
    while (head.length() < 8192 && !head.toString().endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        break;
      }
      head.append((char) b);
    }
    return head.toString();
  }
}
