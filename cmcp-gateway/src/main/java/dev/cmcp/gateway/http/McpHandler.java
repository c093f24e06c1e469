package dev.cmcp.gateway.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.gateway.mcp.JsonRpcError;
import dev.cmcp.gateway.mcp.McpEndpoint;
import dev.cmcp.gateway.mcp.McpHttpRequest;
import dev.cmcp.gateway.mcp.McpHttpResponse;
import dev.cmcp.gateway.ops.Operations;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
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
  private static final Logger LOG = System.getLogger("cmcp.http");
  private static final int MAX_QUEUED_PROGRESS = 64;
  private static final String CLAIMS_PREFIX = "/v1/sessions/";
  private static final String CLAIM_SUFFIX = "/claim";
  private static final String ATTESTATION = "/v1/attestation";

  private final McpEndpoint endpoint;
  private final Optional<BearerToken> token;
  private final OriginPolicy origins;
  private final ObjectMapper json;
  private final Optional<Operations> operations;
  private final RequestIds requestIds = new RequestIds();
  private final Duration bodyTimeout;
  private final Optional<Supplier<ObjectNode>> attestation;

  McpHandler(McpEndpoint endpoint, Optional<BearerToken> token, OriginPolicy origins, ObjectMapper json,
      Optional<Operations> operations, Duration bodyTimeout) {
    this(endpoint, token, origins, json, operations, bodyTimeout, Optional.empty());
  }

  McpHandler(McpEndpoint endpoint, Optional<BearerToken> token, OriginPolicy origins, ObjectMapper json,
      Optional<Operations> operations, Duration bodyTimeout, Optional<Supplier<ObjectNode>> attestation) {
    this.attestation = attestation;
    this.endpoint = endpoint;
    this.token = token;
    this.origins = origins;
    this.json = json;
    this.operations = operations;
    this.bodyTimeout = bodyTimeout;
  }

  /** A request body as read: whole, over the size limit, or not arrived within the body timeout. */
  private sealed interface Body {
    record Whole(byte[] bytes) implements Body {}

    record TooLarge() implements Body {}

    record TooSlow() implements Body {}
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) throws IOException {
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
    if (operations.isPresent() && ("/readyz".equals(path) || "/metrics".equals(path))) {
      return operatorEndpoint(request, response, callback, path, operations.get());
    }
    if (token.isPresent() && !token.get().admits(request.getHeaders().get(HttpHeader.AUTHORIZATION))) {
      response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, "Bearer");
      return refuse(response, callback, 401, JsonRpcError.UNAUTHORIZED, "missing or wrong bearer token", "unauthorized");
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
      writeJson(response, callback, endpoint.claim(encoded));
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
            Optional.of(requestId));
        if (acceptsEventStream(request)) {
          answerRelayingProgress(request, response, callback, mcpRequest);
        } else {
          send(request, response, callback, endpoint.post(mcpRequest));
        }
      }
      case "DELETE" -> send(request, response, callback, endpoint.delete(sessionId));
      case "GET" -> {
        // Upstream messages reach an agent only on the stream of the call they belong to, so there
        // is no standalone SSE stream.
        response.getHeaders().put(HttpHeader.ALLOW, "POST, DELETE");
        return refuse(response, callback, 405, JsonRpcError.INVALID_REQUEST, "GET /mcp: this server offers no SSE stream; POST requests instead", "method_not_allowed");
      }
      default -> {
        response.getHeaders().put(HttpHeader.ALLOW, "POST, DELETE");
        return refuse(response, callback, 405, JsonRpcError.INVALID_REQUEST, request.getMethod() + " is not allowed on /mcp", "method_not_allowed");
      }
    }
    return true;
  }

  private boolean operatorEndpoint(Request request, Response response, Callback callback, String path, Operations ops) {
    if (!origins.admits(request.getHeaders().get(HttpHeader.ORIGIN))) {
      return plainText(response, callback, 403, "Origin not allowed; add it to allowed_origins\n", "text/plain; charset=utf-8");
    }
    if (ops.requireToken() && token.isPresent() && !token.get().admits(request.getHeaders().get(HttpHeader.AUTHORIZATION))) {
      response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, "Bearer");
      return plainText(response, callback, 401, "missing or wrong bearer token\n", "text/plain; charset=utf-8");
    }
    if (!"GET".equals(request.getMethod())) {
      response.getHeaders().put(HttpHeader.ALLOW, "GET");
      return plainText(response, callback, 405, path + " is read with GET\n", "text/plain; charset=utf-8");
    }
    if ("/metrics".equals(path)) {
      return plainText(response, callback, 200, ops.metrics().render(), "text/plain; version=0.0.4; charset=utf-8");
    }
    List<String> problems = ops.problems();
    if (problems.isEmpty()) {
      return plainText(response, callback, 200, "ready\n", "text/plain; charset=utf-8");
    }
    return plainText(response, callback, 503, String.join("\n", problems) + "\n", "text/plain; charset=utf-8");
  }

  private static boolean plainText(Response response, Callback callback, int status, String body, String contentType) {
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
    response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
    response.write(true, ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8)), callback);
    return true;
  }

  /**
   * Reads the body, at most {@link #MAX_REQUEST_BYTES}. Jetty's idle timeout ends a body that
   * stops arriving, but not one sent a byte at a time just inside it (slowloris), which could hold
   * the request for days; the body timeout bounds the whole read by closing the connection.
   * Both end in {@link Body.TooSlow}, answered 408 if the connection is still there.
   */
  private Body readBody(Request request) throws IOException {
    if (request.getLength() > MAX_REQUEST_BYTES) {
      return new Body.TooLarge();
    }
    AtomicBoolean late = new AtomicBoolean();
    Scheduler.Task deadline = request.getComponents().getScheduler().schedule(() -> {
      late.set(true);
      request.getConnectionMetaData().getConnection().getEndPoint().close(new TimeoutException("request body too slow"));
    }, bodyTimeout.toMillis(), TimeUnit.MILLISECONDS);
    try (InputStream in = Content.Source.asInputStream(request)) {
      byte[] body = in.readNBytes(MAX_REQUEST_BYTES + 1);
      return body.length > MAX_REQUEST_BYTES ? new Body.TooLarge() : new Body.Whole(body);
    } catch (IOException e) {
      // Jetty's idle timeout reaches the reader as a TimeoutException cause; the body timeout as a closed connection.
      if (late.get() || e.getCause() instanceof TimeoutException) {
        return new Body.TooSlow();
      }
      throw e;
    } finally {
      deadline.cancel();
    }
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

  /** What the worker answering one request hands to the thread writing the HTTP response. */
  private sealed interface Outgoing {
    record ToAgent(JsonNode message) implements Outgoing {}

    record Answer(McpHttpResponse response) implements Outgoing {}

    record Failure(Throwable error) implements Outgoing {}
  }

  /**
   * The request is answered on a worker thread while this one writes. The first message from the
   * upstream for the agent (progress, a log message, a request) turns the response into an SSE
   * stream, whose last event is the answer; without one the answer goes out as for any other request. Writing here, not on the
   * upstream's reader thread, keeps a slow agent from stalling the upstream's other requests.
   */
  private void answerRelayingProgress(Request request, Response response, Callback callback, McpHttpRequest mcpRequest)
      throws IOException {
    BlockingQueue<Outgoing> outgoing = new LinkedBlockingQueue<>();
    Thread.ofVirtual().name("mcp-answer").start(() -> {
      try {
        outgoing.add(new Outgoing.Answer(endpoint.post(mcpRequest, notification -> {
          // Progress and log messages are advice: under a flood later ones are dropped, not queued
          // without bound. A server's request is never dropped (its server waits for the answer);
          // a call has at most a few open at once.
          if (notification.has("id") || outgoing.size() < MAX_QUEUED_PROGRESS) {
            outgoing.add(new Outgoing.ToAgent(notification));
          }
        })));
      } catch (RuntimeException | Error e) {
        // Handed over, so that the writing thread never waits for an answer that cannot come.
        outgoing.add(new Outgoing.Failure(e));
      }
    });
    OutputStream events = null;
    while (true) {
      Outgoing next;
      try {
        next = outgoing.take();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        callback.failed(e);
        return;
      }
      switch (next) {
        case Outgoing.ToAgent toAgent -> {
          if (events == null) {
            response.setStatus(200);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/event-stream");
            response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
            events = Content.Sink.asOutputStream(response);
          }
          writeEvent(events, toAgent.message());
        }
        case Outgoing.Answer answer -> {
          if (events == null) {
            send(request, response, callback, answer.response());
          } else {
            if (answer.response().body().isPresent()) {
              writeEvent(events, answer.response().body().get());
            }
            events.close();
            callback.succeeded();
          }
          return;
        }
        case Outgoing.Failure failure -> {
          callback.failed(failure.error());
          return;
        }
      }
    }
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
