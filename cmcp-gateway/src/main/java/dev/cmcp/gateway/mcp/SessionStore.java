package dev.cmcp.gateway.mcp;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Open MCP sessions. Ids are 128 random bits, so one agent cannot guess another's session;
 * ended ids are remembered so that a reused id is refused rather than silently reopened.
 */
public final class SessionStore {

  private final Map<String, McpSession> open = new ConcurrentHashMap<>();
  private final Set<String> ended = ConcurrentHashMap.newKeySet();
  /** The level each session asked for with {@code logging/setLevel}; a session absent here hears every level. */
  private final Map<String, McpLogLevel> logLevels = new ConcurrentHashMap<>();
  private final SecureRandom random = new SecureRandom();
  private final Clock clock;
  private final int maxOpen;

  public SessionStore(Clock clock, int maxOpen) {
    this.clock = clock;
    this.maxOpen = maxOpen;
  }

  /** Opens a session, or returns empty when too many are open. */
  public Optional<McpSession> open(String protocolVersion, String clientName) {
    return open(protocolVersion, clientName, AgentCapabilities.NONE);
  }

  /** Opens a session for an agent that declared {@code capabilities}, or returns empty when too many are open. */
  Optional<McpSession> open(String protocolVersion, String clientName, AgentCapabilities capabilities) {
    if (open.size() >= maxOpen) {
      return Optional.empty();
    }
    byte[] bytes = new byte[16];
    random.nextBytes(bytes);
    McpSession session = new McpSession(HexFormat.of().formatHex(bytes), protocolVersion, clientName, clock.instant(), capabilities);
    open.put(session.id(), session);
    return Optional.of(session);
  }

  /** How many MCP sessions are open now. */
  public int openCount() {
    return open.size();
  }

  public Optional<McpSession> find(String id) {
    return Optional.ofNullable(open.get(id));
  }

  /** Ends a session; returns it, or empty when it was not open. */
  public Optional<McpSession> end(String id) {
    McpSession session = open.remove(id);
    logLevels.remove(id);
    if (session != null) {
      ended.add(id);
    }
    return Optional.ofNullable(session);
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

  public boolean wasEnded(String id) {
    return ended.contains(id);
  }
}
