package dev.cmcp.gateway.mcp;

import java.util.List;

/** The MCP revisions the gateway speaks to agents. */
public final class ProtocolVersions {

  /** Newest first: the first is offered when an agent asks for one we do not speak. */
  public static final List<String> SUPPORTED = List.of("2025-11-25", "2025-06-18");

  /** Assumed for a request without the header, as the 2025-06-18 transport rules say. */
  public static final String DEFAULT_WITHOUT_HEADER = "2025-03-26";

  private ProtocolVersions() {}

  /** The version to answer an {@code initialize} that asked for {@code requested}. */
  public static String negotiate(String requested) {
    return SUPPORTED.contains(requested) ? requested : SUPPORTED.get(0);
  }

  /** Whether a {@code MCP-Protocol-Version} header value is acceptable on a request. */
  public static boolean acceptsHeader(String headerValue) {
    return SUPPORTED.contains(headerValue) || DEFAULT_WITHOUT_HEADER.equals(headerValue);
  }
}
