package dev.cmcp.gateway.mcp;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which sessions subscribed to which server's resource. The upstream is subscribed once per
 * upstream session, when the first agent session subscribes in it, and unsubscribed when the last
 * one leaves, so that one agent leaving never ends another's subscription. Each update is sent to
 * the sessions subscribed in the upstream session it came in, only.
 */
final class ResourceSubscriptions {

  /**
   * One resource of one server, in one upstream session: an agent session's own ({@code
   * Upstreams.sessionFor}), which only that agent subscribes in, or the server's shared one.
   */
  record Key(String server, String uri, String session) {}

  /** Subscriptions one session may hold, so that no agent can grow the table without bound. */
  static final int MAX_PER_SESSION = 1000;

  private final Map<Key, Set<String>> sessionsByResource = new ConcurrentHashMap<>();
  private final Map<String, Set<Key>> resourcesBySession = new ConcurrentHashMap<>();

  /** What a subscribe changed: whether the upstream must be subscribed, or the session holds too many. */
  enum Added { FIRST, ALSO, TOO_MANY }

  synchronized Added add(String sessionId, Key key) {
    Set<Key> held = resourcesBySession.computeIfAbsent(sessionId, id -> ConcurrentHashMap.newKeySet());
    if (!held.contains(key) && held.size() >= MAX_PER_SESSION) {
      return Added.TOO_MANY;
    }
    held.add(key);
    Set<String> sessions = sessionsByResource.computeIfAbsent(key, k -> ConcurrentHashMap.newKeySet());
    boolean first = sessions.isEmpty();
    sessions.add(sessionId);
    return first ? Added.FIRST : Added.ALSO;
  }

  /** Removes one subscription; true when it was the resource's last, so the upstream is to be unsubscribed. */
  synchronized boolean remove(String sessionId, Key key) {
    Set<Key> held = resourcesBySession.get(sessionId);
    if (held == null || !held.remove(key)) {
      return false;
    }
    if (held.isEmpty()) {
      resourcesBySession.remove(sessionId);
    }
    Set<String> sessions = sessionsByResource.get(key);
    if (sessions == null) {
      return false;
    }
    sessions.remove(sessionId);
    if (sessions.isEmpty()) {
      sessionsByResource.remove(key);
      return true;
    }
    return false;
  }

  /** Removes every subscription of an ended session; returns the resources nobody holds any more. */
  synchronized List<Key> endSession(String sessionId) {
    List<Key> emptied = new ArrayList<>();
    for (Key key : List.copyOf(resourcesBySession.getOrDefault(sessionId, Set.of()))) {
      if (remove(sessionId, key)) {
        emptied.add(key);
      }
    }
    return emptied;
  }

  /** The sessions subscribed to a resource. */
  Set<String> subscribers(Key key) {
    return Set.copyOf(sessionsByResource.getOrDefault(key, Set.of()));
  }
}
