package dev.cmcp.gateway.upstream;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.Proxy;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One POST to a plain-http upstream on the calling thread, with the JDK's blocking {@link
 * HttpURLConnection} (its keep-alive cache reuses connections). The asynchronous {@link
 * HttpClient} hands each exchange between its selector and executor threads, several wake-ups per
 * call that cost 1-2 ms on a busy 2-CPU machine; here the call's own (virtual) thread writes the
 * request and reads the answer. The body is fed to the same {@link HttpResponse.BodyHandler} the
 * asynchronous client would use, so answers are read and bounded the same way.
 *
 * <p>Measured against Jetty's {@code HttpClient} (pooled, on a platform or a virtual-thread
 * executor) with {@code ./cmcp-dev bench} at concurrency 64: Jetty's cost as much or more CPU per
 * call and served no more calls per second, and it brought three jars; see
 * docs/testing/benchmarks.md. The JDK's keep-alive cache keeps {@code -Dhttp.maxConnections} idle
 * connections per upstream (5 by default, 256 in ./cmcp) and sends a request that failed on a
 * kept connection before any answer once more on a new one.
 */
final class BlockingPost {

  /** Response headers and the body as the handler read it. */
  record Posted<T>(T body, HttpHeaders headers) {}

  /** The exchange was called off (by the agent, or by the deadline through the caller). */
  static final class CalledOff extends IOException {
    private static final long serialVersionUID = 1L;

    CalledOff() {
      super("called off");
    }
  }

  private static final int READ_BUFFER = 16 * 1024;

  private final HttpURLConnection connection;
  private final AtomicBoolean calledOff = new AtomicBoolean();
  private Thread sender;
  private boolean finished;

  /**
   * @throws IOException when a header name or value could split the request (a line break, a
   *     control character): refused here, with the header's name, before anything is sent
   */
  BlockingPost(URI url, Map<String, String> headers) throws IOException {
    for (Map.Entry<String, String> header : headers.entrySet()) {
      if (!isToken(header.getKey()) || !isFieldValue(header.getValue())) {
        throw new IOException("a request header holds a character HTTP does not allow there: " + header.getKey());
      }
    }
    // No proxy: like the HttpClient, which uses none unless told to.
    this.connection = (HttpURLConnection) url.toURL().openConnection(Proxy.NO_PROXY);
    connection.setInstanceFollowRedirects(false);
    connection.setUseCaches(false);
    connection.setDoOutput(true);
    headers.forEach(connection::setRequestProperty);
  }

  /**
   * Stops the exchange: the sending thread, a virtual thread, is interrupted, which closes the
   * socket it is blocked on (HttpURLConnection's own disconnect waits for the reader's lock), and
   * it ends with {@link CalledOff}. False when the exchange had already ended or was called off.
   */
  synchronized boolean callOff() {
    if (finished || !calledOff.compareAndSet(false, true)) {
      return false;
    }
    if (sender != null) {
      sender.interrupt();
    }
    return true;
  }

  /** Starts or ends the window in which {@link #callOff} may interrupt the sender. */
  private synchronized void sending(Thread thread) {
    sender = thread;
    finished = thread == null;
  }

