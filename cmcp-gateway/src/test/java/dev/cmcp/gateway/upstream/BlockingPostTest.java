package dev.cmcp.gateway.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The plain-http client the gateway calls upstreams with (the JDK's {@code HttpURLConnection}, through {@link
 * BlockingPost}),
 * against a server written byte by byte: how answers are framed, when a connection is kept for
 * the next request, and what is refused.
 */
class BlockingPostTest {

  private static final long SECONDS = TimeUnit.SECONDS.toNanos(10);

  private ServerSocket server;
  private URI url;
  /** The answers the server gives, one per request, in order; each is the raw bytes written back. */
  private final BlockingQueue<String> answers = new LinkedBlockingQueue<>();
  /** The requests the server read, each with the number of the connection it came on. */
  private final List<String> requests = new CopyOnWriteArrayList<>();
  private final List<Integer> connectionOfRequest = new CopyOnWriteArrayList<>();
  /** The server's side of every connection it accepted. */
  private final List<Socket> accepted = new CopyOnWriteArrayList<>();
  private Thread acceptor;

  @BeforeEach
  void start() throws IOException {
    server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    url = URI.create("http://127.0.0.1:" + server.getLocalPort() + "/mcp?x=1");
    acceptor = Thread.ofVirtual().start(() -> {
      int connection = 0;
      while (!server.isClosed()) {
        try {
          Socket socket = server.accept();
          accepted.add(socket);
          int number = ++connection;
          Thread.ofVirtual().start(() -> serve(socket, number));
        } catch (IOException e) {
          return;
        }
      }
    });
  }

  @AfterEach
  void stop() throws Exception {
    server.close();
    acceptor.join();
  }

  /** Written at the end of an answer: the server closes the connection after it. */
  private static final String THEN_CLOSE = "<then close>";

  /**
   * Reads requests (head and Content-Length body) and writes the next answer; "CLOSE" closes the
   * connection instead of answering.
   */
  private void serve(Socket socket, int connection) {
    try (socket) {
      InputStream in = socket.getInputStream();
      OutputStream out = socket.getOutputStream();
      while (true) {
        String head = readHead(in);
        if (head == null) {
          return;
        }
        int length = 0;
        for (String line : head.split("\r\n")) {
          if (line.toLowerCase().startsWith("content-length:")) {
            length = Integer.parseInt(line.substring(15).strip());
          }
        }
        byte[] body = in.readNBytes(length);
        requests.add(head + new String(body, StandardCharsets.UTF_8));
        connectionOfRequest.add(connection);
        String answer = answers.poll(10, TimeUnit.SECONDS);
        if (answer == null || answer.equals("CLOSE")) {
          return;
        }
        boolean thenClose = answer.endsWith(THEN_CLOSE);
        out.write(answer.replace(THEN_CLOSE, "").getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        if (thenClose) {
          return;
        }
      }
    } catch (IOException | InterruptedException e) {
      // the test ends the connection
    }
  }

  private static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int b;
    while ((b = in.read()) >= 0) {
      head.write(b);
      String text = head.toString(StandardCharsets.ISO_8859_1);
      if (text.endsWith("\r\n\r\n")) {
        return text;
      }
    }
    return null;
  }

  private String post(String body) throws Exception {
    return post(body, Map.of("Content-Type", "application/json"));
  }

  private String post(String body, Map<String, String> headers) throws Exception {
    return onVirtualThread(() -> new BlockingPost(url, headers)
        .send(body.getBytes(StandardCharsets.UTF_8), SECONDS, System.nanoTime() + SECONDS, HttpResponse.BodyHandlers.ofString())
        .body());
  }

  private static <T> T onVirtualThread(Callable<T> work) throws Exception {
    AtomicReference<T> result = new AtomicReference<>();
    AtomicReference<Exception> failure = new AtomicReference<>();
    Thread.ofVirtual().start(() -> {
      try {
        result.set(work.call());
      } catch (Exception e) {
        failure.set(e);
      }
    }).join();
    if (failure.get() != null) {
      throw failure.get();
    }
    return result.get();
  }

  @Test
  void theRequestIsOneHttp11PostWithItsHeadersAndALengthAndTheConnectionServesTheNextRequest() throws Exception {
    answers.add("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{\"a\":1}");
    answers.add("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}");

    assertThat(post("{\"q\":\"\u00e9\"}")).isEqualTo("{\"a\":1}");
    assertThat(post("[]")).isEqualTo("{}");

    assertThat(requests.getFirst()).startsWith("POST /mcp?x=1 HTTP/1.1\r\n").contains("Host: 127.0.0.1:" + url.getPort() + "\r\n")
        .doesNotContainIgnoringCase("Accept-Encoding").doesNotContainIgnoringCase("Cookie")
        .contains("Content-Type: application/json\r\n").contains("Content-Length: 10\r\n\r\n").endsWith("{\"q\":\"\u00e9\"}");
    assertThat(connectionOfRequest).containsExactly(1, 1);
  }

