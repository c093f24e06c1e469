package dev.cmcp.gateway.policy;

import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * The history of each session, kept by the gateway in memory for {@code context.session}.
 *
 * <p>Keyed by principal and session id together: a stateless call declares its session in
 * {@code _cmcp.session_id}, and another principal naming the same id gets a history of its own,
 * never this one's.
 *
 * <p>Bounded, and failing closed: a history unused for {@code idleTimeout} is dropped; beyond
 * {@code maxPerPrincipal} histories of one principal, or {@code maxInAll} in all, a request that
 * needs a new one is refused ({@link #history} is empty) instead of dropping a live history,
 * which would let an agent wipe what it did (open many sessions, and its "after pii" session
 * would look clean again).
 */
public final class SessionHistories {

  /** The defaults: far more than the sessions a gateway holds (limits.max_sessions is 10,000 by default). */
  public static final int DEFAULT_MAX_IN_ALL = 100_000;
  public static final int DEFAULT_MAX_PER_PRINCIPAL = 2_000;

  private record Key(String principal, String sessionId) {}

  private static final class Entry {
    SessionHistory history = SessionHistory.EMPTY;
    long lastUsedNanos;
  }

  private final int maxInAll;
  private final int maxPerPrincipal;
  private final long idleNanos;
  private final LongSupplier nanoTime;
  /** Guarded by {@code this}. */
  private final Map<Key, Entry> histories = new HashMap<>();
  /** Guarded by {@code this}: how many histories each principal holds. */
  private final Map<String, Integer> perPrincipal = new HashMap<>();

  public SessionHistories(Duration idleTimeout) {
    this(DEFAULT_MAX_IN_ALL, DEFAULT_MAX_PER_PRINCIPAL, idleTimeout, System::nanoTime);
  }

  public SessionHistories(int maxInAll, int maxPerPrincipal, Duration idleTimeout, LongSupplier nanoTime) {
    this.maxInAll = maxInAll;
    this.maxPerPrincipal = maxPerPrincipal;
    this.idleNanos = idleTimeout.toNanos();
    this.nanoTime = nanoTime;
  }

  /**
   * The session's history so far; {@link SessionHistory#EMPTY} for a new session, which is then
   * held. Empty when a new history cannot be held (the bounds above): the request must be refused.
   */
  public synchronized Optional<SessionHistory> history(String principal, String sessionId) {
    long now = nanoTime.getAsLong();
    Key key = new Key(principal, sessionId);
    Entry entry = histories.get(key);
    if (entry != null && now - entry.lastUsedNanos <= idleNanos) {
      entry.lastUsedNanos = now;
      return Optional.of(entry.history);
    }
    if (entry != null) {
      remove(key);
    }
    if (histories.size() >= maxInAll || perPrincipal.getOrDefault(principal, 0) >= maxPerPrincipal) {
      dropIdle(now);
    }
    if (histories.size() >= maxInAll || perPrincipal.getOrDefault(principal, 0) >= maxPerPrincipal) {
      return Optional.empty();
    }
    Entry fresh = new Entry();
    fresh.lastUsedNanos = now;
    histories.put(key, fresh);
    perPrincipal.merge(principal, 1, Integer::sum);
    return Optional.of(fresh.history);
  }

  /** Records one more request of the session, as {@link SessionHistory#after} describes. */
  public synchronized void record(String principal, String sessionId, Optional<String> forwardedTool,
      Optional<String> sensitivityLevel, boolean denied) {
    Entry entry = histories.get(new Key(principal, sessionId));
    if (entry == null) {
      return; // never held (refused) or dropped meanwhile: nothing to add to
    }
    entry.history = entry.history.after(forwardedTool, sensitivityLevel, denied);
    entry.lastUsedNanos = nanoTime.getAsLong();
  }

  /** How many histories are held now. */
  public synchronized int size() {
    return histories.size();
  }

  private void dropIdle(long now) {
    for (Iterator<Map.Entry<Key, Entry>> it = histories.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<Key, Entry> held = it.next();
      if (now - held.getValue().lastUsedNanos > idleNanos) {
        it.remove();
        perPrincipal.computeIfPresent(held.getKey().principal(), (p, n) -> n > 1 ? n - 1 : null);
      }
    }
  }

  private void remove(Key key) {
    histories.remove(key);
    perPrincipal.computeIfPresent(key.principal(), (p, n) -> n > 1 ? n - 1 : null);
  }
}
