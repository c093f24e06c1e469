package dev.cmcp.gateway.upstream;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.gateway.catalog.UpstreamServer;
import dev.cmcp.gateway.ops.Tracing;
import dev.cmcp.verify.base.StrictJson;
import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger.Level;
import java.net.SocketTimeoutException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodySubscribers;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * A Streamable HTTP upstream: each JSON-RPC message is one POST; the answer comes back as a JSON
 * body or inside an SSE stream. The MCP session (its {@code Mcp-Session-Id}) is started on first
 * use and started again once when the server says it ended. One HttpClient per upstream keeps
 * its connections alive between requests.
 *
 * <p>The instance {@link Upstreams} makes per server holds the gateway's shared session (lists,
 * stateless requests, servers in {@code session_mode: shared}); {@link #forAgent} gives each agent
 * session a link of its own over the same client and connections, with its own upstream MCP
 * session and standalone stream, ended ({@code DELETE}) when the agent's session ends.
 */
final class HttpConnection implements UpstreamConnection {
  private static final System.Logger LOG = System.getLogger(HttpConnection.class.getName());

  private static final Duration GOODBYE_TIMEOUT = Duration.ofSeconds(2);
  /**
   * How many times one answer's event stream is resumed ({@code GET} with {@code Last-Event-ID})
   * after the server closed it before the answer; a server that keeps closing it fails the call
   * rather than holding the gateway in a loop (the call's deadline bounds it too).
   */
  static final int MAX_RESUMES = 8;
  /** The wait before resuming when the server sent no {@code retry} field. */
  static final Duration DEFAULT_RESUME_WAIT = Duration.ofSeconds(1);
  /** The longest {@code retry} honoured; a server asking for more is resumed after this long. */
  static final Duration MAX_RESUME_WAIT = Duration.ofSeconds(10);
  /** How long what the last exchange showed stands for the server's reachability before a ping checks again. */
  static final Duration REACHABILITY_TTL = Duration.ofSeconds(10);

  private final UpstreamServer.StreamableHttp server;
  private final UpstreamSettings settings;
  private final StrictJson json;
  private final UpstreamEvents events;
  private final HttpClient client;
  /** Plain http: each exchange runs on the caller's thread ({@link BlockingPost}); https keeps the HttpClient (HTTP/2, ALPN). */
  private final boolean blocking;
  /** Why the catalog entry cannot be used (bad URL or header), or null when it can. */
  private final String misconfiguration;

  /** Shared by the server's links: ids stay unique on the pooled connections, whichever session asks. */
  private final AtomicLong nextId;
  /** The agent session this link belongs to; empty for the server's shared link. */
  private final String agentSession;
  /** The links of agent sessions, by agent session id; held by the shared link only. */
  private final Map<String, HttpConnection> agentLinks = new ConcurrentHashMap<>();
  private final ReentrantLock initializing = new ReentrantLock();
  private volatile Session session;
  private volatile boolean closed;
  /** The id of an answer the standalone stream waits for: none, since the gateway's ids start at 1. */
  private static final long NO_ANSWER = -1;
  private volatile LastContact lastContact;
  private final AtomicBoolean probing = new AtomicBoolean();

  /**
   * What the last exchange with the server showed.
   *
   * @param failure why the server could not be reached, or null when it answered
   * @param atNanos when, on {@link System#nanoTime}'s scale
   */
  private record LastContact(String failure, long atNanos) {}

  /** The MCP session with the server; {@code id} is null for a server that keeps no sessions (and for 2026-07-28). */
  private record Session(String id, String protocolVersion) {
    /** 2026-07-28: no session; every request carries the envelope and the Mcp-Method header. */
    boolean modern() {
      return Handshake.MODERN_VERSION.equals(protocolVersion);
    }
  }

  /** The server's shared link (this one, for the shared link): it remembers whether the server speaks 2026-07-28. */
  private final HttpConnection shared;
  /** Whether the server refused the 2025 handshake and offered 2026-07-28 instead. Kept on the shared link. */
  private volatile boolean speaksModern;
  /** Whether {@code server/discover} offered 2026-07-28; null until asked. Kept on the shared link. */
  private volatile Boolean discovered;

  /** What came back for one POST, before it is turned into an answer or an error. */
  private sealed interface Reply {
    record Answer(ObjectNode message) implements Reply {}

    record Accepted() implements Reply {}

    /** The server no longer knows the session the gateway sent. */
    record SessionEnded(int status) implements Reply {}

    record Refused(int status) implements Reply {}

    record UnexpectedContent(String contentType) implements Reply {}

    /** The server closed the answer's event stream after an event id: it may be resumed from there. */
    record Paused() implements Reply {}

    /** The server did not resume the stream when asked: the HTTP status, and the content type it sent. */
    record NotResumed(int status, String contentType) implements Reply {}
  }

  HttpConnection(UpstreamServer.StreamableHttp server, UpstreamSettings settings, StrictJson json, UpstreamEvents events) {
    this.server = server;
    this.settings = settings;
    this.json = json;
    this.events = events;
    this.misconfiguration = misconfiguration(server);
    this.blocking = "http".equalsIgnoreCase(server.url().getScheme());
    this.nextId = new AtomicLong(1);
    this.agentSession = "";
    this.shared = this;
    this.lastContact = new LastContact("upstream " + server.name() + " has not been reached yet", System.nanoTime());
    // Redirects are not followed: they would carry the catalog's headers (credentials) elsewhere.
    // Over plain http the client would otherwise offer an h2c upgrade on each new connection;
    // over https, ALPN picks the version at no extra cost.
    this.client =
        HttpClient.newBuilder()
            .connectTimeout(settings.timeout())
            .followRedirects(HttpClient.Redirect.NEVER)
            .version("http".equalsIgnoreCase(server.url().getScheme()) ? HttpClient.Version.HTTP_1_1 : HttpClient.Version.HTTP_2)
            .build();
  }

  /** A link for one agent session over {@code shared}'s client: its own upstream session, started on first use. */
  private HttpConnection(HttpConnection shared, String agentSession, UpstreamEvents events) {
    this.server = shared.server;
    this.settings = shared.settings;
    this.json = shared.json;
    this.events = events;
    this.misconfiguration = shared.misconfiguration;
    this.blocking = shared.blocking;
    this.client = shared.client;
    this.nextId = shared.nextId;
    this.agentSession = agentSession;
    this.shared = shared;
    this.lastContact = new LastContact(null, System.nanoTime());
  }

  /** Whether each agent session gets an upstream session of its own ({@code session_mode: per_agent}). */
  boolean perAgent() {
    return server.sessionMode() == UpstreamServer.SessionMode.PER_AGENT;
  }

  /**
   * The link of agent session {@code id}, made on its first use; its upstream session starts with
   * its first request. Called on the shared link only; {@code events} hear what the server sends
   * in that session.
   */
  HttpConnection forAgent(String id, UpstreamEvents events) {
    if (!agentSession.isEmpty()) {
      throw new IllegalStateException("an agent session's link has no links of its own");
    }
    return agentLinks.computeIfAbsent(id, key -> new HttpConnection(this, key, events));
  }

  /** Ends agent session {@code id}'s upstream session, if it has one, in the background: DELETE, as the transport asks. */
  void endAgentSession(String id) {
    HttpConnection link = agentLinks.remove(id);
    if (link != null) {
      Thread.ofVirtual().name("upstream-" + server.name() + "-goodbye").start(link::end);
    }
  }

  /** How many agent sessions hold a link (an upstream session, once used) to this server now. */
  int agentSessions() {
    return agentLinks.size();
  }

  /** Starts the MCP session now, so that the first agent's call does not wait for it. */
  void start() {
    if (misconfiguration != null) {
      LOG.log(Level.ERROR, misconfiguration);
      return;
    }
    try {
      currentSession("initialize", deadlineFromNow());
      lastContact = new LastContact(null, System.nanoTime());
    } catch (UpstreamException e) {
      noteFailure(e);
      LOG.log(Level.WARNING, e.getMessage() + "; the gateway tries again on the next request");
    }
  }

  @Override
  public ObjectNode request(String method, JsonNode params) throws UpstreamException {
    return request(method, params, new Cancellation(), StreamWatcher.NONE);
  }

  @Override
  public ObjectNode request(String method, JsonNode params, Cancellation cancellation, StreamWatcher watcher)
      throws UpstreamException {
    if (misconfiguration != null) {
      throw new UpstreamException(UpstreamException.Kind.UNAVAILABLE, misconfiguration);
    }
    try {
      ObjectNode answer = requestInSession(method, params, cancellation, watcher);
      lastContact = new LastContact(null, System.nanoTime());
      return answer;
    } catch (UpstreamException e) {
      noteFailure(e);
      throw e;
    }
  }

  /**
   * Why the server cannot be reached, as the last exchange showed; empty when it answered. When
   * that is older than {@link #REACHABILITY_TTL}, one {@code ping} is sent in the background to
   * renew it, so that asking often costs at most one ping per TTL.
   */
  Optional<String> problem() {
    if (misconfiguration != null) {
      return Optional.of(misconfiguration);
    }
    LastContact last = lastContact;
    if (System.nanoTime() - last.atNanos() > REACHABILITY_TTL.toNanos() && probing.compareAndSet(false, true)) {
      Thread.ofVirtual().name("upstream-" + server.name() + "-probe").start(() -> {
        try {
          // 2026-07-28 removed ping; discovery is what such a server answers.
          Session current = session;
          request(current != null && current.modern() ? "server/discover" : "ping", null);
        } catch (UpstreamException e) {
          // Recorded by request(); the next readiness check reports it.
        } finally {
          probing.set(false);
        }
      });
    }
    return Optional.ofNullable(last.failure());
  }

  /** Only a failure to get any answer makes the server unreachable; an answer of any kind shows it is there. */
  private void noteFailure(UpstreamException e) {
    if (e.kind() == UpstreamException.Kind.UNAVAILABLE || e.kind() == UpstreamException.Kind.TIMEOUT) {
      lastContact = new LastContact(e.getMessage(), System.nanoTime());
    } else {
      lastContact = new LastContact(null, System.nanoTime());
    }
  }

  private ObjectNode requestInSession(String method, JsonNode params, Cancellation cancellation, StreamWatcher watcher)
      throws UpstreamException {
    long deadline = deadlineFromNow();
    if (Handshake.agentCapabilities(params).isPresent() && offersModern(deadline)) {
      // A 2026-07-28 agent's request goes in its own revision to a server that offers it, even one
      // that also takes initialize: what the server offers (input_required tools) and checks
      // (capabilities) is then what the agent would meet directly. Stateless: no session to renew.
      return answerIn(exchange(new Session(null, Handshake.MODERN_VERSION), method, params, deadline, cancellation, watcher), method);
    }
    params = Handshake.withoutEnvelope(params);
    Session used = currentSession(method, deadline);
    Reply reply = exchange(used, method, params, deadline, cancellation, watcher);
    if (reply instanceof Reply.SessionEnded ended) {
      LOG.log(
          Level.INFO,
          "upstream " + server.name() + " no longer knows the gateway's session (HTTP " + ended.status()
              + "); starting a new one");
      Session renewed = renewSession(used, method, deadline);
      reply = exchange(renewed, method, params, deadline, cancellation, watcher);
      if (reply instanceof Reply.SessionEnded again) {
        throw new UpstreamException(
            UpstreamException.Kind.UNAVAILABLE,
            "upstream " + server.name() + " rejected a fresh session too (HTTP " + again.status() + ") for " + method);
      }
    }
    return answerIn(reply, method);
  }

  /**
   * Opens the session's standalone stream ({@code GET}), where the server sends what belongs to
   * no request of ours: its requests (sampling, elicitation) and notifications (resource updates,
   * log messages). Each message goes where one on an answer's stream would ({@link #fromServer}),
   * so a request finds the agent whose call is in flight or is refused at once, with the reason.
   * The stream is reopened when it ends (after 1 s, then up to 30 s while it keeps failing), for as
   * long as the session lasts; a server that answers the GET with anything but an event stream
   * (405: it offers none) is not asked again in this session. One stream carries at most
   * max_response_size_bytes, then is reopened, so that it is bounded like any answer.
   */
  // Identity, not equality: a renewed session may carry the same id and version as this one.
  @SuppressWarnings("ReferenceEquality")
  private void listen(Session opened) {
    Thread.ofVirtual().name("upstream-stream-" + server.name()).start(() -> {
      long pause = 1_000;
      while (!closed && session == opened) {
        StreamOutcome outcome = openStream(opened);
        if (outcome == StreamOutcome.NOT_OFFERED || closed) {
          return;
        }
        pause = outcome == StreamOutcome.ENDED ? 1_000 : Math.min(pause * 2, 30_000);
        try {
          Thread.sleep(pause);
        } catch (InterruptedException e) {
          return;
        }
      }
    });
  }

  private enum StreamOutcome { NOT_OFFERED, ENDED, FAILED }

  /** The longest a new listen waits for the server to acknowledge its {@code subscriptions/listen}. */
  static final Duration LISTEN_ACKNOWLEDGMENT_WAIT = Duration.ofSeconds(2);

  /** An open {@code subscriptions/listen} with the server (for list changes, or for task statuses); closing it ends the stream. */
  interface ListenStream extends AutoCloseable {
    /** Whether the stream is still read: the server has not ended it and it was not closed. */
    boolean isOpen();

    @Override
    void close();
  }

  /**
   * Opens a 2026-07-28 {@code subscriptions/listen} with a server that offers that revision, for
   * its tool, prompt and resource list changes, with the gateway's envelope (no client
   * capabilities), and passes each {@code notifications/tools/list_changed}, {@code
   * notifications/prompts/list_changed} and {@code notifications/resources/list_changed} on it to
   * {@code changes}, by method; nothing else of the
   * stream is used. Returns once the server acknowledged it, or after {@link
   * #LISTEN_ACKNOWLEDGMENT_WAIT} (the stream stays open); empty when the server does not offer
   * 2026-07-28 or refused the listen. The stream is read on a thread of its own, a line at most
   * {@code max_response_size_bytes} long (longer ones are skipped), in SSE ({@code data:} lines) or
   * one JSON message a line, until the server ends it or it is closed.
   */
  Optional<ListenStream> listenForListChanges(Consumer<String> changes) {
    ObjectNode params = json.mapper().createObjectNode();
    params.putObject("notifications").put("toolsListChanged", true).put("promptsListChanged", true).put("resourcesListChanged", true);
    return listen(Handshake.withEnvelope(params), received -> {
      String method = received.path("method").asText("");
      if (Upstreams.LIST_CHANGES.contains(method)) {
        changes.accept(method);
      }
    }, "its list changes are relayed once it does");
  }

  /**
   * As {@link #listenForListChanges}, a {@code subscriptions/listen} for the tasks extension's
   * {@code notifications/tasks} of the server's tasks {@code upstreamTaskIds}, declaring the
   * extension (the server refuses the listen otherwise); each such notification goes to {@code
   * statuses} as the server sent it.
   */
  Optional<ListenStream> listenForTasks(List<String> upstreamTaskIds, Consumer<ObjectNode> statuses) {
    ObjectNode params = json.mapper().createObjectNode();
    upstreamTaskIds.forEach(params.putObject("notifications").putArray("taskIds")::add);
    ObjectNode enveloped = Handshake.withEnvelope(params);
    ((ObjectNode) enveloped.get("_meta").get("io.modelcontextprotocol/clientCapabilities")).putObject("extensions")
        .putObject("io.modelcontextprotocol/tasks");
    return listen(enveloped, received -> {
      if (received instanceof ObjectNode notification && "notifications/tasks".equals(received.path("method").asText())) {
        statuses.accept(notification);
      }
    }, "its task statuses are relayed once it does");
  }

  /** Opens a listen with {@code params} (enveloped); each message on it but the acknowledgment goes to {@code messages}. */
  private Optional<ListenStream> listen(ObjectNode params, Consumer<JsonNode> messages, String whenLate) {
    // Asked within the acknowledgment's wait, not the request timeout: an agent's listen waits on it.
    if (misconfiguration != null || !offersModern(System.nanoTime() + LISTEN_ACKNOWLEDGMENT_WAIT.toNanos())) {
      return Optional.empty();
    }
    long id = nextId.getAndIncrement();
    ObjectNode message = JsonRpc.request(id, "subscriptions/listen", params);
    Session modern = new Session(null, Handshake.MODERN_VERSION);
    HttpRequest.Builder builder = HttpRequest.newBuilder(server.url()).POST(HttpRequest.BodyPublishers.ofByteArray(bytes(message)));
    server.headers().forEach(builder::header);
    builder.setHeader("Content-Type", "application/json");
    builder.setHeader("Accept", "application/json, text/event-stream");
    modernHeaders(modern, message).forEach(builder::setHeader);
    CompletableFuture<HttpResponse<InputStream>> exchange =
        client.sendAsync(withSession(builder, modern).build(), HttpResponse.BodyHandlers.ofInputStream());
    CompletableFuture<Boolean> acknowledged = new CompletableFuture<>();
    AtomicBoolean open = new AtomicBoolean(true);
    Thread reader = Thread.ofVirtual().name("upstream-listen-" + server.name()).start(() -> {
      try {
        HttpResponse<InputStream> response = exchange.get();
        try (InputStream body = response.body()) {
          if (response.statusCode() != 200) {
            LOG.log(Level.INFO, "upstream " + server.name() + " refused subscriptions/listen (HTTP " + response.statusCode() + ")");
            return;
          }
          readListenStream(body, acknowledged, messages);
        }
      } catch (ExecutionException | IOException e) {
        LOG.log(Level.DEBUG, "upstream " + server.name() + ": subscriptions/listen ended: " + e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        open.set(false);
        acknowledged.complete(false);
      }
    });
    ListenStream stream = new ListenStream() {
      @Override
      public boolean isOpen() {
        return open.get();
      }

      @Override
      public void close() {
        open.set(false);
        // Before the answer came, cancelling stops the exchange; after, closing the body ends the stream.
        if (!exchange.cancel(true) && exchange.isDone() && !exchange.isCompletedExceptionally()) {
          try {
            exchange.join().body().close();
          } catch (IOException e) {
            LOG.log(Level.DEBUG, "upstream " + server.name() + ": closing subscriptions/listen: " + e);
          }
        }
        reader.interrupt();
      }
    };
    try {
      if (acknowledged.get(LISTEN_ACKNOWLEDGMENT_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
        return Optional.of(stream);
      }
      if (!stream.isOpen()) {
        return Optional.empty();
      }
    } catch (TimeoutException e) {
      LOG.log(Level.INFO, "upstream " + server.name() + " did not acknowledge subscriptions/listen within "
          + LISTEN_ACKNOWLEDGMENT_WAIT.toMillis() + " ms; " + whenLate);
    } catch (ExecutionException e) {
      stream.close();
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      stream.close();
      return Optional.empty();
    }
    return Optional.of(stream);
  }

  /** Reads a listen stream: the acknowledgment completes {@code acknowledged}; every other message goes to {@code messages}. */
  private void readListenStream(InputStream body, CompletableFuture<Boolean> acknowledged, Consumer<JsonNode> messages)
      throws IOException {
    LineReader lines = new LineReader(body);
    int maxLine = (int) Math.min(Integer.MAX_VALUE - 16, settings.maxResponseSizeBytes());
    for (LineReader.Line line; (line = lines.next(maxLine)) != null; ) {
      if (!(line instanceof LineReader.Line.Whole whole)) {
        continue;
      }
      String text = new String(whole.bytes(), StandardCharsets.UTF_8).strip();
      if (text.startsWith("data:")) {
        text = text.substring("data:".length()).strip();
      }
      if (!text.startsWith("{")) {
        continue;
      }
      JsonNode received;
      try {
        received = json.parse(text);
      } catch (StrictJson.MalformedJsonException e) {
        continue;
      }
      String method = received.path("method").asText("");
      if (method.equals("notifications/subscriptions/acknowledged")) {
        acknowledged.complete(true);
      } else if (received.has("error")) {
        LOG.log(Level.INFO, "upstream " + server.name() + " refused subscriptions/listen with error "
            + received.path("error").path("code").asText("?"));
        return;
      } else {
        messages.accept(received);
      }
    }
  }

  private StreamOutcome openStream(Session opened) {
    HttpRequest.Builder builder = HttpRequest.newBuilder(server.url()).GET();
    server.headers().forEach(builder::header);
    builder.setHeader("Accept", "text/event-stream");
    AtomicInteger status = new AtomicInteger();
    ResponseBodies.Expected others = new ResponseBodies.Expected(server.name(), "its standalone stream", NO_ANSWER,
        settings.maxResponseSizeBytes(), json, incoming -> fromServer(opened, incoming));
    try {
      client.send(withSession(builder, opened).build(), info -> {
        status.set(info.statusCode());
        String type = info.headers().firstValue("Content-Type").orElse("").toLowerCase(Locale.ROOT);
        return info.statusCode() == 200 && type.startsWith("text/event-stream")
            ? ResponseBodies.eventStream(others)
            : BodySubscribers.replacing(null);
      });
    } catch (IOException e) {
      // The stream ended without an answer, which it never carries: the usual end, or a failure.
      return status.get() == 200 ? StreamOutcome.ENDED : StreamOutcome.FAILED;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return StreamOutcome.NOT_OFFERED;
    }
    if (status.get() == 200) {
      return StreamOutcome.ENDED;
    }
    if (status.get() == 404 || status.get() == 400) {
      // The session ended; the next request starts a new one, with its own stream.
      return StreamOutcome.NOT_OFFERED;
    }
    LOG.log(Level.DEBUG, "upstream " + server.name() + " offers no standalone stream (HTTP " + status.get() + ")");
    return StreamOutcome.NOT_OFFERED;
  }

  /**
   * Ends the shared session and every agent session's politely (all at once, each waiting at most
   * {@link #GOODBYE_TIMEOUT}) and releases the client's connections.
   */
  void close() {
    List<Thread> goodbyes = new ArrayList<>();
    for (String id : List.copyOf(agentLinks.keySet())) {
      HttpConnection link = agentLinks.remove(id);
      if (link != null) {
        goodbyes.add(Thread.ofVirtual().start(link::end));
      }
    }
    goodbyes.add(Thread.ofVirtual().start(this::end));
    for (Thread goodbye : goodbyes) {
      try {
        goodbye.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    client.shutdownNow();
  }

  /** Ends this link's session with the server ({@code DELETE}); its standalone stream stops. */
  private void end() {
    Session current;
    synchronized (this) {
      // Taken once: whoever ends the link first says goodbye, and the stream's loop sees it end.
      closed = true;
      current = session;
      session = null;
    }
    if (current != null && current.id() != null) {
      HttpRequest.Builder builder = HttpRequest.newBuilder(server.url()).timeout(GOODBYE_TIMEOUT).DELETE();
      // The catalog's headers too: a server that wants credentials wants them to end a session.
      server.headers().forEach(builder::header);
      HttpRequest goodbye = withSession(builder, current).build();
      try {
        client.sendAsync(goodbye, HttpResponse.BodyHandlers.discarding())
            .get(GOODBYE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      } catch (ExecutionException | TimeoutException e) {
        LOG.log(Level.DEBUG, "upstream " + server.name() + ": ending the session failed: " + e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private Reply exchange(Session used, String method, JsonNode params, long deadline, Cancellation cancellation,
      StreamWatcher watcher) throws UpstreamException {
    long id = nextId.getAndIncrement();
    try {
      ObjectNode message = JsonRpc.request(id, method, used.modern() ? Handshake.withEnvelope(params) : params);
      Reply reply = post(used, message, id, method, deadline, cancellation, watcher).body();
      return used.modern() && reply instanceof Reply.Answer answer ? new Reply.Answer(Handshake.asLegacy(answer.message())) : reply;
    } catch (UpstreamException e) {
      if (e.kind() == UpstreamException.Kind.TIMEOUT) {
        Thread.ofVirtual().start(() -> sendQuietly(used, JsonRpc.cancelled(id, "the gateway stopped waiting (timeout)")));
      }
      throw e;
    } finally {
      cancellation.done();
    }
  }

  private Session currentSession(String method, long deadline) throws UpstreamException {
    Session current = session;
    return current != null ? current : renewSession(null, method, deadline);
  }

  /** Starts a new session, unless another caller already replaced {@code stale} meanwhile. */
  // Identity, not equality: a fresh session may carry the same id and version as the stale one.
  @SuppressWarnings("ReferenceEquality")
  private Session renewSession(Session stale, String method, long deadline) throws UpstreamException {
    if (closed) {
      throw new UpstreamException(UpstreamException.Kind.UNAVAILABLE, agentSession.isEmpty()
          ? "upstream " + server.name() + ": the gateway is stopping"
          : "upstream " + server.name() + ": the agent's session has ended");
    }
    try {
      if (!initializing.tryLock(remainingNanos(deadline), TimeUnit.NANOSECONDS)) {
        throw UpstreamException.timeout(server.name(), method, settings.timeout());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UpstreamException(
          UpstreamException.Kind.UNAVAILABLE, "interrupted while connecting to upstream " + server.name());
    }
    try {
      Session current = session;
      if (current != null && current != stale) {
        return current;
      }
      session = null;
      Session fresh = open(deadline);
      session = fresh;
      if (closed) {
        // Ended while it was being opened: end the new session too, so that none outlives its agent's.
        end();
        throw new UpstreamException(UpstreamException.Kind.UNAVAILABLE,
            "upstream " + server.name() + ": the session ended while it was being opened");
      }
      LOG.log(agentSession.isEmpty() ? Level.INFO : Level.DEBUG, "upstream " + server.name() + " connected (MCP "
          + fresh.protocolVersion() + ")" + (agentSession.isEmpty() ? "" : " for an agent session"));
      events.sessionStarted(server.name());
      if (!fresh.modern()) {
        // 2026-07-28 has no standalone stream: what a server has to say comes with its answers.
        listen(fresh);
      }
      return fresh;
    } finally {
      initializing.unlock();
    }
  }

  /** Whether the server offers 2026-07-28 ({@link #offersModern(long)}); false for an entry that cannot be used. */
  boolean offersModern() {
    return misconfiguration == null && offersModern(deadlineFromNow());
  }

  /**
   * Whether the server offers 2026-07-28: known when it refused initialize for it, else asked once
   * with {@code server/discover} and remembered on the shared link for as long as the gateway runs.
   * A discovery that times out is not remembered, and the request goes in 2025.
   */
  private boolean offersModern(long deadline) {
    if (shared.speaksModern) {
      return true;
    }
    Boolean known = shared.discovered;
    if (known != null) {
      return known;
    }
    boolean offers;
    try {
      long id = nextId.getAndIncrement();
      Reply reply = post(new Session(null, Handshake.MODERN_VERSION),
          JsonRpc.request(id, "server/discover", Handshake.withEnvelope(null)), id, "server/discover", deadline).body();
      offers = reply instanceof Reply.Answer answer && Handshake.offersModern(answer.message());
    } catch (UpstreamException e) {
      if (e.kind() == UpstreamException.Kind.TIMEOUT) {
        return false;
      }
      offers = false;
    }
    shared.discovered = offers;
    LOG.log(Level.INFO, "upstream " + server.name() + (offers ? " offers" : " does not offer") + " MCP " + Handshake.MODERN_VERSION
        + (offers ? ": 2026-07-28 agents' requests go to it in that revision" : ""));
    return offers;
  }

  /**
   * A session with the server: the 2025 handshake ({@code initialize}) when the server accepts it,
   * else 2026-07-28 when {@code server/discover} offers that. A server that speaks both is spoken
   * to in 2025 for 2025 agents (the gateway relays the server's sampling and elicitation requests
   * to them) and in 2026-07-28 for 2026 agents ({@link #offersModern}), who answer the server's
   * {@code input_required} results themselves. Once a server is found to speak only 2026-07-28,
   * its links skip the handshake.
   */
  private Session open(long deadline) throws UpstreamException {
    Session modern = new Session(null, Handshake.MODERN_VERSION);
    if (shared.speaksModern) {
      return modern;
    }
    try {
      return initialize(deadline);
    } catch (UpstreamException refused) {
      if (refused.kind() == UpstreamException.Kind.TIMEOUT) {
        throw refused;
      }
      try {
        long id = nextId.getAndIncrement();
        Reply reply = post(modern, JsonRpc.request(id, "server/discover", Handshake.withEnvelope(null)), id, "server/discover",
            deadline).body();
        if (reply instanceof Reply.Answer answer && Handshake.offersModern(answer.message())) {
          shared.speaksModern = true;
          return modern;
        }
      } catch (UpstreamException alsoRefused) {
        refused.addSuppressed(alsoRefused);
      }
      // Neither handshake: the reason is initialize's, which is what a 2025 server would have said.
      throw refused;
    }
  }

  private Session initialize(long deadline) throws UpstreamException {
    long id = nextId.getAndIncrement();
    BlockingPost.Posted<Reply> response =
        post(null, JsonRpc.request(id, "initialize", Handshake.initializeParams()), id, "initialize", deadline);
    String version = Handshake.negotiatedVersion(server.name(), answerIn(response.body(), "initialize"));
    String sessionId = response.headers().firstValue("Mcp-Session-Id").orElse(null);
    if (sessionId != null && !sessionId.matches("[\\x21-\\x7E]+")) {
      throw new UpstreamException(
          UpstreamException.Kind.PROTOCOL_ERROR,
          "upstream " + server.name() + " sent an Mcp-Session-Id that is not visible ASCII");
    }
    Session fresh = new Session(sessionId, version);
    Reply acknowledged = post(fresh, JsonRpc.notification("notifications/initialized", null), null, "notifications/initialized", deadline).body();
    if (!(acknowledged instanceof Reply.Accepted)) {
      answerIn(acknowledged, "notifications/initialized");
    }
    return fresh;
  }

  /** Posts one message; {@code expectedId} is the id of the answer to wait for, null for none. */
  private BlockingPost.Posted<Reply> post(Session used, ObjectNode message, Long expectedId, String method, long deadline)
      throws UpstreamException {
    return post(used, message, expectedId, method, deadline, new Cancellation(), StreamWatcher.NONE);
  }

  /**
   * As above; calling the request off tells the server under {@code expectedId} and stops waiting
   * for its answer. An answer's event stream that the server closes before the answer, after
   * giving an event id, is resumed ({@link #resumeWhilePaused}); {@code watcher} hears of both.
   */
  private BlockingPost.Posted<Reply> post(Session used, ObjectNode message, Long expectedId, String method, long deadline,
      Cancellation cancellation, StreamWatcher watcher) throws UpstreamException {
    // 2026-07-28 removed resumption (and the GET it takes): its streams are read once.
    StreamPosition position = expectedId == null || (used != null && used.modern())
        ? null : new StreamPosition(watcher);
    BlockingPost.Posted<Reply> posted = postOnce(used, message, expectedId, method, deadline, cancellation, position);
    if (!(posted.body() instanceof Reply.Paused)) {
      return posted;
    }
    return new BlockingPost.Posted<>(
        resumeWhilePaused(used, expectedId, method, position, deadline, cancellation), posted.headers());
  }

  private BlockingPost.Posted<Reply> postOnce(
      Session used, ObjectNode message, Long expectedId, String method, long deadline, Cancellation cancellation,
      StreamPosition position)
      throws UpstreamException {
    long remaining = remainingNanos(deadline);
    if (remaining <= 0) {
      throw UpstreamException.timeout(server.name(), method, settings.timeout());
    }
    // Only a virtual thread can be freed by an interrupt when the call is called off.
    if (blocking && Thread.currentThread().isVirtual()) {
      return postOnThisThread(used, message, expectedId, method, deadline, cancellation, position);
    }
    HttpRequest.Builder builder =
        HttpRequest.newBuilder(server.url())
            .timeout(Duration.ofNanos(remaining))
            .POST(HttpRequest.BodyPublishers.ofByteArray(bytes(message)));
    server.headers().forEach(builder::header);
    builder.setHeader("Content-Type", "application/json");
    builder.setHeader("Accept", "application/json, text/event-stream");
    modernHeaders(used, message).forEach(builder::setHeader);
    // MCP carries trace context in _meta; a server instrumented for HTTP reads the header.
    JsonNode traceparent = message.path("params").path("_meta").path("traceparent");
    if (traceparent.isTextual() && Tracing.isTraceparent(traceparent.asText())) {
      builder.setHeader("traceparent", traceparent.asText());
    }
    CompletableFuture<HttpResponse<Reply>> exchange =
        client.sendAsync(withSession(builder, used).build(), replyReader(used, expectedId, method, position));
    cancellation.onCancel(reason -> {
      if (exchange.completeExceptionally(UpstreamException.cancelled(server.name(), method))) {
        Thread.ofVirtual().start(() -> sendQuietly(used, JsonRpc.cancelled(expectedId, reason)));
      }
    });
    return awaitReply(exchange, remaining, method);
  }

  /**
   * Resumes an answer's event stream that the server closed before the answer (MCP 2025-11-25,
   * "Resumability and Redelivery"; SEP-1699 polling): waits what the server's {@code retry} field
   * asked (at most {@link #MAX_RESUME_WAIT}; {@link #DEFAULT_RESUME_WAIT} without one), then asks
   * for the rest with {@code GET}, the session's headers and {@code Last-Event-ID}, and reads it
   * like the first stream, skipping events it has seen. At most {@link #MAX_RESUMES} times, within
   * the call's deadline, callable off by the agent. The request itself is never sent again: the
   * server may already have acted on it.
   */
  private Reply resumeWhilePaused(
      Session used, long expectedId, String method, StreamPosition position, long deadline, Cancellation cancellation)
      throws UpstreamException {
    Reply reply = new Reply.Paused();
    for (int resumes = 0; reply instanceof Reply.Paused; resumes++) {
      if (resumes == MAX_RESUMES) {
        throw new UpstreamException(
            UpstreamException.Kind.UNAVAILABLE,
            "upstream " + server.name() + " closed its event stream " + (MAX_RESUMES + 1) + " times before answering "
                + method + "; the gateway resumes one answer's stream at most " + MAX_RESUMES + " times");
      }
      Duration wait = position.retry()
          .map(asked -> asked.compareTo(MAX_RESUME_WAIT) > 0 ? MAX_RESUME_WAIT : asked)
          .orElse(DEFAULT_RESUME_WAIT);
      if (remainingNanos(deadline) <= wait.toNanos()) {
        throw new UpstreamException(
            UpstreamException.Kind.TIMEOUT,
            "upstream " + server.name() + " closed its event stream before answering " + method + " and asked to wait "
                + UpstreamException.describe(wait) + " before resuming it, past the call's limit of "
                + UpstreamException.describe(settings.timeout()));
      }
      pauseBeforeResuming(used, expectedId, method, wait, cancellation);
      LOG.log(Level.DEBUG, "upstream " + server.name() + " closed the event stream of " + method + "; resuming it");
      position.resuming();
      reply = resumeOnce(used, expectedId, method, position, deadline, cancellation);
    }
    return reply;
  }

  /** Waits {@code wait}, or until the agent calls the request off: then the server is told, and the call ends. */
  private void pauseBeforeResuming(Session used, long expectedId, String method, Duration wait, Cancellation cancellation)
      throws UpstreamException {
    CompletableFuture<String> calledOff = new CompletableFuture<>();
    cancellation.onCancel(calledOff::complete);
    String reason;
    try {
      reason = calledOff.get(wait.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      return;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UpstreamException(
          UpstreamException.Kind.UNAVAILABLE, "interrupted while waiting to resume upstream " + server.name() + "'s answer to " + method);
    } catch (ExecutionException e) {
      throw new IllegalStateException("a call-off is never completed exceptionally", e);
    }
    Thread.ofVirtual().start(() -> sendQuietly(used, JsonRpc.cancelled(expectedId, reason)));
    throw UpstreamException.cancelled(server.name(), method);
  }

  /** One {@code GET} with {@code Last-Event-ID}: the rest of the answer's stream, or why the server would not give it. */
  private Reply resumeOnce(
      Session used, long expectedId, String method, StreamPosition position, long deadline, Cancellation cancellation)
      throws UpstreamException {
    long remaining = remainingNanos(deadline);
    if (remaining <= 0) {
      throw UpstreamException.timeout(server.name(), method, settings.timeout());
    }
    HttpRequest.Builder builder = HttpRequest.newBuilder(server.url()).timeout(Duration.ofNanos(remaining)).GET();
    server.headers().forEach(builder::header);
    builder.setHeader("Accept", "text/event-stream");
    builder.setHeader("Last-Event-ID", position.lastEventId().orElseThrow());
    HttpResponse.BodyHandler<Reply> reader = info -> {
      String type = info.headers().firstValue("Content-Type").orElse("").toLowerCase(Locale.ROOT);
      if (info.statusCode() != 200 || !type.startsWith("text/event-stream")) {
        return BodySubscribers.replacing(new Reply.NotResumed(info.statusCode(), type));
      }
      return resumableReply(used, expectedId, method, position);
    };
    CompletableFuture<HttpResponse<Reply>> exchange = client.sendAsync(withSession(builder, used).build(), reader);
    cancellation.onCancel(reason -> {
      if (exchange.completeExceptionally(UpstreamException.cancelled(server.name(), method))) {
        Thread.ofVirtual().start(() -> sendQuietly(used, JsonRpc.cancelled(expectedId, reason)));
      }
    });
    return awaitReply(exchange, remaining, method).body();
  }

  /** An answer's event stream read so that it can be resumed: the answer, or {@link Reply.Paused}. */
  private HttpResponse.BodySubscriber<Reply> resumableReply(Session used, long expectedId, String method, StreamPosition position) {
    ResponseBodies.Expected expected =
        new ResponseBodies.Expected(
            server.name(), method, expectedId, settings.maxResponseSizeBytes(), json, incoming -> fromServer(used, incoming));
    return BodySubscribers.mapping(
        ResponseBodies.resumableEventStream(expected, position),
        answer -> answer.<Reply>map(Reply.Answer::new).orElseGet(Reply.Paused::new));
  }

  /** Waits for an asynchronous exchange's reply, turning its failures into the gateway's words. */
  private BlockingPost.Posted<Reply> awaitReply(CompletableFuture<HttpResponse<Reply>> exchange, long remaining, String method)
      throws UpstreamException {
    try {
      HttpResponse<Reply> response = exchange.get(remaining, TimeUnit.NANOSECONDS);
      return new BlockingPost.Posted<>(response.body(), response.headers());
    } catch (TimeoutException e) {
      exchange.cancel(true);
      throw UpstreamException.timeout(server.name(), method, settings.timeout());
    } catch (InterruptedException e) {
      exchange.cancel(true);
      Thread.currentThread().interrupt();
      throw new UpstreamException(
          UpstreamException.Kind.UNAVAILABLE, "interrupted while waiting for upstream " + server.name() + " to answer " + method);
    } catch (ExecutionException e) {
      throw switch (e.getCause()) {
        case UpstreamException cause -> cause.rethrown();
        case HttpTimeoutException cause -> UpstreamException.timeout(server.name(), method, settings.timeout());
        case IOException cause ->
            new UpstreamException(
                UpstreamException.Kind.UNAVAILABLE,
                "upstream " + server.name() + " is unreachable (" + cause.getClass().getSimpleName()
                    + (cause.getMessage() == null ? "" : ": " + cause.getMessage()) + ")",
                cause);
        default -> new UpstreamException(UpstreamException.Kind.UNAVAILABLE, "upstream " + server.name() + " failed", e.getCause());
      };
    }
  }

  /** {@link #post}, over {@link BlockingPost} on the calling thread: plain-http upstreams. */
  private BlockingPost.Posted<Reply> postOnThisThread(
      Session used, ObjectNode message, Long expectedId, String method, long deadline, Cancellation cancellation,
      StreamPosition position)
      throws UpstreamException {
    Map<String, String> headers = new LinkedHashMap<>(server.headers());
    headers.put("Content-Type", "application/json");
    headers.put("Accept", "application/json, text/event-stream");
    headers.putAll(modernHeaders(used, message));
    JsonNode traceparent = message.path("params").path("_meta").path("traceparent");
    if (traceparent.isTextual() && Tracing.isTraceparent(traceparent.asText())) {
      headers.put("traceparent", traceparent.asText());
    }
    if (used != null) {
      if (used.id() != null) {
        headers.put("Mcp-Session-Id", used.id());
      }
      headers.put("MCP-Protocol-Version", used.protocolVersion());
    }
    BlockingPost exchange;
    try {
      exchange = new BlockingPost(server.url(), headers);
    } catch (IOException e) {
      throw unreachable(e);
    }
    cancellation.onCancel(reason -> {
      if (exchange.callOff()) {
        Thread.ofVirtual().start(() -> sendQuietly(used, JsonRpc.cancelled(expectedId, reason)));
      }
    });
    try {
      return exchange.send(bytes(message), remainingNanos(deadline), deadline, replyReader(used, expectedId, method, position));
    } catch (BlockingPost.CalledOff e) {
      throw UpstreamException.cancelled(server.name(), method);
    } catch (BlockingPost.AnswerFailed e) {
      throw e.getCause() instanceof UpstreamException cause
          ? cause.rethrown()
          : new UpstreamException(UpstreamException.Kind.UNAVAILABLE, "upstream " + server.name() + " failed", e.getCause());
    } catch (SocketTimeoutException e) {
      throw UpstreamException.timeout(server.name(), method, settings.timeout());
    } catch (IOException e) {
      throw unreachable(e);
    }
  }

  private UpstreamException unreachable(IOException cause) {
    return new UpstreamException(
        UpstreamException.Kind.UNAVAILABLE,
        "upstream " + server.name() + " is unreachable (" + cause.getClass().getSimpleName()
            + (cause.getMessage() == null ? "" : ": " + cause.getMessage()) + ")",
        cause);
  }

  /**
   * Chooses how to read a response from its status and content type, before its body arrives;
   * with a {@code position}, an event stream is read so that it can be resumed.
   */
  private HttpResponse.BodyHandler<Reply> replyReader(Session used, Long expectedId, String method, StreamPosition position) {
    return info -> {
      int status = info.statusCode();
      // The spec says 404; servers built on the TypeScript SDK's examples answer an unknown session with 400.
      if (used != null && used.id() != null && (status == 404 || status == 400)) {
        return BodySubscribers.replacing(new Reply.SessionEnded(status));
      }
      String type = info.headers().firstValue("Content-Type").orElse("").toLowerCase(Locale.ROOT);
      ResponseBodies.Expected expected = expectedId == null ? null
          : new ResponseBodies.Expected(
              server.name(), method, expectedId, settings.maxResponseSizeBytes(), json, incoming -> fromServer(used, incoming));
      if (status >= 400 && status <= 499 && expected != null && used != null && used.modern() && type.startsWith("application/json")) {
        // 2026-07-28 answers some errors with a 4xx status and the JSON-RPC error (-32021 a capability the
        // client did not declare, 400; -32601, 404): the server's error is its answer, passed on as such.
        return BodySubscribers.mapping(ResponseBodies.json(expected),
            message -> message.has("error") ? new Reply.Answer(message) : new Reply.Refused(status));
      }
      if (status < 200 || status > 299) {
        return BodySubscribers.replacing(new Reply.Refused(status));
      }
      if (expected == null || status == 202) {
        return BodySubscribers.replacing(new Reply.Accepted());
      }
      if (type.startsWith("application/json")) {
        return BodySubscribers.mapping(ResponseBodies.json(expected), Reply.Answer::new);
      }
      if (type.startsWith("text/event-stream")) {
        if (position == null) {
          return BodySubscribers.mapping(ResponseBodies.eventStream(expected), Reply.Answer::new);
        }
        position.streamed();
        return resumableReply(used, expectedId, method, position);
      }
      return BodySubscribers.replacing(new Reply.UnexpectedContent(type));
    };
  }

  private ObjectNode answerIn(Reply reply, String method) throws UpstreamException {
    return switch (reply) {
      case Reply.Answer answer -> answer.message();
      case Reply.Accepted accepted ->
          throw new UpstreamException(
              UpstreamException.Kind.PROTOCOL_ERROR,
              "upstream " + server.name() + " accepted " + method + " but sent no answer");
      case Reply.SessionEnded ended ->
          throw new UpstreamException(
              UpstreamException.Kind.UNAVAILABLE,
              "upstream " + server.name() + " ended the session (HTTP " + ended.status() + ") during " + method);
      case Reply.Refused refused ->
          throw new UpstreamException(
              UpstreamException.Kind.UNAVAILABLE,
              "upstream " + server.name() + " refused " + method + " with HTTP " + refused.status());
      case Reply.Paused paused ->
          throw new UpstreamException(
              UpstreamException.Kind.UNAVAILABLE,
              "upstream " + server.name() + " closed its event stream before answering " + method);
      case Reply.NotResumed refused ->
          throw new UpstreamException(
              UpstreamException.Kind.UNAVAILABLE,
              "upstream " + server.name() + " closed its event stream before answering " + method
                  + " and did not resume it when asked (GET with Last-Event-ID: HTTP " + refused.status()
                  + (refused.status() == 200 ? ", content type '" + refused.contentType() + "'" : "") + ")");
      case Reply.UnexpectedContent unexpected ->
          throw new UpstreamException(
              UpstreamException.Kind.PROTOCOL_ERROR,
              "upstream " + server.name() + " answered " + method + " with content type '" + unexpected.contentType()
                  + "'; expected application/json or text/event-stream");
    };
  }

  /**
   * Messages the server sent on an answer's SSE stream besides the answer. Notifications go to
   * the listener; requests go to the listener too, which answers them now or later.
   */
  private void fromServer(Session used, JsonRpc.Incoming incoming) {
    switch (incoming) {
      case JsonRpc.Incoming.Notification notification -> events.notification(server.name(), notification.message());
      // Replies are posted on a thread of their own: this one is reading the answer's stream.
      case JsonRpc.Incoming.ServerRequest request -> events.request(
          server.name(), request, reply -> Thread.ofVirtual().start(() -> sendQuietly(used, reply)));
      default -> {}
    }
  }

  private void sendQuietly(Session used, ObjectNode message) {
    try {
      post(used, message, null, message.path("method").asText("a reply"), deadlineFromNow());
    } catch (UpstreamException e) {
      LOG.log(Level.DEBUG, "upstream " + server.name() + ": " + e.getMessage());
    }
  }

  /**
   * The headers 2026-07-28 asks of every request, so that a server (or a proxy before it) can
   * route without reading the body: {@code Mcp-Method}, and {@code Mcp-Name} with the tool or
   * prompt name, the resource URI or the task id. A name that is not visible ASCII is not sent as a header.
   */
  private static Map<String, String> modernHeaders(Session used, ObjectNode message) {
    if (used == null || !used.modern() || !message.path("method").isTextual()) {
      return Map.of();
    }
    Map<String, String> headers = new LinkedHashMap<>();
    String method = message.get("method").asText();
    headers.put("Mcp-Method", method);
    JsonNode name = switch (method) {
      case "tools/call", "prompts/get" -> message.path("params").path("name");
      case "resources/read" -> message.path("params").path("uri");
      // The tasks extension routes a task's requests by its id (SEP-2663, "Routing Headers").
      case "tasks/get", "tasks/update", "tasks/cancel" -> message.path("params").path("taskId");
      default -> null;
    };
    if (name != null && name.isTextual() && name.asText().matches("[\\x21-\\x7E]{1,1024}")) {
      headers.put("Mcp-Name", name.asText());
    }
    return headers;
  }

  private static HttpRequest.Builder withSession(HttpRequest.Builder builder, Session used) {
    if (used != null) {
      if (used.id() != null) {
        builder.setHeader("Mcp-Session-Id", used.id());
      }
      builder.setHeader("MCP-Protocol-Version", used.protocolVersion());
    }
    return builder;
  }

  private byte[] bytes(ObjectNode message) {
    try {
      return json.mapper().writeValueAsBytes(message);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a JSON tree could not be written", e);
    }
  }

  private long deadlineFromNow() {
    return System.nanoTime() + settings.timeout().toNanos();
  }

  private static long remainingNanos(long deadline) {
    return deadline - System.nanoTime();
  }

  /**
   * The HTTP client refuses some URLs and headers; say so once, in the catalog's words. The
   * client's own messages are not used: they quote header values, which may be credentials.
   */
  private static String misconfiguration(UpstreamServer.StreamableHttp server) {
    String scheme = server.url().getScheme();
    try {
      if (!("http".equalsIgnoreCase(scheme) || "https".equalsIgnoreCase(scheme)) || server.url().getHost() == null) {
        throw new IllegalArgumentException();
      }
      HttpRequest.newBuilder(server.url());
    } catch (IllegalArgumentException e) {
      return "upstream " + server.name() + " cannot be used: its url must be an absolute http or https URL; fix it in the catalog";
    }
    for (var header : server.headers().entrySet()) {
      try {
        HttpRequest.newBuilder(server.url()).header(header.getKey(), header.getValue());
      } catch (IllegalArgumentException e) {
        return "upstream " + server.name() + " cannot be used: the HTTP client refuses its header '" + header.getKey()
            + "' (a name it manages itself, or a value with line breaks); fix it in the catalog";
      }
    }
    return null;
  }
}
