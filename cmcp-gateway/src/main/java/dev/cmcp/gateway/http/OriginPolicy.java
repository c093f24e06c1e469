package dev.cmcp.gateway.http;

import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Which browser origins may call the gateway. The MCP transport rules require an Origin check:
 * without it a web page the user visits could drive a local gateway (DNS rebinding).
 */
public final class OriginPolicy {

  private static final Set<String> LOOPBACK_HOSTS = Set.of("localhost", "127.0.0.1", "[::1]", "::1");
  private final List<String> allowed;

  public OriginPolicy(List<String> allowedOrigins) {
    this.allowed = allowedOrigins.stream().map(o -> o.toLowerCase(Locale.ROOT)).toList();
  }

  /** Requests without an Origin header come from non-browser clients and are allowed. */
  public boolean admits(String origin) {
    if (origin == null) {
      return true;
    }
    String normalized = origin.toLowerCase(Locale.ROOT);
    if (allowed.contains(normalized)) {
      return true;
    }
    try {
      URI uri = new URI(normalized);
      return ("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
          && uri.getHost() != null
          && LOOPBACK_HOSTS.contains(uri.getHost());
    } catch (java.net.URISyntaxException e) {
      return false;
    }
  }
}
