package dev.cmcp.gateway.upstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.gateway.catalog.Catalog;
import dev.cmcp.gateway.catalog.UpstreamServer;
import dev.cmcp.verify.base.StrictJson;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * The gateway's links to the upstream MCP servers of the catalog, by the catalog's server name.
 * Stdio servers are started and supervised here; HTTP servers are connected to on start. A
 * server that is down makes its own requests fail; it never stops the gateway.
 *
 * <p>Upstream sessions: each server has one shared session (the gateway's lists, requests outside
 * an agent session, stdio servers, servers in {@code session_mode: shared}); an HTTP server in
 * {@code per_agent} mode also gets one session per agent session that uses it ({@link
 * #sessionFor}), opened on first use and ended by {@link #endSession}, so that what one agent sets
 * in its session upstream is never seen by another. There are never more of those than agent
 * sessions open, which the gateway's {@code limits:} bound.
 */
public final class Upstreams implements AutoCloseable {

  /** Guards against a server whose cursors never end. */
  private static final int MAX_LIST_PAGES = 100;

  private final Map<String, UpstreamConnection> connections;
  private final Map<String, AtomicLong> toolListVersions = new ConcurrentHashMap<>();
  private final Map<String, CachedTools> toolLists = new ConcurrentHashMap<>();
  private final ProgressRoutes progress = new ProgressRoutes();
  private final AgentRelays relays = new AgentRelays();
  private final ResourceUpdates resourceUpdates = new ResourceUpdates();
  private final TaskStatuses taskStatuses = new TaskStatuses();

  /** The key of a server's shared session, for {@link #connection(String, String)} and the relays. */
  public static final String SHARED_SESSION = "";

  /** How many ended agent sessions are remembered, so that a request racing its session's end opens nothing. */
  private static final int REMEMBERED_ENDED = 10_000;

  /** Agent sessions that ended, latest last; guarded by itself. */
  private final Set<String> endedSessions = new LinkedHashSet<>();

  /** The notifications that say a server's tool, prompt or resource list changed. */
  static final Set<String> LIST_CHANGES = Set.of(
      "notifications/tools/list_changed", "notifications/prompts/list_changed", "notifications/resources/list_changed");

  /** The server requests an agent may be asked, if it declared the capability. */
  private static final Set<String> RELAYED_REQUESTS = Set.of("sampling/createMessage", "elicitation/create");

  /** Who hears of the servers' list changes: (server, notification method). */
  private final List<BiConsumer<String, String>> listChangeListeners = new CopyOnWriteArrayList<>();
  /** The open listens with 2026-07-28 servers for their list changes, by server; guarded by itself. */
  private final Map<String, HttpConnection.ListenStream> listChangeStreams = new TreeMap<>();
  /** How many agents' listens want list changes now; guarded by {@link #listChangeStreams}. */
  private int listChangeWatchers;

  /** A server's tools as fetched while the server's list had {@code version}. */
  private record CachedTools(long version, List<ObjectNode> tools) {}

  public Upstreams(Catalog catalog, UpstreamSettings settings) {
    StrictJson json = new StrictJson();
    UpstreamEvents events = new ToolListInvalidation(SHARED_SESSION);
    Map<String, UpstreamConnection> byName = new TreeMap<>();
    for (UpstreamServer server : catalog.servers().values()) {
      toolListVersions.put(server.name(), new AtomicLong());
      byName.put(
          server.name(),
          switch (server) {
            case UpstreamServer.Stdio stdio -> new StdioConnection(stdio, settings, json, events);
            case UpstreamServer.StreamableHttp http -> new HttpConnection(http, settings, json, events);
          });
    }
    this.connections = Map.copyOf(byName);
  }

  /**
   * Starts every stdio server and opens a session with every upstream, all at once, waiting at
   * most about the request timeout. Servers that fail are logged and retried later.
   */
  public void start() {
    forEachConcurrently(
        connection -> {
          switch (connection) {
            case StdioConnection stdio -> stdio.start();
            case HttpConnection http -> http.start();
          }
        });
  }

  /** The link to one server; requests on it fail with UNAVAILABLE while the server is down. */
  public UpstreamConnection connection(String serverName) throws UpstreamException {
    UpstreamConnection connection = connections.get(serverName);
    if (connection == null) {
      throw new UpstreamException(
          UpstreamException.Kind.UNAVAILABLE, "upstream " + serverName + " is not a server in the catalog");
    }
    return connection;
  }

  /**
   * The upstream session that {@code agentSession}'s requests to {@code serverName} use: the agent
   * session's own (its id) for a Streamable HTTP server in {@code session_mode: per_agent}, else
   * the server's shared one ({@link #SHARED_SESSION}). Requests outside an agent session (none
   * given) use the shared one.
   */
  public String sessionFor(String serverName, Optional<String> agentSession) {
    return agentSession.isPresent() && connections.get(serverName) instanceof HttpConnection http && http.perAgent()
        ? agentSession.get()
        : SHARED_SESSION;
  }

  /**
   * The link to one server in upstream session {@code session} ({@link #sessionFor}); an agent
   * session's link is made on first use and its upstream session opened by its first request.
   *
   * @throws UpstreamException UNAVAILABLE when the agent session has already ended
   */
  public UpstreamConnection connection(String serverName, String session) throws UpstreamException {
    UpstreamConnection shared = connection(serverName);
    if (session.equals(SHARED_SESSION) || !(shared instanceof HttpConnection http) || !http.perAgent()) {
      return shared;
    }
    synchronized (endedSessions) {
      if (endedSessions.contains(session)) {
        throw new UpstreamException(UpstreamException.Kind.UNAVAILABLE,
            "upstream " + serverName + ": the agent's session has ended; open a new one with initialize");
      }
      return http.forAgent(session, new ToolListInvalidation(session));
    }
  }

  /**
   * Ends agent session {@code agentSession}'s upstream sessions (a {@code DELETE} to each server
   * it used, in the background); a request that arrives for it later opens none. Returns at once:
   * called while the session table is locked.
   */
  public void endSession(String agentSession) {
    synchronized (endedSessions) {
      endedSessions.add(agentSession);
      if (endedSessions.size() > REMEMBERED_ENDED) {
        Iterator<String> eldest = endedSessions.iterator();
        eldest.next();
        eldest.remove();
      }
      for (UpstreamConnection connection : connections.values()) {
        if (connection instanceof HttpConnection http) {
          http.endAgentSession(agentSession);
        }
      }
    }
  }

  /** For each HTTP server, how many agent sessions hold an upstream session of their own with it now. */
  public Map<String, Integer> agentSessions() {
    Map<String, Integer> counts = new TreeMap<>();
    connections.forEach((name, connection) -> {
      if (connection instanceof HttpConnection http) {
        counts.put(name, http.agentSessions());
      }
    });
    return counts;
  }

  /** Where the servers' progress notifications are routed to the requests that asked for them. */
  public ProgressRoutes progress() {
    return progress;
  }

  /** Where the servers' {@code notifications/resources/updated} go. */
  public ResourceUpdates resourceUpdates() {
    return resourceUpdates;
  }

  /** Where the servers' MCP 2025-11-25 {@code notifications/tasks/status} go. */
  public TaskStatuses taskStatuses() {
    return taskStatuses;
  }

  /**
   * {@code listener} hears each list change a server announces, as {@code (server, method)}:
   * {@code notifications/tools/list_changed}, {@code notifications/prompts/list_changed} or
   * {@code notifications/resources/list_changed}, sent in
   * the server's shared session with the gateway (not in an agent's own), or on a 2026-07-28 server's listen stream while one is
   * watched ({@link #watchListChanges}). For as long as the gateway runs.
   */
  public void onListChanged(BiConsumer<String, String> listener) {
    listChangeListeners.add(listener);
  }

  /**
   * While the returned watch is open, the gateway listens ({@code subscriptions/listen}) to every
   * Streamable HTTP server that offers 2026-07-28 for its list changes, since such a server tells
   * them only on listen streams: one stream per server for all the watches, opened by the first
   * (and reopened by a later one once the server ended it), closed with the last. Returns once
   * each server acknowledged its stream or was waited for ({@link HttpConnection#LISTEN_ACKNOWLEDGMENT_WAIT}),
   * so that a change made after that is heard.
   */
  public AutoCloseable watchListChanges() {
    synchronized (listChangeStreams) {
      listChangeWatchers++;
      for (Map.Entry<String, UpstreamConnection> entry : connections.entrySet()) {
        if (entry.getValue() instanceof HttpConnection http) {
          String name = entry.getKey();
          HttpConnection.ListenStream open = listChangeStreams.get(name);
          if (open == null || !open.isOpen()) {
            http.listenForListChanges(method -> listChanged(name, method)).ifPresent(stream -> listChangeStreams.put(name, stream));
          }
        }
      }
    }
    AtomicBoolean closed = new AtomicBoolean();
    return () -> {
      if (!closed.compareAndSet(false, true)) {
        return;
      }
      synchronized (listChangeStreams) {
        if (--listChangeWatchers == 0) {
          listChangeStreams.values().forEach(HttpConnection.ListenStream::close);
          listChangeStreams.clear();
        }
      }
    };
  }

  private void listChanged(String server, String method) {
    if ("notifications/tools/list_changed".equals(method)) {
      toolListVersions.get(server).incrementAndGet();
    }
    for (BiConsumer<String, String> listener : listChangeListeners) {
      listener.accept(server, method);
    }
  }

  /** Which call in flight hears a server's log messages and requests. */
  public AgentRelays relays() {
    return relays;
  }

  /**
   * Why the server cannot serve requests now, empty when it can: a stdio server whose process is
   * down (exited and waiting to be restarted, or still starting), an HTTP server the last exchange
   * could not reach. Sends nothing per call; an HTTP server's state is renewed by at most one
   * {@code ping} every {@link HttpConnection#REACHABILITY_TTL}.
   */
  public Optional<String> problem(String serverName) {
    return switch (connections.get(serverName)) {
      case null -> Optional.of("upstream " + serverName + " is not a server in the catalog");
      case StdioConnection stdio -> stdio.problem();
      case HttpConnection http -> http.problem();
    };
  }

  /** The catalog's server names, in order. */
  public Set<String> serverNames() {
    return new TreeSet<>(connections.keySet());
  }

  /** For each stdio server, how often its command was started again after it exited or failed to start. */
  public Map<String, Long> restarts() {
    Map<String, Long> counts = new TreeMap<>();
    connections.forEach((name, connection) -> {
      if (connection instanceof StdioConnection stdio) {
        counts.put(name, stdio.restarts());
      }
    });
    return counts;
  }

  /**
   * The server's tools (its {@code tools/list}, all pages), as the server describes them. Cached
   * until the server reconnects or says its list changed. Each call returns fresh copies, so
   * callers may change them.
   */
  public List<ObjectNode> tools(String serverName) throws UpstreamException {
    return cachedTools(serverName).stream().map(ObjectNode::deepCopy).toList();
  }

  /** The server's definition of one tool, from the same cache as {@link #tools}; empty when it offers no such tool. */
  public Optional<ObjectNode> tool(String serverName, String upstreamName) throws UpstreamException {
    return cachedTools(serverName).stream()
        .filter(tool -> tool.path("name").asText().equals(upstreamName))
        .findFirst()
        .map(ObjectNode::deepCopy);
  }

  /**
   * The server's tools as it lists them to the request that {@code requestParams} belong to. A
   * 2026-07-28 agent's request (the revision and its client capabilities in {@code _meta}) to a
   * Streamable HTTP server that offers that revision is listed in it, with the agent's
   * capabilities, and asked afresh: such a server may offer some tools only in 2026-07-28 or only
   * to clients that declare a capability, and it announces changes only to its listen streams, so
   * a list kept from earlier may be stale. Any other request gets {@link #tools(String)}.
   */
  public List<ObjectNode> tools(String serverName, JsonNode requestParams) throws UpstreamException {
    Optional<ObjectNode> modern = modernListParams(serverName, requestParams);
    return modern.isEmpty() ? tools(serverName) : fetchAll(serverName, connection(serverName), ListMethod.TOOLS, modern.get());
  }

  /** The server's definition of one tool as {@link #tools(String, JsonNode)} lists it; empty when it offers no such tool. */
  public Optional<ObjectNode> tool(String serverName, String upstreamName, JsonNode requestParams) throws UpstreamException {
    return tools(serverName, requestParams).stream()
        .filter(tool -> tool.path("name").asText().equals(upstreamName))
        .findFirst();
  }

  /** As {@link #list(String, ListMethod)}, in the revision of the request {@code requestParams} belong to, as {@link #tools(String, JsonNode)}. */
  public List<ObjectNode> list(String serverName, ListMethod method, JsonNode requestParams) throws UpstreamException {
    UpstreamConnection connection = connection(serverName);
    return fetchAll(serverName, connection, method, modernListParams(serverName, requestParams).orElse(null));
  }

  /**
   * Listens ({@code subscriptions/listen}) to server {@code serverName}, a Streamable HTTP server
   * that speaks 2026-07-28, for the tasks extension's {@code notifications/tasks} of its tasks
   * {@code upstreamTaskIds}, each passed to {@code statuses} (on the stream's reader thread) as the
   * server sent it; until the returned handle is closed. Empty when the server cannot be listened to.
   */
  public Optional<AutoCloseable> listenForTasks(String serverName, List<String> upstreamTaskIds, Consumer<ObjectNode> statuses)
      throws UpstreamException {
    if (!(connection(serverName) instanceof HttpConnection http)) {
      return Optional.empty();
    }
    return http.listenForTasks(upstreamTaskIds, statuses).map(stream -> stream);
  }

  /**
   * Whether a 2026-07-28 agent's requests reach server {@code serverName} in that revision: a
   * Streamable HTTP server that offers it. Stdio servers are spoken to in 2025 only.
   */
  public boolean speaksModern(String serverName) throws UpstreamException {
    return connection(serverName) instanceof HttpConnection http && http.offersModern();
  }

  /**
   * The params of a list request in 2026-07-28 carrying the agent's client capabilities, when
   * {@code requestParams} are a 2026-07-28 agent's and the server offers that revision; empty otherwise.
   */
  private Optional<ObjectNode> modernListParams(String serverName, JsonNode requestParams) throws UpstreamException {
    Optional<ObjectNode> capabilities = Handshake.agentCapabilities(requestParams);
    if (capabilities.isEmpty() || !(connection(serverName) instanceof HttpConnection http) || !http.offersModern()) {
      return Optional.empty();
    }
    return Optional.of(Handshake.agentEnvelope(capabilities.get()));
  }

  private List<ObjectNode> cachedTools(String serverName) throws UpstreamException {
    UpstreamConnection connection = connection(serverName);
    long version = toolListVersions.get(serverName).get();
    CachedTools cached = toolLists.get(serverName);
    if (cached == null || cached.version() != version) {
      // Stored under the version seen before fetching: if the list changed meanwhile, the next
      // call sees a newer version and fetches again.
      cached = new CachedTools(version, fetchTools(serverName, connection));
      toolLists.put(serverName, cached);
    }
    return cached.tools();
  }

  /** Stops every stdio server (terminate, then kill after a grace period) and ends HTTP sessions. */
  @Override
  public void close() {
    forEachConcurrently(
        connection -> {
          switch (connection) {
            case StdioConnection stdio -> stdio.close();
            case HttpConnection http -> http.close();
          }
        });
  }

  /**
   * Every item of a list method of the server, all pages, asked afresh: {@code resources/list}
   * ({@code resources}, each with a {@code uri}), {@code resources/templates/list} ({@code
   * resourceTemplates}, each with a {@code uriTemplate}) or {@code prompts/list} ({@code prompts},
   * each with a {@code name}).
   */
  public List<ObjectNode> list(String serverName, ListMethod method) throws UpstreamException {
    return fetchAll(serverName, connection(serverName), method, null);
  }

  /** The list methods the gateway reads from upstreams, with the member that holds the items and their key. */
  public enum ListMethod {
    TOOLS("tools/list", "tools", "name"),
    RESOURCES("resources/list", "resources", "uri"),
    RESOURCE_TEMPLATES("resources/templates/list", "resourceTemplates", "uriTemplate"),
    PROMPTS("prompts/list", "prompts", "name");

    private final String method;
    private final String member;
    private final String key;

    ListMethod(String method, String member, String key) {
      this.method = method;
      this.member = member;
      this.key = key;
    }

    public String method() {
      return method;
    }

    /** The member of the result that holds the items. */
    public String member() {
      return member;
    }
  }

  private List<ObjectNode> fetchTools(String serverName, UpstreamConnection connection) throws UpstreamException {
    return fetchAll(serverName, connection, ListMethod.TOOLS, null);
  }

  /** @param base the params every page is asked with (a 2026-07-28 envelope), beside its cursor; null for none */
  private List<ObjectNode> fetchAll(String serverName, UpstreamConnection connection, ListMethod list, ObjectNode base)
      throws UpstreamException {
    List<ObjectNode> items = new ArrayList<>();
    Set<String> cursorsSeen = new HashSet<>();
    String cursor = null;
    for (int page = 1; ; page++) {
      ObjectNode params = base == null ? null : base.deepCopy();
      if (cursor != null) {
        params = (params == null ? JsonNodeFactory.instance.objectNode() : params).put("cursor", cursor);
      }
      JsonNode result = resultOf(serverName, list.method, connection.request(list.method, params));
      JsonNode array = result.path(list.member);
      if (!array.isArray()) {
        throw protocolError(serverName, "answered " + list.method + " without a " + list.member + " array");
      }
      for (JsonNode item : array) {
        if (!(item instanceof ObjectNode object) || !object.path(list.key).isTextual()) {
          throw protocolError(serverName, "listed an item of " + list.method + " that is not an object with a " + list.key);
        }
        items.add(object);
      }
      JsonNode next = result.get("nextCursor");
      if (next == null || next.isNull()) {
        return List.copyOf(items);
      }
      if (!next.isTextual() || !cursorsSeen.add(next.asText()) || page == MAX_LIST_PAGES) {
        throw protocolError(serverName, "paginated " + list.method + " without end (bad, repeated or too many cursors)");
      }
      cursor = next.asText();
    }
  }

  private static JsonNode resultOf(String serverName, String method, ObjectNode response) throws UpstreamException {
    JsonNode error = response.get("error");
    if (error != null) {
      throw protocolError(
          serverName,
          "answered " + method + " with error " + error.path("code").asText("?") + " " + abbreviate(error.path("message").asText("")));
    }
    JsonNode result = response.get("result");
    if (!(result instanceof ObjectNode)) {
      throw protocolError(serverName, "answered " + method + " without a result object");
    }
    return result;
  }

  private static UpstreamException protocolError(String serverName, String what) {
    return new UpstreamException(UpstreamException.Kind.PROTOCOL_ERROR, "upstream " + serverName + " " + what);
  }

  private static String abbreviate(String text) {
    return text.length() <= 200 ? text : text.substring(0, 200) + "...";
  }

  private void forEachConcurrently(Consumer<UpstreamConnection> action) {
    List<Thread> threads = new ArrayList<>();
    for (UpstreamConnection connection : connections.values()) {
      threads.add(Thread.ofVirtual().start(() -> action.accept(connection)));
    }
    for (Thread thread : threads) {
      try {
        thread.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /**
   * A server's tool list is stale once it reconnects or announces a change; its progress goes to its
   * route, its log messages and requests to the call in flight in the upstream session they came in
   * ({@link AgentRelays}), its resource updates to that session's subscribers.
   */
  private final class ToolListInvalidation implements UpstreamEvents {
    /** The upstream session whose messages these are: an agent session's id, or {@link #SHARED_SESSION}. */
    private final String session;

    ToolListInvalidation(String session) {
      this.session = session;
    }

    @Override
    public void sessionStarted(String server) {
      if (session.equals(SHARED_SESSION)) {
        // The cached lists were read in the shared session; an agent's session starting changes none.
        toolListVersions.get(server).incrementAndGet();
      }
    }

    @Override
    public void notification(String server, ObjectNode message) {
      String method = message.path("method").asText();
      if (LIST_CHANGES.contains(method)) {
        if (session.equals(SHARED_SESSION)) {
          listChanged(server, method);
        } else if ("notifications/tools/list_changed".equals(method)) {
          // What changed in one agent's own upstream session is not told to others; the cached list is read again.
          toolListVersions.get(server).incrementAndGet();
        }
      } else if ("notifications/progress".equals(method)) {
        progress.deliver(server, message);
      } else if ("notifications/message".equals(method)) {
        relays.log(server, session, message);
      } else if ("notifications/resources/updated".equals(method)) {
        resourceUpdates.deliver(server, session, message);
      } else if ("notifications/tasks/status".equals(method)) {
        taskStatuses.deliver(server, session, message);
      }
    }

    @Override
    public void request(String server, JsonRpc.Incoming.ServerRequest request, Consumer<ObjectNode> reply) {
      boolean relayed = RELAYED_REQUESTS.contains(request.method())
          && relays.ask(server, session, request.message(), agentResponse -> reply.accept(JsonRpc.agentReply(request.id(), agentResponse)));
      if (!relayed) {
        reply.accept(RELAYED_REQUESTS.contains(request.method()) ? JsonRpc.refusal(request,
            "the cMCP gateway does not offer " + request.method() + " to upstream servers now: it is relayed only to the "
                + "agent of the one call in flight to this server in the upstream session it came in, if that agent declared the "
                + "capability and the call's "
                + "permit does not redact") : JsonRpc.answer(request));
      }
    }
  }
}