  @Test
  void aChunkedAnswerIsJoinedAndItsTrailersPassedOverAndTheConnectionIsKept() throws Exception {
    answers.add("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "3;ext=1\r\n{\"a\r\n4\r\n\":12\r\n1\r\n}\r\n0\r\nX-Trailer: t\r\n\r\n");
    answers.add("HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n");

    assertThat(post("{}")).isEqualTo("{\"a\":12}");
    assertThat(post("{}")).isEmpty();
    assertThat(connectionOfRequest).containsExactly(1, 1);
  }

  @Test
  void aConnectionIsNotKeptAfterAnAnswerMarkedCloseOrInHttp10() throws Exception {
    answers.add("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}");
    answers.add("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n{}");
    answers.add("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}");

    for (int i = 0; i < 3; i++) {
      assertThat(post("{}")).isEqualTo("{}");
    }
    assertThat(connectionOfRequest).containsExactly(1, 2, 3);
  }

  @Test
  void aRequestOnAKeptConnectionTheServerClosedIsSentOnceMoreOnANewOne() throws Exception {
    answers.add("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}");
    answers.add("CLOSE");
    answers.add("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n[1]");

    assertThat(post("{}")).isEqualTo("{}");
    assertThat(post("{}")).isEqualTo("[1]");
    assertThat(connectionOfRequest).containsExactly(1, 1, 2);
  }

  @Test
  void whenTheServerClosedEveryKeptConnectionTheRequestIsSentAgainOnANewOneNotOnAnotherKeptOne() throws Exception {
    // Two requests at once leave two kept connections.
    Thread first = Thread.ofVirtual().start(() -> assertThatNoException(() -> post("{}")));
    Thread second = Thread.ofVirtual().start(() -> assertThatNoException(() -> post("{}")));
    while (requests.size() < 2) {
      Thread.sleep(10);
    }
    answers.add("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}");
    answers.add("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}");
    first.join();
    second.join();
    // As a server does with idle connections: all closed at once, without a request on them.
    for (Socket socket : accepted) {
      socket.close();
    }
    answers.add("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n[2]");

    assertThat(post("{}")).isEqualTo("[2]");
    assertThat(connectionOfRequest).containsExactlyInAnyOrder(1, 2, 3);
  }

  private static void assertThatNoException(Callable<String> work) {
    try {
      assertThat(work.call()).isEqualTo("{}");
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void anAnswerCutShortOnANewConnectionIsAnErrorNotARetry() throws Exception {
    answers.add("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}" + THEN_CLOSE);

    assertThatThrownBy(() -> post("{}")).isInstanceOf(IOException.class);
    assertThat(connectionOfRequest).hasSize(1);
  }

  @Test
  void aHeaderThatCouldSplitTheRequestIsRefusedBeforeAnythingIsSent() {
    assertThatThrownBy(() -> post("{}", Map.of("Mcp-Session-Id", "abc\r\nX-Injected: 1")))
        .isInstanceOf(IOException.class).hasMessageContaining("Mcp-Session-Id");
    assertThatThrownBy(() -> post("{}", Map.of("Bad Name", "v"))).isInstanceOf(IOException.class);
    assertThat(requests).isEmpty();
  }

  @Test
  void aHeadLargerThanTheJdksBoundIsRefused() {
    // jdk.http.maxHeaderSize: 384 KiB of status line and headers unless the JVM is told otherwise.
    answers.add("HTTP/1.1 200 OK\r\nX-Big: " + "a".repeat(400 * 1024) + "\r\nContent-Length: 2\r\n\r\n{}");
    // HttpURLConnection sends a request whose answer's head failed once more, on a new connection.
    answers.add("CLOSE");

    assertThatThrownBy(() -> post("{}")).isInstanceOf(IOException.class);
    assertThat(connectionOfRequest).containsExactly(1, 2);
  }

  @Test
  void aRedirectIsNotFollowedAndACookieIsNeitherKeptNorSent() throws Exception {
    answers.add("HTTP/1.1 307 Temporary Redirect\r\nLocation: http://127.0.0.1:1/elsewhere\r\n"
        + "Set-Cookie: s=1; Path=/\r\nContent-Length: 5\r\n\r\nmoved");
    answers.add("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}");

    int status = onVirtualThread(() -> new BlockingPost(url, Map.of())
        .send("{}".getBytes(StandardCharsets.UTF_8), SECONDS, System.nanoTime() + SECONDS, info -> {
          int code = info.statusCode();
          return HttpResponse.BodySubscribers.replacing(code);
        })
        .body());
    assertThat(status).isEqualTo(307);
    assertThat(post("{}")).isEqualTo("{}");
    assertThat(requests).hasSize(2);
    assertThat(requests.get(1)).startsWith("POST /mcp?x=1 ").doesNotContainIgnoringCase("cookie");
  }

  @Test
  void interimAnswersArePassedOverAndAnErrorStatusStillHasItsBody() throws Exception {
    answers.add("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found");

    String body = onVirtualThread(() -> {
      BlockingPost.Posted<String> posted = new BlockingPost(url, Map.of())
          .send("{}".getBytes(StandardCharsets.UTF_8), SECONDS, System.nanoTime() + SECONDS,
              info -> {
                assertThat(info.statusCode()).isEqualTo(404);
                return HttpResponse.BodySubscribers.ofString(StandardCharsets.UTF_8);
              });
      assertThat(posted.headers().firstValue("content-length")).hasValue("9");
      return posted.body();
    });
    assertThat(body).isEqualTo("not found");
  }
}
