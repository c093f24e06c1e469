package dev.cmcp.gateway.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.gateway.auth.AuthRefusal;
import dev.cmcp.gateway.auth.AuthResult;
import dev.cmcp.gateway.auth.Authenticator;
import dev.cmcp.gateway.auth.Identity;
import dev.cmcp.gateway.auth.RefusalLog;
import dev.cmcp.gateway.mcp.JsonRpcError;
import dev.cmcp.gateway.mcp.McpEndpoint;
import dev.cmcp.gateway.mcp.McpHttpRequest;
import dev.cmcp.gateway.mcp.McpHttpResponse;
import dev.cmcp.gateway.mcp.SessionStreams;
import dev.cmcp.gateway.mcp.StreamReplays;
import dev.cmcp.gateway.ops.GatewayMetrics;
import dev.cmcp.gateway.ops.Operations;
import dev.cmcp.gateway.ops.Tracing;
import io.opentelemetry.api.trace.Span;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * Jetty's side of {@code /mcp}: authentication, Origin, size and media-type checks, then the
 * {@link McpEndpoint}, then the answer as JSON or as one SSE event.
 */
final class McpHandler extends Handler.Abstract {

  static final int MAX_REQUEST_BYTES = 4 * 1024 * 1024;
  /** Long enough for the largest body over a slow link (about 140 KB/s), short enough to bound a trickle. */
  static final Duration BODY_TIMEOUT = Duration.ofSeconds(30);
  /** How long a body may take before the minimum data rate applies: a slow start is not an attack. */
  static final Duration BODY_GRACE = Duration.ofSeconds(5);
  private static final int READ_CHUNK = 64 * 1024;
  private static final Logger LOG = System.getLogger("cmcp.http");
  private static final Duration KEEPALIVE = Duration.ofSeconds(15);
  private static final String CLAIMS_PREFIX = "/v1/sessions/";
  private static final String CLAIM_SUFFIX = "/claim";
  private static final String ATTESTATION = "/v1/attestation";

  private final McpEndpoint endpoint;
  /** The events of the answers streamed to agents because their upstreams streamed them, for resuming. */
  private final StreamReplays replays = new StreamReplays(java.time.Clock.systemUTC());
  private final Authenticator authenticator;
  private final RefusalLog refusals;
  private final OriginPolicy origins;
  private final ObjectMapper json;
  private final Optional<Operations> operations;
  private final RequestIds requestIds = new RequestIds();
  private final Duration bodyTimeout;
  private final Duration bodyGrace;
  private final long minBodyBytesPerSecond;
  private final RequestBytesBudget budget;
  private final LargeRequests largeRequests = new LargeRequests(Runtime.getRuntime().availableProcessors());
  private final Tracing tracing;
  private final Optional<Supplier<ObjectNode>> attestation;

  /**
   * @param bodyTimeout how long a body may take in all, however fast it arrives
   * @param bodyGrace how long a body may take before the minimum rate applies ({@link #BODY_GRACE})
   * @param minBodyBytesPerSecond the least average rate of a body after the grace; 0 for none
   * @param budget the request bytes all requests may hold at once
   */
  McpHandler(McpEndpoint endpoint, Authenticator authenticator, RefusalLog refusals, OriginPolicy origins, ObjectMapper json,
      Optional<Operations> operations, Duration bodyTimeout, Duration bodyGrace, long minBodyBytesPerSecond,
      RequestBytesBudget budget) {
    this(endpoint, authenticator, refusals, origins, json, operations, bodyTimeout, bodyGrace, minBodyBytesPerSecond, budget,
        Optional.empty());
  }

  /** @param attestation what {@code GET /v1/attestation} answers, to anyone; without it that path is not served */
  McpHandler(McpEndpoint endpoint, Authenticator authenticator, RefusalLog refusals, OriginPolicy origins, ObjectMapper json,
      Optional<Operations> operations, Duration bodyTimeout, Duration bodyGrace, long minBodyBytesPerSecond,
      RequestBytesBudget budget, Optional<Supplier<ObjectNode>> attestation) {
    this.attestation = attestation;
    this.bodyGrace = bodyGrace;
    this.minBodyBytesPerSecond = minBodyBytesPerSecond;
    this.budget = budget;
    this.endpoint = endpoint;
    this.authenticator = authenticator;
    this.refusals = refusals;
    this.origins = origins;
    this.json = json;
    this.operations = operations;
    this.bodyTimeout = bodyTimeout;
    this.tracing = operations.map(Operations::tracing).orElseGet(Tracing::off);
  }

