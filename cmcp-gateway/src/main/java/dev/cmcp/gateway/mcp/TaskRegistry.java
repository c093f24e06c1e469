package dev.cmcp.gateway.mcp;

import dev.cmcp.gateway.audit.AuditLog;
import dev.cmcp.gateway.redaction.Redaction;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The MCP 2025-11-25 tasks agents created through the gateway, each recorded when its upstream
 * accepted the task-augmented {@code tools/call}: who may use it (the creating MCP session, which
 * belongs to one caller), where it lives upstream, and the creating call's decision. Bounded: at
 * most {@link #MAX_PER_SESSION} live tasks per session, {@link #MAX_TASKS} in all, each kept for
 * its ttl but never longer than {@link #MAX_TTL}. A task is found only by the session that created
 * it, under the gateway's own id, so one agent can never name another's.
 */
final class TaskRegistry {

  static final int MAX_PER_SESSION = 16;
  static final int MAX_TASKS = 1024;
  static final Duration MAX_TTL = Duration.ofHours(1);

  /**
   * One task, as recorded at creation.
   *
   * @param id the gateway's id for it, which is all the agent ever sees
   * @param agentSession the MCP session that created it, the only one that may use it
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
   */
  record Task(
      String id, String agentSession, String server, String upstreamSession, String upstreamTaskId, String tool,
      String auditSession, Optional<AuditLog.Position> decisionAt, Optional<String> requestId, Redaction redaction,
      String bundleHash, String catalogHash, Instant createdAt, Instant expiresAt) {

    /** The ttl the agent is told: the time from creation to when the gateway forgets the task. */
    long ttlMillis() {
      return Duration.between(createdAt, expiresAt).toMillis();
    }
  }

  /**
   * Room for one task of a session, taken before its call is forwarded so that the bounds hold
   * even while calls are in flight. Closing gives the room back unless a task was recorded in it.
   */
  final class Reservation implements AutoCloseable {
    private final String session;
    private boolean open = true;

    private Reservation(String session) {
      this.session = session;
    }

    String session() {
      return session;
    }

    @Override
    public void close() {
      synchronized (TaskRegistry.this) {
        if (open) {
          open = false;
          unreserve(session);
        }
      }
    }
  }

  private final Clock clock;
  private final Map<String, Task> byId = new HashMap<>();
  private final Map<String, Integer> reservedBySession = new HashMap<>();
  private int reserved;

  TaskRegistry(Clock clock) {
    this.clock = clock;
  }

  /** Room for one more task of {@code session}; empty when it or the gateway holds the most allowed. */
  synchronized Optional<Reservation> reserve(String session) {
    forgetExpired();
    long mine = byId.values().stream().filter(task -> task.agentSession().equals(session)).count()
        + reservedBySession.getOrDefault(session, 0);
    if (mine >= MAX_PER_SESSION || byId.size() + reserved >= MAX_TASKS) {
      return Optional.empty();
    }
    reservedBySession.merge(session, 1, Integer::sum);
    reserved++;
    return Optional.of(new Reservation(session));
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
    if (!reservation.open || !reservation.session.equals(task.agentSession())) {
      throw new IllegalStateException("a task is recorded in an open reservation of its own session");
    }
    reservation.open = false;
    unreserve(reservation.session);
    byId.put(task.id(), task);
  }

  /** The task {@code id} of {@code session}; empty when it is unknown, expired, or another session's. */
  synchronized Optional<Task> find(String session, String id) {
    forgetExpired();
    Task task = byId.get(id);
    return task != null && task.agentSession().equals(session) ? Optional.of(task) : Optional.empty();
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
  }

  /** Forgets one task, e.g. one whose creation could not be audited. */
  synchronized void endTask(Task task) {
    byId.remove(task.id(), task);
  }

  synchronized int size() {
    forgetExpired();
    return byId.size();
  }

  private void unreserve(String session) {
    reservedBySession.computeIfPresent(session, (key, count) -> count > 1 ? count - 1 : null);
    reserved--;
  }

  private void forgetExpired() {
    Instant now = clock.instant();
    byId.values().removeIf(task -> !task.expiresAt().isAfter(now));
  }
}