  /**
   * Sends {@code body} and reads the answer with {@code handler}, within {@code timeoutNanos}
   * for connecting and for each read; the caller checks its deadline between reads too.
   *
   * @throws SocketTimeoutException when the server is silent for the rest of the time
   */
  <T> Posted<T> send(byte[] body, long timeoutNanos, long deadlineNanos, HttpResponse.BodyHandler<T> handler)
      throws IOException {
    int millis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, TimeUnit.NANOSECONDS.toMillis(timeoutNanos)));
    connection.setConnectTimeout(millis);
    connection.setReadTimeout(millis);
    // No fixed-length streaming: it writes the headers and the body in two packets, and Nagle's
    // algorithm holds the second until the first is acknowledged (measured: 1.3 ms p50 per call on
    // loopback, against 0.1 ms for the buffered request, whose headers and body go out together).
    if (!Thread.currentThread().isVirtual()) {
      throw new IllegalStateException("a blocking post must run on a virtual thread, which an interrupt can free");
    }
    boolean reusable = false;
    sending(Thread.currentThread());
    try {
      if (calledOff.get()) {
        throw new CalledOff();
      }
      try (OutputStream out = connection.getOutputStream()) {
        out.write(body);
      }
      int status = connection.getResponseCode();
      HttpHeaders headers = headers(connection);
      HttpResponse.BodySubscriber<T> subscriber = handler.apply(new Info(status, headers));
      Demand demand = new Demand();
      subscriber.onSubscribe(demand);
      InputStream in = status >= 400 ? connection.getErrorStream() : connection.getInputStream();
      if (in != null) {
        try (in) {
          // A JSON answer says its length: no larger buffer than that (most answers are a few hundred bytes).
          long length = connection.getContentLengthLong();
          byte[] buffer = new byte[length > 0 && length < READ_BUFFER ? (int) length : READ_BUFFER];
          int read;
          while (!demand.cancelled && (read = in.read(buffer)) >= 0) {
            if (System.nanoTime() - deadlineNanos > 0) {
              throw new SocketTimeoutException("deadline passed");
            }
            subscriber.onNext(List.of(ByteBuffer.wrap(Arrays.copyOf(buffer, read))));
          }
          // Read to its end, the connection goes back to the keep-alive cache; left mid-stream, it is closed.
          reusable = !demand.cancelled;
        }
      } else {
        reusable = true;
      }
      if (!demand.cancelled) {
        subscriber.onComplete();
      }
      try {
        return new Posted<>(subscriber.getBody().toCompletableFuture().join(), headers);
      } catch (CompletionException e) {
        throw new AnswerFailed(e.getCause());
      }
    } catch (IOException e) {
      if (calledOff.get() && !(e instanceof AnswerFailed)) {
        throw new CalledOff();
      }
      throw e;
    } finally {
      // From here a call-off has nothing left to stop; one that came late leaves no interrupt behind.
      sending(null);
      if (calledOff.get()) {
        Thread.interrupted();
      }
      if (!reusable) {
        connection.disconnect();
      }
    }
  }

  /** The handler refused the answer; {@link #getCause} says why (an {@link UpstreamException} as a rule). */
  static final class AnswerFailed extends IOException {
    private static final long serialVersionUID = 1L;

    AnswerFailed(Throwable cause) {
      super(cause);
    }
  }

  /** RFC 9110 token: what a header name may be. */
  private static boolean isToken(String text) {
    if (text.isEmpty()) {
      return false;
    }
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      boolean ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  /** A header value with no control character (line breaks above all), tabs aside, and nothing past Latin-1. */
  private static boolean isFieldValue(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if ((c < 0x20 && c != '\t') || c == 0x7f || c > 0xff) {
        return false;
      }
    }
    return true;
  }

  private static HttpHeaders headers(HttpURLConnection connection) {
    Map<String, List<String>> named = new HashMap<>();
    connection.getHeaderFields().forEach((name, values) -> {
      // The status line comes under the null name.
      if (name != null) {
        named.put(name, values);
      }
    });
    return HttpHeaders.of(named, (name, value) -> true);
  }

  private record Info(int statusCode, HttpHeaders headers) implements HttpResponse.ResponseInfo {
    @Override
    public HttpClient.Version version() {
      return HttpClient.Version.HTTP_1_1;
    }
  }

  /** Every chunk is handed over as it is read; the subscriber may only say it wants no more. */
  private static final class Demand implements Flow.Subscription {
    volatile boolean cancelled;

    @Override
    public void request(long n) {
      // Reading is driven by the loop above, one chunk at a time.
    }

    @Override
    public void cancel() {
      cancelled = true;
    }
  }
}
