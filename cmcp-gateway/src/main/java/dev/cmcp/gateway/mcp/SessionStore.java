package dev.cmcp.gateway.mcp;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Open MCP sessions. Ids are 128 random bits, so one agent cannot guess another's session;
 * ended ids are remembered (the latest {@link #REMEMBERED_ENDED} of them) so that a reused id is
 * refused rather than silently reopened.
 *
 * <p>The table is bounded so that nobody can lock others out by opening sessions: a session
 * unused for the idle timeout is ended, each principal may hold a number of sessions, and all
 * together another; when either is full, the session of that principal (or of anyone) that has
 * been idle longest is ended to make room. An agent whose session was ended gets 404 and, as the
 * MCP spec has it, opens a new one.
 */
public final class SessionStore {

  /** How many ended ids are remembered for the "has ended" answer; older ones read as "not known". */
  static final int REMEMBERED_ENDED = 100_000;
  private static final Logger LOG = System.getLogger("cmcp.mcp");

  /** A session with its owner and when it was last used (epoch milliseconds of the store's clock). */
  private static final class Entry {
    final McpSession session;
    final String principal;
    volatile long lastUsed;

    Entry(McpSession session, String principal, long lastUsed) {
      this.session = session;
      this.principal = principal;
      this.lastUsed = lastUsed;
    }
  }

  private final Map<String, Entry> open = new ConcurrentHashMap<>();
  /** Open sessions per principal; changed only under this store's lock. */
  private final Map<String, Integer> perPrincipal = new ConcurrentHashMap<>();
  private final Set<String> ended = Collections.synchronizedSet(Collections.newSetFromMap(new LinkedHashMap<>() {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
      return size() > REMEMBERED_ENDED;
    }
  }));
  /**
   * The caller each session belongs to ({@code Identity.owner()}), for sessions opened or named by
   * an authenticated caller; kept after the session ends, since its claim can still be fetched.
   */
  private final Map<String, String> owners = new ConcurrentHashMap<>();
  /** The level each session asked for with {@code logging/setLevel}; a session absent here hears every level. */
  private final Map<String, McpLogLevel> logLevels = new ConcurrentHashMap<>();
  private final SecureRandom random = new SecureRandom();
  private final Clock clock;
  private final long idleMillis;
  private final int maxOpen;
  private final int maxPerPrincipal;
  /** Told of every session that ends, however it ends; called under this store's lock, so it must return quickly. */
  private final Consumer<String> whenEnded;
  private long lastSweep;

  /** A store with no per-principal cap and sessions that expire after 30 minutes unused. */
  public SessionStore(Clock clock, int maxOpen) {
    this(clock, maxOpen, maxOpen, Duration.ofMinutes(30), id -> {});
  }

  /**
   * @param maxOpen sessions open at once, in all
   * @param maxPerPrincipal sessions open at once for one principal
   * @param idleTimeout how long a session may go unused before it is ended
   * @param whenEnded hears the id of each session that ends (by its agent, idle, or evicted to make
   *     room), so that what belongs to it elsewhere (its upstream sessions) ends too
   */
  public SessionStore(Clock clock, int maxOpen, int maxPerPrincipal, Duration idleTimeout, Consumer<String> whenEnded) {
    if (maxOpen < 1 || maxPerPrincipal < 1 || !idleTimeout.isPositive()) {
      throw new IllegalArgumentException("session limits must be positive");
    }
    this.clock = clock;
    this.maxOpen = maxOpen;
    this.maxPerPrincipal = maxPerPrincipal;
    this.idleMillis = idleTimeout.toMillis();
    this.whenEnded = whenEnded;
  }

  /** Opens a session for the {@link Caller#DEFAULT_WORKFLOW} principal. */
  public Optional<McpSession> open(String protocolVersion, String clientName) {
    return open(Caller.DEFAULT_WORKFLOW, protocolVersion, clientName, AgentCapabilities.NONE);
  }

  /**
   * Opens a session owned by {@code principal}, making room by ending idle sessions when a cap is
   * reached. Always succeeds: every cap is at least one, and the longest idle session is ended to
   * make room, however recently it was used.
   */
  Optional<McpSession> open(String principal, String protocolVersion, String clientName, AgentCapabilities capabilities) {
    return open(principal, protocolVersion, clientName, capabilities, "");
  }

  /**
   * As above, for a session that belongs to {@code owner} ({@code Identity.owner()}; empty: to
   * whoever holds its id): no other caller can use it or read its claim.
   */
  synchronized Optional<McpSession> open(
      String principal, String protocolVersion, String clientName, AgentCapabilities capabilities, String owner) {
    long now = clock.millis();
    // A sweep walks the whole table: at most once a second, so a flood of opens stays linear.
    if (now - lastSweep >= 1_000 || open.size() >= maxOpen) {
      lastSweep = now;
      open.values().removeIf(entry -> {
        if (now - entry.lastUsed >= idleMillis) {
          forget(entry, "idle for " + (now - entry.lastUsed) / 1000 + " s");
          return true;
        }
        return false;
      });
    }
    if (perPrincipal.getOrDefault(principal, 0) >= maxPerPrincipal) {
      evictLongestIdle(principal);
    }
    if (open.size() >= maxOpen) {
      evictLongestIdle(null);
    }
    byte[] bytes = new byte[16];
    random.nextBytes(bytes);
    McpSession session = new McpSession(HexFormat.of().formatHex(bytes), protocolVersion, clientName, clock.instant(), capabilities);
    if (!owner.isEmpty()) {
      owners.put(session.id(), owner);
    }
    open.put(session.id(), new Entry(session, principal, now));
    perPrincipal.merge(principal, 1, Integer::sum);
    return Optional.of(session);
  }

  /** How many MCP sessions are open now. */
  public int openCount() {
    return open.size();
  }

  /** Ends the session idle longest, of {@code principal} or (when null) of anyone. */
  private void evictLongestIdle(String principal) {
    Entry oldest = null;
    for (Entry entry : open.values()) {
      if ((principal == null || entry.principal.equals(principal)) && (oldest == null || entry.lastUsed < oldest.lastUsed)) {
        oldest = entry;
      }
    }
    if (oldest != null && open.remove(oldest.session.id(), oldest)) {
      forget(oldest, principal == null ? "the session table is full" : "its principal holds the most sessions allowed");
    }
  }

  /** Called under the lock, or with the entry already removed from {@link #open} by this thread. */
  private void forget(Entry entry, String why) {
    perPrincipal.computeIfPresent(entry.principal, (p, n) -> n <= 1 ? null : n - 1);
    logLevels.remove(entry.session.id());
    ended.add(entry.session.id());
    LOG.log(Level.DEBUG, "session {0} ended: {1}", entry.session.id(), why);
    whenEnded.accept(entry.session.id());
  }

  /** The open session with this id, marking it used now; empty when unknown, ended or idle too long. */
  public Optional<McpSession> find(String id) {
    Entry entry = open.get(id);
    if (entry == null) {
      return Optional.empty();
    }
    long now = clock.millis();
    if (now - entry.lastUsed >= idleMillis) {
      synchronized (this) {
        if (open.remove(id, entry)) {
          forget(entry, "idle for " + (now - entry.lastUsed) / 1000 + " s");
        }
      }
      return Optional.empty();
    }
    entry.lastUsed = now;
    return Optional.of(entry.session);
  }

  /** Ends a session; returns it, or empty when it was not open. */
  public Optional<McpSession> end(String id) {
    synchronized (this) {
      Entry entry = open.remove(id);
      if (entry == null) {
        return Optional.empty();
      }
      forget(entry, "ended by its agent");
      return Optional.of(entry.session);
    }
  }

  /** The ids of the sessions open now, as a copy. */
  java.util.Set<String> openIds() {
    return java.util.Set.copyOf(open.keySet());
  }

  /** How many sessions are open now. */
  public int size() {
    return open.size();
  }

  /** Sets the least severe log level the session's agent is sent; false when the session is not open. */
  boolean setLogLevel(String id, McpLogLevel level) {
    if (!open.containsKey(id)) {
      return false;
    }
    logLevels.put(id, level);
    return true;
  }

  /** The level the session asked for; DEBUG (everything) until it asks. */
  McpLogLevel logLevel(String id) {
    return logLevels.getOrDefault(id, McpLogLevel.DEBUG);
  }

  /**
   * Whether {@code owner} may use session {@code id}: a session belongs to the caller that opened it
   * or first named it, and to nobody else. An empty owner (an unauthenticated caller) binds nothing.
   */
  boolean usableBy(String id, String owner) {
    if (owner.isEmpty()) {
      return true;
    }
    String bound = owners.putIfAbsent(id, owner);
    return bound == null || bound.equals(owner);
  }

  /** The caller session {@code id} belongs to; empty when it was never used by an authenticated caller. */
  Optional<String> ownerOf(String id) {
    return Optional.ofNullable(owners.get(id));
  }

  public boolean wasEnded(String id) {
    return ended.contains(id);
  }
}
