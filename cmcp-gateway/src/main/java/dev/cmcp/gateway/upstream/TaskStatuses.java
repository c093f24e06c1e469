package dev.cmcp.gateway.upstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Where the servers' MCP 2025-11-25 {@code notifications/tasks/status} go: to whoever listens (the
 * MCP endpoint, which knows which agent session created each task), as the server's name, the
 * upstream session it came in ({@link Upstreams#sessionFor}), the server's task id and the
 * notification's params; the listener decides what of them an agent may see.
 */
public final class TaskStatuses {

  /** Task ids longer than this are dropped: no server has a reason to send one. */
  static final int MAX_TASK_ID_LENGTH = 1024;

  /** Hears the statuses; called on the upstream's reader thread, so it must return quickly. */
  @FunctionalInterface
  public interface Listener {
    /** @param session the upstream session the status came in: an agent session's id, or {@link Upstreams#SHARED_SESSION} */
    void status(String server, String session, String upstreamTaskId, ObjectNode params);
  }

  private final List<Listener> listeners = new CopyOnWriteArrayList<>();

  /** Hands each status to {@code listener} until the returned handle is closed. */
  public AutoCloseable listen(Listener listener) {
    listeners.add(listener);
    return () -> listeners.remove(listener);
  }

  /** Runs on the upstream's reader thread; listeners must return quickly. */
  void deliver(String server, String session, ObjectNode notification) {
    if (!(notification.get("params") instanceof ObjectNode params)) {
      return;
    }
    JsonNode taskId = params.get("taskId");
    if (taskId == null || !taskId.isTextual() || taskId.asText().length() > MAX_TASK_ID_LENGTH) {
      return;
    }
    for (Listener listener : listeners) {
      listener.status(server, session, taskId.asText(), params);
    }
  }
}
