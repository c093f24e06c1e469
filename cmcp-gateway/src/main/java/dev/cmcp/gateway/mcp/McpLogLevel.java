package dev.cmcp.gateway.mcp;

import java.util.Locale;
import java.util.Optional;

/** The MCP log levels (RFC 5424 severities), least severe first, as {@code logging/setLevel} and {@code notifications/message} name them. */
enum McpLogLevel {
  DEBUG, INFO, NOTICE, WARNING, ERROR, CRITICAL, ALERT, EMERGENCY;

  /** The level of this lower-case name; empty for any other text. */
  static Optional<McpLogLevel> named(String name) {
    for (McpLogLevel level : values()) {
      if (level.wireName().equals(name)) {
        return Optional.of(level);
      }
    }
    return Optional.empty();
  }

  String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Whether a message of {@code level} is sent to an agent that asked for this level or above. */
  boolean admits(McpLogLevel level) {
    return level.compareTo(this) >= 0;
  }
}
