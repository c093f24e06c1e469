package dev.cmcp.gateway.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.gateway.upstream.UpstreamException;
import dev.cmcp.gateway.upstream.Upstreams;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The open 2026-07-28 {@code subscriptions/listen} streams: the stateless revision's replacement
 * of {@code GET /mcp} and {@code resources/subscribe}. A listen is opened by one request and lives
 * as long as its event stream; what it asked for (resource updates, list changes, task statuses)
 * is subscribed to upstream for it alone, and every message on it carries its subscription id
 * ({@code _meta."io.modelcontextprotocol/subscriptionId"}). When the stream closes, all of it ends,
 * upstream too. Bounded per caller and in all, since each holds a connection, a thread and its
 * upstream subscriptions.
 */
final class Listens {

  private static final Logger LOG = System.getLogger("cmcp.mcp");
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  /** Open listens per caller, and in all: each holds an HTTP connection, a thread and its upstream subscriptions. */
  static final int MAX_LISTENS_PER_PRINCIPAL = 8;
  static final int MAX_LISTENS = 256;

  /**
   * One open listen: the id of its {@code subscriptions/listen} request, which every message on it
   * carries, its caller, and the lists whose changes it asked for.
   */
  private record Listen(JsonNode subscriptionId, String principal, Set<ListChanges.Kind> listChanges) {}

  /** What a listen asked for, read from its {@code notifications} filter. */
  private record Wanted(List<String> uris, Set<ListChanges.Kind> listChanges, Optional<List<String>> taskIds) {}

  private final ToolCallPipeline toolCalls;
  private final SessionStreams streams;
  private final ResourceSubscriptions subscriptions;
  /** The open listens, by the gateway's id for each (also the id of its stream and its upstream sessions). */
  private final Map<String, Listen> listens = new ConcurrentHashMap<>();
  /** The upstream listens for task statuses of listens that asked for tasks, by the gateway's id for each listen. */
  private final Map<String, List<AutoCloseable>> taskListens = new ConcurrentHashMap<>();
  /** The upstream list-change watches of listens that asked for list changes, by the gateway's id for each listen. */
  private final Map<String, AutoCloseable> listChangeWatches = new ConcurrentHashMap<>();

  Listens(ToolCallPipeline toolCalls, SessionStreams streams, ResourceSubscriptions subscriptions) {
    this.toolCalls = toolCalls;
    this.streams = streams;
    this.subscriptions = subscriptions;
  }

  /** Whether {@code listenId} names an open listen. */
  boolean isOpen(String listenId) {
    return listens.containsKey(listenId);
  }

  /** The subscription id of the listen {@code id} names; empty when it names a session, or nothing open. */
  Optional<JsonNode> subscriptionId(String id) {
    return Optional.ofNullable(listens.get(id)).map(Listen::subscriptionId);
  }

