package dev.cmcp.gateway.upstream;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One POST to a plain-http upstream on the calling thread: HTTP/1.1 written and read over a
 * keep-alive connection from {@link KeepAliveSockets}. The asynchronous {@link HttpClient} hands
 * each exchange between its selector and executor threads, several wake-ups per call that cost
 * 1-2 ms on a busy 2-CPU machine; {@code HttpURLConnection}, used here before, cost the gateway
 * about a fifth of its CPU per call in header maps, print streams and its global keep-alive
 * cache. Here the call's own (virtual) thread writes the request in one write and reads the
 * answer. The body is fed to the same {@link HttpResponse.BodyHandler} the asynchronous client
 * would use, so answers are read and bounded the same way.
 *
 * <p>What is read is bounded: a status line and headers of at most {@link #MAX_HEAD_BYTES}, a
 * body framed by {@code Transfer-Encoding: chunked}, by {@code Content-Length}, or by the end of
 * the connection. A connection is reused only after an answer framed by length or chunks was
 * read to its end, with no {@code Connection: close} and no conflicting framing. A request that
 * fails on a reused connection before any byte of the answer came back (the server had closed
 * it) is sent once more on a new connection, as {@code HttpURLConnection} did (the server may
 * have closed its other idle connections at the same moment, so not on another kept one).
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

  /** The most bytes of status line and headers (and of a chunked body's trailers) taken from an upstream. */
  static final int MAX_HEAD_BYTES = 64 * 1024;
  private static final int READ_BUFFER = 16 * 1024;

  private final KeepAliveSockets sockets;
  private final byte[] head;
  private final AtomicBoolean calledOff = new AtomicBoolean();
  private Thread sender;
  private boolean finished;

  /**
   * @throws IOException when a header name or value could split the request (a line break, a
   *     control character) or the URL has no host
   */
  BlockingPost(KeepAliveSockets sockets, URI url, Map<String, String> headers) throws IOException {
    this.sockets = sockets;
    if (url.getHost() == null) {
      throw new IOException("the upstream URL names no host");
    }
    StringBuilder text = new StringBuilder(256);
    String path = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
    text.append("POST ").append(path);
    if (url.getRawQuery() != null) {
      text.append('?').append(url.getRawQuery());
    }
    text.append(" HTTP/1.1\r\nHost: ").append(url.getHost());
    if (url.getPort() != -1) {
      text.append(':').append(url.getPort());
    }
    text.append("\r\n");
    for (Map.Entry<String, String> header : headers.entrySet()) {
      if (!isToken(header.getKey()) || !isFieldValue(header.getValue())) {
        throw new IOException("a request header holds a character HTTP does not allow there: " + header.getKey());
      }
      text.append(header.getKey()).append(": ").append(header.getValue()).append("\r\n");
    }
    for (int i = 0; i < text.length(); i++) {
      if (text.charAt(i) > 0xff) {
        throw new IOException("a request header holds a character HTTP does not allow there");
      }
    }
    this.head = text.toString().getBytes(StandardCharsets.ISO_8859_1);
  }

  /**
   * Stops the exchange: the sending thread, a virtual thread, is interrupted, which closes the
   * socket it is blocked on, and it ends with {@link CalledOff}. False when the exchange had
   * already ended or was called off.
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
    if (!Thread.currentThread().isVirtual()) {
      throw new IllegalStateException("a blocking post must run on a virtual thread, which an interrupt can free");
    }
    // Headers and body in one write: in two, Nagle's algorithm could hold the second.
    byte[] length = ("Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
    byte[] request = Arrays.copyOf(head, head.length + length.length + body.length);
    System.arraycopy(length, 0, request, head.length, length.length);
    System.arraycopy(body, 0, request, head.length + length.length, body.length);
    sending(Thread.currentThread());
    try {
      for (int attempt = 0; ; attempt++) {
        if (calledOff.get()) {
          throw new CalledOff();
        }
        KeepAliveSockets.Lease lease = sockets.take(millis, attempt > 0);
        boolean reusable = false;
        try {
          lease.timeout(millis);
          Head answer;
          Reader reader = new Reader(lease.in);
          try {
            lease.out.write(request);
            lease.out.flush();
            answer = readHead(reader);
          } catch (IOException e) {
            boolean stale = lease.reused() && attempt == 0 && reader.count == 0 && !calledOff.get()
                && !(e instanceof SocketTimeoutException);
            if (stale) {
              continue;
            }
            throw e;
          }
          Posted<T> posted = readBody(answer, reader, deadlineNanos, handler);
          reusable = answer.reusable() && reader.bodyEnded;
          return posted;
        } finally {
          if (reusable) {
            sockets.giveBack(lease);
          } else {
            lease.close();
          }
        }
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
    }
  }

  private <T> Posted<T> readBody(Head answer, Reader reader, long deadlineNanos, HttpResponse.BodyHandler<T> handler)
      throws IOException {
    HttpResponse.BodySubscriber<T> subscriber = handler.apply(new Info(answer.status(), answer.headers()));
    Demand demand = new Demand();
    subscriber.onSubscribe(demand);
    InputStream in = switch (answer.framing()) {
      case NONE -> InputStream.nullInputStream();
      case LENGTH -> new LengthBody(reader, answer.length());
      case CHUNKED -> new ChunkedBody(reader);
      case UNTIL_CLOSE -> new RestBody(reader);
    };
    long length = answer.framing() == Framing.LENGTH ? answer.length() : -1;
    // A JSON answer says its length: no larger buffer than that (most answers are a few hundred bytes).
    byte[] buffer = new byte[length > 0 && length < READ_BUFFER ? (int) length : READ_BUFFER];
    int read;
    while (!demand.cancelled && (read = in.read(buffer)) >= 0) {
      if (System.nanoTime() - deadlineNanos > 0) {
        throw new SocketTimeoutException("deadline passed");
      }
      if (read > 0) {
        subscriber.onNext(List.of(ByteBuffer.wrap(Arrays.copyOf(buffer, read))));
      }
    }
    if (answer.framing() == Framing.NONE) {
      reader.bodyEnded = true;
    }
    if (!demand.cancelled) {
      subscriber.onComplete();
    }
    try {
      return new Posted<>(subscriber.getBody().toCompletableFuture().join(), answer.headers());
    } catch (CompletionException e) {
      throw new AnswerFailed(e.getCause());
    }
  }

  /** The handler refused the answer; {@link #getCause} says why (an {@link UpstreamException} as a rule). */
  static final class AnswerFailed extends IOException {
    private static final long serialVersionUID = 1L;

    AnswerFailed(Throwable cause) {
      super(cause);
    }
  }

  /** How the body of an answer ends. */
  private enum Framing { NONE, LENGTH, CHUNKED, UNTIL_CLOSE }

  /** A status line and headers, and how the body that follows is framed. */
  private record Head(int status, HttpHeaders headers, Framing framing, long length, boolean reusable) {}

  /** Reads the answer's head, passing over interim (1xx) answers. */
  private static Head readHead(Reader reader) throws IOException {
    while (true) {
      String statusLine = reader.line();
      // "HTTP/1.1 200 OK": the version, a three-digit code, and a reason that is not read.
      if (statusLine.length() < 12 || !statusLine.startsWith("HTTP/1.") || statusLine.charAt(8) != ' '
          || (statusLine.length() > 12 && statusLine.charAt(12) != ' ')) {
        throw new IOException("the upstream's answer does not start with an HTTP/1.x status line");
      }
      boolean http11 = statusLine.charAt(7) == '1';
      int status = parseStatus(statusLine.substring(9, 12));
      Map<String, List<String>> fields = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
      for (String line = reader.line(); !line.isEmpty(); line = reader.line()) {
        int colon = line.indexOf(':');
        if (colon <= 0 || !isToken(line.substring(0, colon))) {
          // Folded lines and names with spaces included: two readers could split them differently.
          throw new IOException("the upstream sent a malformed header line");
        }
        fields.computeIfAbsent(line.substring(0, colon), name -> new ArrayList<>()).add(line.substring(colon + 1).strip());
      }
      if (status >= 100 && status < 200) {
        if (status == 101) {
          throw new IOException("the upstream switched protocols, which a POST of JSON-RPC does not ask for");
        }
        continue;
      }
      HttpHeaders headers = HttpHeaders.of(fields, (name, value) -> true);
      boolean close = !http11 || tokens(headers.allValues("Connection")).contains("close");
      List<String> encodings = tokens(headers.allValues("Transfer-Encoding"));
      List<String> lengths = headers.allValues("Content-Length");
      if (status == 204 || status == 304) {
        return new Head(status, headers, Framing.NONE, 0, !close);
      }
      if (!encodings.isEmpty()) {
        // With both, Transfer-Encoding decides and the connection is not trusted for another request.
        boolean chunked = encodings.getLast().equals("chunked");
        return new Head(status, headers, chunked ? Framing.CHUNKED : Framing.UNTIL_CLOSE, -1,
            chunked && lengths.isEmpty() && !close);
      }
      if (!lengths.isEmpty()) {
        long length = parseLength(lengths);
        return new Head(status, headers, length == 0 ? Framing.NONE : Framing.LENGTH, length, !close);
      }
      return new Head(status, headers, Framing.UNTIL_CLOSE, -1, false);
    }
  }

  private static int parseStatus(String digits) throws IOException {
    for (int i = 0; i < digits.length(); i++) {
      if (digits.charAt(i) < '0' || digits.charAt(i) > '9') {
        throw new IOException("the upstream's status code is not three digits");
      }
    }
    int status = Integer.parseInt(digits);
    if (status < 100) {
      throw new IOException("the upstream's status code " + status + " is not one HTTP defines");
    }
    return status;
  }

  /** One length, repeated identically at most (RFC 9112 section 6.3); anything else is refused. */
  private static long parseLength(List<String> values) throws IOException {
    String first = null;
    for (String value : values) {
      for (String part : value.split(",", -1)) {
        String length = part.strip();
        if (length.isEmpty() || length.length() > 18 || !length.chars().allMatch(c -> c >= '0' && c <= '9')
            || (first != null && !first.equals(length))) {
          throw new IOException("the upstream's Content-Length is not one whole number");
        }
        first = length;
      }
    }
    return Long.parseLong(first);
  }

  /** The comma-separated tokens of a header's values, lower case. */
  private static List<String> tokens(List<String> values) {
    List<String> tokens = new ArrayList<>();
    for (String value : values) {
      for (String token : value.split(",", -1)) {
        if (!token.isBlank()) {
          tokens.add(token.strip().toLowerCase(Locale.ROOT));
        }
      }
    }
    return tokens;
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

  /** A header value with no control character (line breaks above all), tabs aside. */
  private static boolean isFieldValue(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if ((c < 0x20 && c != '\t') || c == 0x7f) {
        return false;
      }
    }
    return true;
  }

  /** The connection's bytes: lines of the head, then the body; counts what was read. */
  private static final class Reader {
    private final InputStream in;
    long count;
    /** Whether the body was read to its framed end, so that the connection may serve another request. */
    boolean bodyEnded;
    private int headBytes;

    Reader(InputStream in) {
      this.in = in;
    }

    int read() throws IOException {
      int b = in.read();
      if (b >= 0) {
        count++;
      }
      return b;
    }

    int read(byte[] buffer, int offset, int length) throws IOException {
      int read = in.read(buffer, offset, length);
      if (read > 0) {
        count += read;
      }
      return read;
    }

    /** Starts a new bound on lines: a chunk's size line, or a chunked body's trailers. */
    void newBound() {
      headBytes = 0;
    }

    /**
     * One line of the head (or of a chunked body's framing), without its CRLF; the lines since
     * the last {@link #newBound} (the whole head) are bounded by {@link #MAX_HEAD_BYTES}.
     */
    String line() throws IOException {
      StringBuilder line = new StringBuilder(64);
      while (true) {
        int b = read();
        if (b < 0) {
          throw new EOFException("the upstream closed the connection before its answer was complete");
        }
        if (++headBytes > MAX_HEAD_BYTES) {
          throw new IOException("the upstream sent more than " + MAX_HEAD_BYTES + " bytes of headers");
        }
        if (b == '\n') {
          int last = line.length() - 1;
          if (last >= 0 && line.charAt(last) == '\r') {
            line.setLength(last);
          }
          return line.toString();
        }
        line.append((char) b);
      }
    }
  }

  /** A body of a known length; the connection must hold all of it. */
  private static final class LengthBody extends InputStream {
    private final Reader reader;
    private long left;

    LengthBody(Reader reader, long length) {
      this.reader = reader;
      this.left = length;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      if (left == 0) {
        reader.bodyEnded = true;
        return -1;
      }
      int read = reader.read(buffer, offset, (int) Math.min(length, left));
      if (read < 0) {
        throw new EOFException("the upstream closed the connection " + left + " bytes before the end of its answer");
      }
      left -= read;
      return read;
    }
  }

  /** A chunked body (RFC 9112 section 7.1): chunk sizes in hex, extensions and trailers passed over. */
  private static final class ChunkedBody extends InputStream {
    private final Reader reader;
    private long left;
    private boolean ended;

    ChunkedBody(Reader reader) {
      this.reader = reader;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      if (ended) {
        return -1;
      }
      if (left == 0) {
        reader.newBound();
        left = chunkSize(reader.line());
        if (left == 0) {
          reader.newBound();
          boolean trailer = true;
          while (trailer) {
            // Trailers are not used; the empty line ends them.
            trailer = !reader.line().isEmpty();
          }
          ended = true;
          reader.bodyEnded = true;
          return -1;
        }
      }
      int read = reader.read(buffer, offset, (int) Math.min(length, left));
      if (read < 0) {
        throw new EOFException("the upstream closed the connection within a chunk of its answer");
      }
      left -= read;
      if (left == 0) {
        int cr = reader.read();
        int lf = reader.read();
        if (cr != '\r' || lf != '\n') {
          throw new IOException("the upstream's chunk is longer than its size said");
        }
      }
      return read;
    }

    private static long chunkSize(String line) throws IOException {
      int end = line.indexOf(';');
      String hex = (end < 0 ? line : line.substring(0, end)).strip();
      if (hex.isEmpty() || hex.length() > 15 || !hex.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
        throw new IOException("the upstream's chunk size is not a hexadecimal number");
      }
      return Long.parseLong(hex, 16);
    }
  }

  /** A body that ends where the connection does; the connection is not reused after it. */
  private static final class RestBody extends InputStream {
    private final Reader reader;

    RestBody(Reader reader) {
      this.reader = reader;
    }

    @Override
    public int read() throws IOException {
      return reader.read();
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      return reader.read(buffer, offset, length);
    }
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
