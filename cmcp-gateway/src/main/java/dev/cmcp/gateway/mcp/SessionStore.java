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
  private final SecureRandom random = new SecureRandom();
  private final Clock clock;
  private final int maxOpen;

  public SessionStore(Clock clock, int maxOpen) {
    this.clock = clock;
    this.maxOpen = maxOpen;
  }

  /** Opens a session, or returns empty when too many are open. */
  public Optional<McpSession> open(String protocolVersion, String clientName) {
    if (open.size() >= maxOpen) {
      return Optional.empty();
    }
    byte[] bytes = new byte[16];
    random.nextBytes(bytes);
    McpSession session = new McpSession(HexFormat.of().formatHex(bytes), protocolVersion, clientName, clock.instant());
    open.put(session.id(), session);
    return Optional.of(session);
  }

  public Optional<McpSession> find(String id) {
    return Optional.ofNullable(open.get(id));
  }

  /** Ends a session; returns it, or empty when it was not open. */
  public Optional<McpSession> end(String id) {
    McpSession session = open.remove(id);
    if (session != null) {
      ended.add(id);
    }
    return Optional.ofNullable(session);
  }

  public boolean wasEnded(String id) {
    return ended.contains(id);
  }
}