  /**
   * Opens a listen for {@code rpc}, a 2026-07-28 {@code subscriptions/listen} (the endpoint has
   * checked its envelope). Each URI of {@code notifications.resourceSubscriptions} is decided as
   * {@code resources/subscribe} is (as a read, audited) and the upstream subscribed; the
   * acknowledgment lists the URIs allowed, and the stream carries their updates, by URI only.
   * {@code toolsListChanged}, {@code promptsListChanged} and {@code resourcesListChanged} are
   * honoured (acknowledged, and the servers' list changes and the policy reloads told: {@link
   * #tellListChanges}); the servers are listened to before the acknowledgment, so that a change
   * made once the client has it is heard. {@code taskIds} (the tasks extension) name the caller's
   * own tasks whose statuses it hears ({@link #listenForTasks}).
   */
  McpEndpoint.Listening open(JsonRpcMessage.Request rpc, McpHttpRequest request) {
    Optional<String> missing = Modern.missingMeta(rpc.params());
    if (missing.isPresent()) {
      return new McpEndpoint.Listening.Answered(
          McpHttpResponse.error(400, rpc.id(), JsonRpcError.of(JsonRpcError.INVALID_PARAMS, "Invalid params: " + missing.get())));
    }
    Wanted wanted;
    String taskOwner;
    String principal;
    try {
      wanted = wanted(rpc);
      Caller caller = Caller.of(rpc.id(), rpc.params(), Optional.empty(), request.workflowId(), request.identity());
      principal = request.identity().owner() + "|" + caller.workflowId();
      taskOwner = TaskRegistry.modernOwner(request.identity().owner(), caller.workflowId());
    } catch (JsonRpcException e) {
      return new McpEndpoint.Listening.Answered(McpHttpResponse.error(e));
    }
    String listenId = "cmcp-listen-" + UUID.randomUUID();
    synchronized (listens) {
      long mine = listens.values().stream().filter(listen -> listen.principal().equals(principal)).count();
      if (listens.size() >= MAX_LISTENS || mine >= MAX_LISTENS_PER_PRINCIPAL) {
        return new McpEndpoint.Listening.Answered(McpHttpResponse.error(200, rpc.id(),
            JsonRpcError.withWord(JsonRpcError.INVALID_REQUEST, "too many subscriptions/listen streams are open ("
                + MAX_LISTENS_PER_PRINCIPAL + " per caller, " + MAX_LISTENS + " in all); close one first", "too_many_listens")));
      }
      listens.put(listenId, new Listen(rpc.id(), principal, Set.copyOf(wanted.listChanges())));
    }
    // Opened before subscribing, so that no update sent at once is missed; the handler writes the acknowledgment first.
    SessionStreams.Stream stream = streams.open(listenId, () -> end(listenId));
    ArrayNode allowed = NODES.arrayNode();
    for (String uri : wanted.uris()) {
      ObjectNode params = NODES.objectNode().put("uri", uri);
      if (rpc.params().get("_cmcp") != null) {
        params.set("_cmcp", rpc.params().get("_cmcp").deepCopy());
      }
      try {
        if (toolCalls.subscribe(rpc.id(), params, listenId, request.workflowId(), request.requestId(), request.identity(), subscriptions)
            .has("result")) {
          allowed.add(uri);
        }
      } catch (JsonRpcException e) {
        // Denied, not offered, or refused upstream: decided and audited as a subscribe, and left out of the acknowledgment.
        LOG.log(Level.DEBUG, "subscriptions/listen: {0} left out: {1}", uri, e.getMessage());
      }
    }
    if (!wanted.listChanges().isEmpty()) {
      // Before the acknowledgment, so that a change made once the client has it is heard.
      listChangeWatches.put(listenId, toolCalls.upstreams().watchListChanges());
    }
    ObjectNode acknowledgment = NODES.objectNode().put("jsonrpc", "2.0").put("method", "notifications/subscriptions/acknowledged");
    ObjectNode params = acknowledgment.putObject("params");
    params.putObject("_meta").set(Modern.SUBSCRIPTION_ID, rpc.id());
    ObjectNode honoured = params.putObject("notifications");
    wanted.listChanges().forEach(kind -> honoured.put(kind.filterMember(), true));
    honoured.set("resourceSubscriptions", allowed);
    wanted.taskIds().ifPresent(tasks -> honoured.set("taskIds", listenForTasks(listenId, rpc.id(), taskOwner, tasks)));
    LOG.log(Level.INFO, "subscriptions/listen opened: {0} of {1} resources allowed", allowed.size(), wanted.uris().size());
    return new McpEndpoint.Listening.Opened(stream, acknowledgment);
  }

  /**
   * Reads and checks the listen's {@code notifications} filter; a bad one is {@code -32602}
   * ({@code -32021} for task ids without the tasks extension) and opens nothing.
   */
  private static Wanted wanted(JsonRpcMessage.Request rpc) throws JsonRpcException {
    if (!(rpc.params().get("notifications") instanceof ObjectNode filter)) {
      throw Caller.invalidParams(rpc.id(), "subscriptions/listen needs \"notifications\", an object");
    }
    List<String> uris = new ArrayList<>();
    JsonNode resources = filter.get("resourceSubscriptions");
    if (resources != null && !(resources.isArray() && resources.size() <= ResourceSubscriptions.MAX_PER_SESSION
        && resources.valueStream().allMatch(JsonNode::isTextual))) {
      throw Caller.invalidParams(rpc.id(), "notifications.resourceSubscriptions must be an array of at most "
          + ResourceSubscriptions.MAX_PER_SESSION + " URI strings");
    }
    if (resources != null) {
      resources.forEach(uri -> uris.add(uri.asText()));
    }
    Optional<List<String>> wantedTasks = Optional.empty();
    JsonNode taskIds = filter.get("taskIds");
    if (taskIds != null) {
      if (!Modern.declaresTasks(rpc.params().path("_meta").get(Modern.CLIENT_CAPABILITIES))) {
        // SEP-2663: asking for task notifications needs the extension declared.
        throw new JsonRpcException(Modern.missingTasksExtension("subscriptions/listen with notifications.taskIds"), rpc.id(), 400);
      }
      if (!(taskIds.isArray() && taskIds.valueStream().allMatch(JsonNode::isTextual))) {
        throw Caller.invalidParams(rpc.id(), "notifications.taskIds must be an array of task id strings");
      }
      if (taskIds.size() > TaskRegistry.MAX_PER_SESSION) {
        throw Caller.invalidParams(rpc.id(), "notifications.taskIds names at most " + TaskRegistry.MAX_PER_SESSION
            + " tasks (as many as a caller may hold in one session)");
      }
      List<String> named = new ArrayList<>();
      taskIds.forEach(taskId -> named.add(taskId.asText()));
      wantedTasks = Optional.of(named);
    }
    Set<ListChanges.Kind> listChanges = EnumSet.noneOf(ListChanges.Kind.class);
    for (ListChanges.Kind kind : ListChanges.Kind.values()) {
      if (filter.path(kind.filterMember()).asBoolean(false)) {
        listChanges.add(kind);
      }
    }
    return new Wanted(uris, listChanges, wantedTasks);
  }

