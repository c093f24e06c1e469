package dev.cmcp.gateway.upstream;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * The requests sent over one stdio pipe that still wait for an answer, by the id the gateway gave
 * them. Once closed (the child went away) it fails every waiting request and refuses new ones, so
 * no caller can wait on a pipe that will never answer.
 */
final class PendingRequests {

  /** One request's id and the answer it waits for. */
  record Ticket(long id, CompletableFuture<ObjectNode> answer) {}

  private record Waiting(String method, CompletableFuture<ObjectNode> answer) {}

  private final Map<Long, Waiting> waiting = new HashMap<>();
  private long nextId = 1;
  private Function<String, UpstreamException> closedBecause;

  /** Registers a request; fails with what closed this table if it is closed. */
  synchronized Ticket open(String method) throws UpstreamException {
    if (closedBecause != null) {
      throw closedBecause.apply(method);
    }
    long id = nextId++;
    CompletableFuture<ObjectNode> answer = new CompletableFuture<>();
    waiting.put(id, new Waiting(method, answer));
    return new Ticket(id, answer);
  }

  /** Hands an answer to its request; false when no request waits for that id. */
  boolean answer(Long id, ObjectNode message) {
    Waiting entry = remove(id);
    return entry != null && entry.answer().complete(message);
  }

  /** Fails the request waiting under {@code id}, with an error built from its method. */
  boolean fail(Long id, Function<String, UpstreamException> failure) {
    Waiting entry = remove(id);
    return entry != null && entry.answer().completeExceptionally(failure.apply(entry.method()));
  }

  /** Forgets a request whose caller stopped waiting (timed out); a late answer is then unknown. */
  synchronized void forget(long id) {
    waiting.remove(id);
  }

  /** Fails every waiting request and every later one, with an error built from each method. */
  void close(Function<String, UpstreamException> failure) {
    List<Waiting> failed;
    synchronized (this) {
      if (closedBecause != null) {
        return;
      }
      closedBecause = failure;
      failed = new ArrayList<>(waiting.values());
      waiting.clear();
    }
    for (Waiting entry : failed) {
      entry.answer().completeExceptionally(failure.apply(entry.method()));
    }
  }

  synchronized int size() {
    return waiting.size();
  }

  private synchronized Waiting remove(Long id) {
    return id == null ? null : waiting.remove(id);
  }
}
