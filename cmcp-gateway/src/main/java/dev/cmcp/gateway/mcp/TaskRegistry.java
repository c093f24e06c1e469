package dev.cmcp.gateway.mcp;

import dev.cmcp.gateway.audit.AuditLog;
import dev.cmcp.gateway.redaction.Redaction;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Predicate;

/**
 * The tasks agents created through the gateway, each recorded when its upstream answered the
 * {@code tools/call} with a task (MCP 2025-11-25 tasks, or the 2026-07-28 tasks extension): who may
 * use it (the creating MCP session, which belongs to one caller; for a stateless 2026-07-28 agent,
 * which has no session, the caller itself: {@link #modernOwner}), where it lives upstream, and the creating call's decision. Bounded: at
 * most {@link #MAX_PER_SESSION} live tasks per session, {@link #MAX_PER_PRINCIPAL} per caller,
 * {@link #MAX_TASKS} in all, each kept for
 * its ttl but never longer than {@link #MAX_TTL}. A task is found only by the session that created
 * it, under the gateway's own id, so one agent can never name another's.
 */
final class TaskRegistry {

  static final int MAX_PER_SESSION = 16;
  /** Per caller (its Cedar principal), across its sessions. */
  static final int MAX_PER_PRINCIPAL = 64;
  static final int MAX_TASKS = 1024;
  static final Duration MAX_TTL = Duration.ofHours(1);

  /**
   * One task, as recorded at creation.
   *
   * @param id the gateway's id for it, which is all the agent ever sees
   * @param agentSession the MCP session that created it, the only one that may use it
   * @param principal the creating caller's Cedar principal, for the per-caller bound
   * @param upstreamSession the upstream session it was created in, where every {@code tasks/*} of it goes
   * @param upstreamTaskId the server's id for it, never shown to the agent
   * @param tool the catalog tool called, as its decision entry names it
   * @param auditSession the session id of the creating call's audit entries
   * @param decisionAt where the creating call's decision entry is (epoch and index); empty in silent mode
   * @param requestId the creating HTTP request's id, as its audit entries carry it
   * @param redaction the creating decision's redaction, applied to the task's result and status
   * @param bundleHash the policy bundle that decided the creating call
   * @param catalogHash the catalog it was decided against
   * @param expiresAt when the gateway forgets it (the server's ttl, at most {@link #MAX_TTL})
   * @param form what the task is to its agent and to its server
   */
  record Task(
      String id, String agentSession, String principal, String server, String upstreamSession, String upstreamTaskId, String tool,
      String auditSession, Optional<AuditLog.Position> decisionAt, Optional<String> requestId, Redaction redaction,
      String bundleHash, String catalogHash, Instant createdAt, Instant expiresAt, Form form) {

    /** The ttl the agent is told: the time from creation to when the gateway forgets the task. */
    long ttlMillis() {
      return Duration.between(createdAt, expiresAt).toMillis();
    }
  }

  /** What a task is to the agent that created it, and to the server it lives on. */
  enum Form {
    /** An MCP 2025-11-25 task of an agent's session, on a server spoken to in 2025. */
    SESSION,
    /** A task of the 2026-07-28 tasks extension, on a server that speaks 2026-07-28. */
    EXTENSION,
    /**
     * A task of the extension to its 2026-07-28 agent that lives on a server spoken to in 2025 as
     * an MCP 2025-11-25 task: the gateway translates between the two forms.
     */
    TRANSLATED;

    /** Whether the agent sees the task in the extension's form. */
    boolean extension() {
      return this != SESSION;
    }
  }

  /**
   * Room for one task of a session and its caller, taken before its call is forwarded so that the
   * bounds hold even while calls are in flight. Closing gives the room back unless a task was
   * recorded in it.
   */
  final class Reservation implements AutoCloseable {
    private final String session;
    private final String principal;

    private Reservation(String session, String principal) {
      this.session = session;
      this.principal = principal;
    }

    String session() {
      return session;
    }

    @Override
    public void close() {
      synchronized (TaskRegistry.this) {
        pending.remove(this);
      }
    }
  }

  private final Clock clock;
  private final Map<String, Task> byId = new HashMap<>();
  /** The ids of tasks whose result was delivered or that were cancelled. */
  private final Set<String> finished = new HashSet<>();
  /** Rooms taken and not yet used or given back; identity, so that each is one room. */
  private final Set<Reservation> pending = Collections.newSetFromMap(new IdentityHashMap<>());

  TaskRegistry(Clock clock) {
    this.clock = clock;
  }