  /**
   * Tells every listen that asked for one of {@code kinds} of that change, with its subscription
   * id; each send's result counted in {@code counts}. Nothing else is said (see {@link
   * McpEndpoint}'s list-change comment).
   */
  void tellListChanges(Set<ListChanges.Kind> kinds, Map<SessionStreams.ListChangeSent, Integer> counts) {
    listens.forEach((listenId, listen) -> {
      for (ListChanges.Kind kind : kinds) {
        if (listen.listChanges().contains(kind)) {
          ObjectNode notification = NODES.objectNode().put("jsonrpc", "2.0").put("method", kind.method());
          notification.putObject("params").putObject("_meta").set(Modern.SUBSCRIPTION_ID, listen.subscriptionId());
          counts.merge(streams.sendListChange(listenId, notification), 1, Integer::sum);
        }
      }
    });
  }

  /**
   * The tasks extension's {@code notifications/tasks} for a listen: of the tasks named, those of
   * the listening caller (another's, or an unknown id, is left out, as {@code tasks/get} would
   * answer it unknown) are listened for at their servers, under the servers' ids, and each status
   * reaches this listen's stream as {@link TaskMethods#modernNotice} makes it, with the listen's
   * subscription id. Returns the gateway ids agreed to: those whose server took the listen.
   */
  private ArrayNode listenForTasks(String listenId, JsonNode subscriptionId, String owner, List<String> taskIds) {
    Map<String, List<TaskRegistry.Task>> byServer = new TreeMap<>();
    for (String taskId : taskIds) {
      toolCalls.tasks().registry().find(owner, taskId).filter(task -> task.form() == TaskRegistry.Form.EXTENSION)
          .ifPresent(task -> byServer.computeIfAbsent(task.server(), server -> new ArrayList<>()).add(task));
    }
    ArrayNode agreed = NODES.arrayNode();
    List<AutoCloseable> opened = new CopyOnWriteArrayList<>();
    taskListens.put(listenId, opened);
    byServer.forEach((server, tasks) -> {
      try {
        toolCalls.upstreams().listenForTasks(server, tasks.stream().map(TaskRegistry.Task::upstreamTaskId).toList(),
            status -> toolCalls.tasks().modernNotice(tasks, status).ifPresent(notice -> {
              ((ObjectNode) notice.get("params")).putObject("_meta").set(Modern.SUBSCRIPTION_ID, subscriptionId);
              if (!streams.send(listenId, notice)) {
                LOG.log(Level.DEBUG, "listen {0}: a task status dropped: its stream is closed or full", listenId);
              }
            })).ifPresent(handle -> {
              opened.add(handle);
              tasks.forEach(task -> agreed.add(task.id()));
            });
      } catch (UpstreamException e) {
        LOG.log(Level.DEBUG, "listen {0}: the tasks of upstream {1} cannot be listened to: {2}", listenId, server, e.getMessage());
      }
    });
    return agreed;
  }

  /** A listen's stream closed: its subscriptions end, upstream too (its own upstream sessions with it). */
  private void end(String listenId) {
    if (listens.remove(listenId) == null) {
      return;
    }
    for (AutoCloseable upstreamListen : Optional.ofNullable(taskListens.remove(listenId)).orElse(List.of())) {
      try {
        upstreamListen.close();
      } catch (Exception e) {
        LOG.log(Level.DEBUG, "listen {0}: ending a task listen: {1}", listenId, e.getMessage());
      }
    }
    AutoCloseable watch = listChangeWatches.remove(listenId);
    if (watch != null) {
      try {
        watch.close();
      } catch (Exception e) {
        LOG.log(Level.DEBUG, "listen {0}: ending its list-change watch: {1}", listenId, e.getMessage());
      }
    }
    subscriptions.endSession(listenId).stream()
        .filter(key -> key.session().equals(Upstreams.SHARED_SESSION))
        .forEach(toolCalls::unsubscribeUpstream);
    toolCalls.upstreams().endSession(listenId);
  }
}