  /** A request body as read: whole, over the size limit, or not arrived within the body timeout. */
  private sealed interface Body {
    record Whole(byte[] bytes) implements Body {}

    record TooLarge() implements Body {}

    record TooSlow() implements Body {}

    record OverBudget() implements Body {}
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) throws IOException {
    if (!tracing.on()) {
      return serve(request, response, callback);
    }
    String path = Request.getPathInContext(request);
    // Probes and scrapes are not traced: they come every few seconds and say nothing of a call.
    if ("/healthz".equals(path) || "/readyz".equals(path) || "/metrics".equals(path)) {
      return serve(request, response, callback);
    }
    try (Tracing.RequestSpan span = tracing.request(
        request.getMethod(), route(path), request.getHeaders().get("traceparent"), request.getHeaders().get("tracestate"))) {
      boolean handled = serve(request, response, callback);
      span.answered(response.getStatus(), response.getHeaders().get(RequestIds.HEADER));
      return handled;
    }
  }

  /** The path as a span names it: never a session id (which fetches its claim), nor whatever an agent made up. */
  private static String route(String path) {
    if ("/mcp".equals(path)) {
      return path;
    }
    return path.startsWith(CLAIMS_PREFIX) && path.endsWith(CLAIM_SUFFIX) ? "/v1/sessions/{id}/claim" : "(other)";
  }