  /**
   * Room for one more task of {@code session}, whose caller is {@code principal}; empty when the
   * session, the caller or the gateway holds the most allowed.
   */
  synchronized Optional<Reservation> reserve(String session, String principal) {
    forgetExpired();
    if (!hasRoom(session, principal)) {
      // The caller's oldest finished task (its result delivered, or cancelled) makes room: of this
      // session when the session is what is full. Never another caller's.
      boolean sessionFull = count(task -> task.agentSession().equals(session), room -> room.session.equals(session))
          >= MAX_PER_SESSION;
      byId.values().stream()
          .filter(task -> task.principal().equals(principal) && finished.contains(task.id())
              && (!sessionFull || task.agentSession().equals(session)))
          .min(Comparator.comparing(Task::createdAt).thenComparing(Task::id)).ifPresent(this::endTask);
      if (!hasRoom(session, principal)) {
        return Optional.empty();
      }
    }
    Reservation room = new Reservation(session, principal);
    pending.add(room);
    return Optional.of(room);
  }

  private boolean hasRoom(String session, String principal) {
    return count(task -> task.agentSession().equals(session), room -> room.session.equals(session)) < MAX_PER_SESSION
        && count(task -> task.principal().equals(principal), room -> room.principal.equals(principal)) < MAX_PER_PRINCIPAL
        && byId.size() + pending.size() < MAX_TASKS;
  }

  /** The tasks and the rooms taken that match. */
  private long count(Predicate<Task> tasks, Predicate<Reservation> rooms) {
    return byId.values().stream().filter(tasks).count() + pending.stream().filter(rooms).count();
  }

  /**
   * The task's result was delivered, or it was cancelled: it is kept for its ttl, but is the first
   * to go when its caller needs room for a new one.
   */
  synchronized void finished(Task task) {
    if (task.equals(byId.get(task.id()))) {
      finished.add(task.id());
    }
  }

  /**
   * What stands for the session of a stateless 2026-07-28 agent, which has none: its caller (the
   * authenticated identity's owner and the workflow), so that a task is found only by the caller
   * that created it. Never a session id, which are hexadecimal.
   */
  static String modernOwner(String identityOwner, String workflowId) {
    return "caller:" + identityOwner + "|" + workflowId;
  }

  /** A new gateway id for a task: random, so that none can be guessed from another. */
  static String newId() {
    return "cmcp-task-" + UUID.randomUUID();
  }

  /** The moment a task created now expires, given the ttl the server gave it (null for unlimited). */
  Instant expiry(Optional<Long> serverTtlMillis) {
    Duration ttl = serverTtlMillis.filter(millis -> millis >= 0).map(Duration::ofMillis)
        .filter(asked -> asked.compareTo(MAX_TTL) < 0).orElse(MAX_TTL);
    return clock.instant().plus(ttl);
  }

  Instant now() {
    return clock.instant();
  }

  /** Records {@code task} in the room {@code reservation} held, which is then used up. */
  synchronized void record(Reservation reservation, Task task) {
    if (!pending.contains(reservation) || !reservation.session.equals(task.agentSession())
        || !reservation.principal.equals(task.principal())) {
      throw new IllegalStateException("a task is recorded in an open reservation of its own session and caller");
    }
    pending.remove(reservation);
    byId.put(task.id(), task);
  }

  /** The task {@code id} of {@code session}; empty when it is unknown, expired, or another session's. */
  synchronized Optional<Task> find(String session, String id) {
    forgetExpired();
    Task task = byId.get(id);
    return task != null && task.agentSession().equals(session) ? Optional.of(task) : Optional.empty();
  }

  /**
   * The live task a server knows as {@code upstreamTaskId} in upstream session {@code
   * upstreamSession}; empty when the gateway recorded none there (another gateway's, or forgotten).
   */
  synchronized Optional<Task> findUpstream(String server, String upstreamSession, String upstreamTaskId) {
    forgetExpired();
    return byId.values().stream().filter(task -> task.server().equals(server) && task.upstreamSession().equals(upstreamSession)
        && task.upstreamTaskId().equals(upstreamTaskId)).findFirst();
  }

  /** The live tasks of {@code session}, oldest first. */
  synchronized List<Task> of(String session) {
    forgetExpired();
    return byId.values().stream().filter(task -> task.agentSession().equals(session))
        .sorted(Comparator.comparing(Task::createdAt).thenComparing(Task::id)).toList();
  }

  /** The session ended: its tasks are forgotten (its upstream session ends with it, or is shared and not its own). */
  synchronized void endSession(String session) {
    byId.values().removeIf(task -> task.agentSession().equals(session));
    finished.retainAll(byId.keySet());
  }

  /** Forgets one task, e.g. one whose creation could not be audited. */
  synchronized void endTask(Task task) {
    if (byId.remove(task.id(), task)) {
      finished.remove(task.id());
    }
  }

  synchronized int size() {
    forgetExpired();
    return byId.size();
  }

  private void forgetExpired() {
    Instant now = clock.instant();
    if (byId.values().removeIf(task -> !task.expiresAt().isAfter(now))) {
      finished.retainAll(byId.keySet());
    }
  }
}