  private boolean serve(Request request, Response response, Callback callback) throws IOException {
    String path = Request.getPathInContext(request);
    String requestId = requestIds.next();
    // Given back, so that a client reporting a problem can name the request in the gateway's log.
    response.getHeaders().put(RequestIds.HEADER, requestId);
    // A liveness probe must answer without credentials: it says only that the process serves.
    if ("/healthz".equals(path)) {
      return plainText(response, callback, 200, "ok\n", "text/plain; charset=utf-8");
    }
    // Read before authenticating, by agents deciding whether to trust this endpoint: it names no
    // session and holds nothing secret (evidence, policy hashes, public keys).
    if (attestation.isPresent() && ATTESTATION.equals(path)) {
      if (!"GET".equals(request.getMethod())) {
        response.getHeaders().put(HttpHeader.ALLOW, "GET");
        return plainText(response, callback, 405, ATTESTATION + " is read with GET\n", "text/plain; charset=utf-8");
      }
      response.setStatus(200);
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
      response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
      response.write(true, ByteBuffer.wrap(json.writeValueAsBytes(attestation.get().get())), callback);
      return true;
    }
    // Where an MCP client learns how to get a token, so it is served to everyone (RFC 9728).
    if (authenticator.protectedResource().isPresent() && authenticator.protectedResource().get().serves(path)) {
      return plainText(response, callback, 200, json.writeValueAsString(authenticator.protectedResource().get().document()),
          "application/json");
    }
    if (operations.isPresent() && ("/readyz".equals(path) || "/metrics".equals(path))) {
      return operatorEndpoint(request, response, callback, path, operations.get(), requestId);
    }
    // Before anything else of the request is read: its body is not touched for an unknown caller.
    Span authenticate = Tracing.step("authenticate");
    AuthResult authentication = authenticator.authenticate(request.getHeaders().get(HttpHeader.AUTHORIZATION));
    authenticate.end();
    Identity identity;
    switch (authentication) {
      case AuthResult.Authenticated authenticated -> identity = authenticated.identity();
      case AuthResult.Refused refused -> {
        return refuseUnauthenticated(response, callback, refused.refusal(), requestId);
      }
    }
    if (!origins.admits(request.getHeaders().get(HttpHeader.ORIGIN))) {
      return refuse(response, callback, 403, JsonRpcError.FORBIDDEN, "Origin not allowed; add it to allowed_origins", "origin_not_allowed");
    }
    if (path.startsWith(CLAIMS_PREFIX) && path.endsWith(CLAIM_SUFFIX) && path.length() > CLAIMS_PREFIX.length() + CLAIM_SUFFIX.length()) {
      if (!"GET".equals(request.getMethod())) {
        response.getHeaders().put(HttpHeader.ALLOW, "GET");
        return refuse(response, callback, 405, JsonRpcError.INVALID_REQUEST, "claims are fetched with GET", "method_not_allowed");
      }
      String encoded = path.substring(CLAIMS_PREFIX.length(), path.length() - CLAIM_SUFFIX.length());
      // Jetty hands over the path already percent-decoded.
      writeJson(response, callback, endpoint.claim(encoded, identity));
      return true;
    }
    if (!"/mcp".equals(path)) {
      return refuse(response, callback, 404, JsonRpcError.INVALID_REQUEST, "no such endpoint: " + path + "; MCP is served at /mcp", "not_found");
    }
    Optional<String> sessionId = header(request, "Mcp-Session-Id");
    switch (request.getMethod()) {
      case "POST" -> {
        String contentType = request.getHeaders().get(HttpHeader.CONTENT_TYPE);
        if (contentType == null || !contentType.toLowerCase(java.util.Locale.ROOT).startsWith("application/json")) {
          return refuse(response, callback, 415, JsonRpcError.INVALID_REQUEST, "Content-Type must be application/json", "unsupported_media_type");
        }
        byte[] body;
        switch (readBody(request)) {
          case Body.Whole whole -> body = whole.bytes();
          case Body.OverBudget overBudget -> {
            response.getHeaders().put(HttpHeader.RETRY_AFTER, "1");
            return refuse(response, callback, 503, JsonRpcError.INTERNAL_ERROR,
                "the gateway holds as many request bytes as it may (limits.max_request_bytes_in_flight); retry shortly",
                "gateway_busy");
          }
          case Body.TooLarge tooLarge -> {
            return refuse(response, callback, 413, JsonRpcError.INVALID_REQUEST,
                "request body over " + MAX_REQUEST_BYTES + " bytes", "request_too_large");
          }
          case Body.TooSlow tooSlow -> {
            // Usually nobody is left to read this: the connection is closed, or about to be.
            LOG.log(Level.INFO, "dropped a request whose body did not arrive in time");
            return refuse(response, callback, 408, JsonRpcError.INVALID_REQUEST,
                "request body not received in time", "request_timeout");
          }
        }
        McpHttpRequest mcpRequest =
            new McpHttpRequest(sessionId, header(request, "MCP-Protocol-Version"), header(request, "X-MCP-Workflow-ID"), body,
            Optional.of(requestId), identity,
                new McpHttpRequest.MirroredHeaders(header(request, "Mcp-Method"), header(request, "Mcp-Name")));
        boolean large = LargeRequests.isLarge(body.length);
        try {
          if (large && !awaitTurn()) {
            large = false;
            response.getHeaders().put(HttpHeader.RETRY_AFTER, "1");
            return refuse(response, callback, 503, JsonRpcError.INTERNAL_ERROR,
                "too many large requests are being worked on; retry shortly", "gateway_busy");
          }
          if (acceptsEventStream(request) && header(request, "Mcp-Method").filter("subscriptions/listen"::equals).isPresent()) {
            switch (endpoint.listen(mcpRequest)) {
              case McpEndpoint.Listening.Answered answered -> send(request, response, callback, answered.response());
              case McpEndpoint.Listening.Opened opened -> streamToAgent(response, callback, opened.stream(), Optional.of(opened.acknowledgment()));
            }
          } else if (acceptsEventStream(request)) {
            answerRelayingProgress(request, response, callback, mcpRequest);
          } else {
            send(request, response, callback, endpoint.post(mcpRequest));
          }
        } finally {
          if (large) {
            largeRequests.done();
          }
          // The body and what was parsed from it are garbage once the call is answered.
          budget.release(body.length);
        }
      }
      case "DELETE" -> send(request, response, callback, endpoint.delete(sessionId, identity));
      case "GET" -> {
        if (!acceptsEventStream(request)) {
          return refuse(response, callback, 406, JsonRpcError.INVALID_REQUEST,
              "GET /mcp opens an event stream; send Accept: text/event-stream", "not_acceptable");
        }
        Optional<McpHttpResponse> refusal = endpoint.refuseStream(sessionId, identity);
        if (refusal.isPresent()) {
          writeJson(response, callback, refusal.get());
          return true;
        }
        Optional<String> lastEventId = header(request, "Last-Event-ID");
        if (lastEventId.isPresent()) {
          resumeForAgent(response, callback, sessionId.get(), lastEventId.get());
          return true;
        }
        streamToAgent(response, callback, endpoint.openStream(sessionId.get()), Optional.empty());
      }
      default -> {
        response.getHeaders().put(HttpHeader.ALLOW, "GET, POST, DELETE");
        return refuse(response, callback, 405, JsonRpcError.INVALID_REQUEST, request.getMethod() + " is not allowed on /mcp", "method_not_allowed");
      }
    }
    return true;
  }

  private boolean operatorEndpoint(Request request, Response response, Callback callback, String path, Operations ops,
      String requestId) {
    if (!origins.admits(request.getHeaders().get(HttpHeader.ORIGIN))) {
      return plainText(response, callback, 403, "Origin not allowed; add it to allowed_origins\n", "text/plain; charset=utf-8");
    }
    if (ops.requireToken() && authenticator.authenticate(request.getHeaders().get(HttpHeader.AUTHORIZATION))
        instanceof AuthResult.Refused refused) {
      refusals.refused(refused.refusal(), Optional.of(requestId));
      response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, challenge(refused.refusal()));
      return plainText(response, callback, refused.refusal().status(), refused.refusal().message() + "\n", "text/plain; charset=utf-8");
    }
    if (!"GET".equals(request.getMethod())) {
      response.getHeaders().put(HttpHeader.ALLOW, "GET");
      return plainText(response, callback, 405, path + " is read with GET\n", "text/plain; charset=utf-8");
    }
    if ("/metrics".equals(path)) {
      GatewayMetrics.Exposition exposition = ops.metrics().exposition(request.getHeaders().get(HttpHeader.ACCEPT));
      return answer(response, callback, 200, exposition.body(), exposition.contentType());
    }
    List<String> problems = ops.problems();
    if (problems.isEmpty()) {
      StringBuilder body = new StringBuilder("ready\n");
      ops.notices().forEach(notice -> body.append("notice: ").append(notice).append('\n'));
      return plainText(response, callback, 200, body.toString(), "text/plain; charset=utf-8");
    }
    return plainText(response, callback, 503, String.join("\n", problems) + "\n", "text/plain; charset=utf-8");
  }

  private static boolean plainText(Response response, Callback callback, int status, String body, String contentType) {
    return answer(response, callback, status, body.getBytes(StandardCharsets.UTF_8), contentType);
  }

  private static boolean answer(Response response, Callback callback, int status, byte[] body, String contentType) {
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
    response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
    response.write(true, ByteBuffer.wrap(body), callback);
    return true;
  }

  /**
   * Reads the body, at most {@link #MAX_REQUEST_BYTES}, reserving its bytes in the budget as they
   * arrive (a {@link Body.Whole} keeps its reservation; the caller releases it). Jetty's idle
   * timeout ends a body that stops arriving, but not one sent a byte at a time just inside it
   * (slowloris): after the grace a body must arrive at the minimum average rate, and the
   * whole read is bounded by a deadline (the body timeout, or sooner when the declared length
   * at the minimum rate needs less) that closes the connection. Both end in {@link Body.TooSlow},
   * answered 408 if the connection is still there.
   */
  private Body readBody(Request request) throws IOException {
    long declared = request.getLength();
    if (declared > MAX_REQUEST_BYTES) {
      return new Body.TooLarge();
    }
    long deadlineMillis = bodyTimeout.toMillis();
    if (minBodyBytesPerSecond > 0 && declared >= 0) {
      deadlineMillis = Math.min(deadlineMillis, bodyGrace.toMillis() + declared * 1000 / minBodyBytesPerSecond);
    }
    long start = System.nanoTime();
    // The buffer's capacity is what is reserved: it is the memory this request holds.
    int capacity = (int) (declared >= 0 ? declared + 1 : READ_CHUNK);
    if (!budget.reserve(capacity)) {
      return new Body.OverBudget();
    }
    BodyBuffer buffer = new BodyBuffer(budget, capacity);
    AtomicBoolean late = new AtomicBoolean();
    Scheduler.Task deadline = null;
    try {
      // What has already arrived is taken without waiting: a small body usually comes with its
      // head, and then no deadline is needed (scheduling one wakes the scheduler's thread, a cost
      // on every call). Only a body still on its way gets the deadline and the rate check.
      boolean whole = false;
      Content.Chunk chunk;
      while (!whole && (chunk = request.read()) != null) {
        try {
          if (Content.Chunk.isFailure(chunk)) {
            Throwable failure = chunk.getFailure();
            throw failure instanceof IOException io ? io : new IOException(failure);
          }
          ByteBuffer bytes = chunk.getByteBuffer();
          while (bytes.hasRemaining()) {
            Body refused = buffer.makeRoom();
            if (refused != null) {
              return refused;
            }
            int taken = Math.min(bytes.remaining(), buffer.bytes.length - buffer.length);
            bytes.get(buffer.bytes, buffer.length, taken);
            buffer.length += taken;
          }
          whole = chunk.isLast();
        } finally {
          chunk.release();
        }
      }
      if (!whole) {
        deadline = request.getComponents().getScheduler().schedule(() -> {
          late.set(true);
          request.getConnectionMetaData().getConnection().getEndPoint().close(new TimeoutException("request body too slow"));
        }, deadlineMillis, TimeUnit.MILLISECONDS);
        try (InputStream in = Content.Source.asInputStream(request)) {
          while (true) {
            Body refused = buffer.makeRoom();
            if (refused != null) {
              return refused;
            }
            int read = in.read(buffer.bytes, buffer.length, buffer.bytes.length - buffer.length);
            if (read < 0) {
              break;
            }
            buffer.length += read;
            long elapsedNanos = System.nanoTime() - start;
            if (minBodyBytesPerSecond > 0 && elapsedNanos > bodyGrace.toNanos()
                && buffer.length * 1_000_000_000.0 / elapsedNanos < minBodyBytesPerSecond) {
              return new Body.TooSlow();
            }
          }
        }
      }
      if (buffer.length > MAX_REQUEST_BYTES) {
        return new Body.TooLarge();
      }
      byte[] exact = Arrays.copyOf(buffer.bytes, buffer.length);
      // From here the caller holds exactly the body's length and gives it back when answered.
      budget.release(buffer.bytes.length - buffer.length);
      buffer.bytes = new byte[0];
      return new Body.Whole(exact);
    } catch (IOException e) {
      // Jetty's idle timeout reaches the reader as a TimeoutException cause; the deadline as a closed connection.
      if (late.get() || e.getCause() instanceof TimeoutException) {
        return new Body.TooSlow();
      }
      throw e;
    } finally {
      if (deadline != null) {
        deadline.cancel();
      }
      budget.release(buffer.bytes.length);
    }
  }

  /**
   * A request body as it is read: its bytes so far in a buffer whose whole length is reserved in
   * the budget. Used by one request's thread only.
   */
  private static final class BodyBuffer {
    private final RequestBytesBudget budget;
    private byte[] bytes;
    private int length;

    BodyBuffer(RequestBytesBudget budget, int reserved) {
      this.budget = budget;
      this.bytes = new byte[reserved];
    }

    /**
     * Makes room for at least one more byte, doubling the buffer (and its reservation) when full;
     * null when there is room, or the refusal when the body is too large or the budget is spent.
     */
    Body makeRoom() {
      if (length < bytes.length) {
        return null;
      }
      if (length > MAX_REQUEST_BYTES) {
        return new Body.TooLarge();
      }
      int grown = Math.min(length * 2, MAX_REQUEST_BYTES + 1);
      if (!budget.reserve(grown - bytes.length)) {
        return new Body.OverBudget();
      }
      bytes = Arrays.copyOf(bytes, grown);
      return null;
    }
  }

  private boolean awaitTurn() throws IOException {
    try {
      return largeRequests.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while waiting to work on a large request", e);
    }
  }

  /**
   * A request authentication refused: recorded with its cause, and answered as RFC 6750 and the
   * MCP authorization spec say, so that an MCP client can find where to get a token.
   */
  private boolean refuseUnauthenticated(Response response, Callback callback, AuthRefusal refusal, String requestId)
      throws IOException {
    refusals.refused(refusal, Optional.of(requestId));
    response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, challenge(refusal));
    int code = refusal.status() == 503 ? JsonRpcError.INTERNAL_ERROR
        : refusal.status() == 403 ? JsonRpcError.FORBIDDEN : JsonRpcError.UNAUTHORIZED;
    return refuse(response, callback, refusal.status(), code, refusal.message(), refusal.cause());
  }

  private String challenge(AuthRefusal refusal) {
    Optional<String> error = switch (refusal.cause()) {
      case "no_token" -> Optional.empty();
      case "insufficient_scope" -> Optional.of("insufficient_scope");
      default -> Optional.of("invalid_token");
    };
    return authenticator.protectedResource().map(resource -> resource.challenge(error))
        .orElse(error.map(e -> "Bearer error=\"" + e + "\"").orElse("Bearer"));
  }

  /**
   * Every refusal here is made with the request body unread (or read only in part), and Jetty drops
   * a connection whose body it cannot consume after the answer: saying so lets the client open a
   * new connection for its next request instead of reusing one that is about to close under it.
   */
  private boolean refuse(Response response, Callback callback, int status, int code, String message, String word)
      throws IOException {
    response.getHeaders().put(HttpHeader.CONNECTION, "close");
    McpHttpResponse answer = McpHttpResponse.error(status, NullNode.getInstance(), JsonRpcError.withWord(code, message, word));
    writeJson(response, callback, answer);
    return true;
  }

  /**
   * Serves a call on this thread; see {@link EventRelay} for what the upstream sends the agent
   * before the answer.
   */
  private void answerRelayingProgress(Request request, Response response, Callback callback, McpHttpRequest mcpRequest)
      throws IOException {
    EventRelay relay = new EventRelay(response, callback, json, mcpRequest.sessionId(), replays);
    McpHttpResponse answer;
    try {
      answer = endpoint.post(mcpRequest, relay, relay);
    } catch (RuntimeException | Error e) {
      if (!relay.fail(e)) {
        throw e;
      }
      return;
    }
    if (!relay.finish(answer)) {
      send(request, response, callback, answer);
    }
  }

  /**
   * The rest of an answer's stream the agent was cut from (or that the gateway closed because the
   * upstream did, SEP-1699): the events after {@code lastEventId}, then those still to come, until
   * the answer. Only the session that opened the stream gets it ({@link StreamReplays}); the
   * caller has checked that the session is the agent's.
   */
  private void resumeForAgent(Response response, Callback callback, String sessionId, String lastEventId)
      throws IOException {
    StreamReplays.Resumed resumed = replays.resume(sessionId, lastEventId);
    if (resumed instanceof StreamReplays.Resumed.Refused refused) {
      refuse(response, callback, 404, JsonRpcError.INVALID_REQUEST, refused.reason(), "stream_not_found");
      return;
    }
    StreamReplays.Resumed.From from = (StreamReplays.Resumed.From) resumed;
    OutputStream events = openEventStream(response);
    try {
      long after = from.after();
      while (true) {
        boolean complete = from.stream().isComplete();
        java.util.List<StreamReplays.Event> next = from.stream().after(after, KEEPALIVE.toMillis());
        for (StreamReplays.Event event : next) {
          events.write(("id: " + event.id() + "\n" + (event.data().isEmpty() ? "data: \n\n" : "event: message\ndata: " + event.data() + "\n\n"))
              .getBytes(StandardCharsets.UTF_8));
          after = event.sequence();
        }
        if (complete && next.isEmpty()) {
          break;
        }
        if (next.isEmpty() && !endpoint.isOpen(sessionId)) {
          break;
        }
        events.write((next.isEmpty() ? ": keepalive\n\n" : "").getBytes(StandardCharsets.UTF_8));
        events.flush();
      }
      events.close();
      callback.succeeded();
    } catch (IOException e) {
      callback.failed(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      callback.failed(e);
    }
  }

  /**
   * A session's standalone stream: what the gateway has for the session outside any request
   * (updates of subscribed resources), until the session ends or the client goes. A comment line
   * every {@link #KEEPALIVE} keeps intermediaries from closing a quiet stream and finds a client
   * that left.
   */
  private void streamToAgent(Response response, Callback callback, SessionStreams.Stream stream,
      Optional<com.fasterxml.jackson.databind.node.ObjectNode> first) {
    OutputStream events = openEventStream(response);
    try (stream) {
      events.write(": stream open\n\n".getBytes(StandardCharsets.UTF_8));
      if (first.isPresent()) {
        writeEvent(events, first.get());
      }
      events.flush();
      while (true) {
        Optional<com.fasterxml.jackson.databind.node.ObjectNode> next = stream.next(KEEPALIVE.toMillis());
        if (next.isPresent()) {
          writeEvent(events, next.get());
        } else if (!endpoint.isOpen(stream.sessionId())) {
          break;
        } else {
          events.write(": keepalive\n\n".getBytes(StandardCharsets.UTF_8));
          events.flush();
        }
      }
      events.close();
      callback.succeeded();
    } catch (IOException e) {
      // The client went away: its stream ends here.
      callback.failed(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      callback.failed(e);
    }
  }

  /**
   * Starts a long-lived event stream (a session's standalone stream, a resumed answer): no
   * caching, and no buffering by a proxy in front (nginx's header), so each event reaches the
   * agent as it is written.
   */
  private static OutputStream openEventStream(Response response) {
    response.setStatus(200);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/event-stream");
    response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
    response.getHeaders().put("X-Accel-Buffering", "no");
    return Content.Sink.asOutputStream(response);
  }

  private void writeEvent(OutputStream events, JsonNode message) throws IOException {
    events.write(("event: message\ndata: " + json.writeValueAsString(message) + "\n\n").getBytes(StandardCharsets.UTF_8));
    events.flush();
  }

  private void send(Request request, Response response, Callback callback, McpHttpResponse answer) throws IOException {
    if (answer.body().isPresent() && wantsEventStream(request)) {
      answer.headers().forEach((name, value) -> response.getHeaders().put(name, value));
      response.setStatus(answer.status());
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/event-stream");
      response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
      String event = "event: message\ndata: " + json.writeValueAsString(answer.body().get()) + "\n\n";
      response.write(true, ByteBuffer.wrap(event.getBytes(StandardCharsets.UTF_8)), callback);
      return;
    }
    writeJson(response, callback, answer);
  }

  private void writeJson(Response response, Callback callback, McpHttpResponse answer) throws IOException {
    response.setStatus(answer.status());
    for (Map.Entry<String, String> header : answer.headers().entrySet()) {
      response.getHeaders().put(header.getKey(), header.getValue());
    }
    if (answer.body().isEmpty()) {
      response.write(true, org.eclipse.jetty.util.BufferUtil.EMPTY_BUFFER, callback);
      return;
    }
    JsonNode body = answer.body().get();
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
    response.write(true, ByteBuffer.wrap(json.writeValueAsBytes(body)), callback);
  }

  /** Whether progress may be streamed to the client: MCP clients accept both JSON and SSE. */
  private static boolean acceptsEventStream(Request request) {
    String accept = request.getHeaders().get(HttpHeader.ACCEPT);
    return accept != null && accept.toLowerCase(java.util.Locale.ROOT).contains("text/event-stream");
  }

  /** SSE only for a client that accepts it and not JSON: JSON is simpler for everyone else. */
  private static boolean wantsEventStream(Request request) {
    String accept = request.getHeaders().get(HttpHeader.ACCEPT);
    if (accept == null) {
      return false;
    }
    String lower = accept.toLowerCase(java.util.Locale.ROOT);
    return lower.contains("text/event-stream") && !lower.contains("application/json") && !lower.contains("*/*");
  }

  private static Optional<String> header(Request request, String name) {
    return Optional.ofNullable(request.getHeaders().get(name));
  }
}
