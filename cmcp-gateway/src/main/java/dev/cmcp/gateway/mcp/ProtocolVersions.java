package dev.cmcp.gateway.mcp;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/** The MCP revisions the gateway speaks to agents. */
public final class ProtocolVersions {

  /**
   * Newest first: the first is offered when an agent asks for one we do not speak. 2024-11-05 and
   * 2025-03-26 are spoken over Streamable HTTP only (the 2024-11-05 HTTP+SSE transport, with its
   * GET /sse endpoint, is not served).
   */
  public static final List<String> SUPPORTED = List.of("2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05");

  /**
   * The stateless revision: no {@code initialize}, each request carries its version and
   * capabilities in {@code _meta} and its method and name in headers ({@link Modern}).
   */
  public static final String MODERN = "2026-07-28";

  /** Assumed for a request without the header, as the 2025-06-18 transport rules say. */
  public static final String DEFAULT_WITHOUT_HEADER = "2025-03-26";

  /** MCP's {@code UnsupportedProtocolVersionError} code (2026-07-28 schema). */
  public static final int UNSUPPORTED_PROTOCOL_VERSION = -32022;

  private ProtocolVersions() {}

  /**
   * The version to answer an {@code initialize} that asked for {@code requested}: the client's own
   * when the gateway speaks it, as the lifecycle rules say, else the newest.
   */
  public static String negotiate(String requested) {
    return SUPPORTED.contains(requested) ? requested : SUPPORTED.get(0);
  }

  /** Whether a {@code MCP-Protocol-Version} header value is acceptable on a request. */
  public static boolean acceptsHeader(String headerValue) {
    return SUPPORTED.contains(headerValue) || MODERN.equals(headerValue);
  }

  /** Every version the gateway speaks, newest first, as {@code server/discover} lists them. */
  public static List<String> all() {
    List<String> all = new java.util.ArrayList<>();
    all.add(MODERN);
    all.addAll(SUPPORTED);
    return List.copyOf(all);
  }

  /** Whether {@code version} is older than {@code than}; both are dates, so they compare as text. */
  public static boolean isBefore(String version, String than) {
    return version.compareTo(than) < 0;
  }

  /** The error for a version not spoken, with the versions that are, as MCP defines it. */
  static JsonRpcError unsupported(String requested) {
    ObjectNode data = JsonNodeFactory.instance.objectNode();
    all().forEach(data.putArray("supported")::add);
    data.put("requested", requested.length() <= 64 ? requested : requested.substring(0, 64) + "...");
    return new JsonRpcError(UNSUPPORTED_PROTOCOL_VERSION,
        "Unsupported protocol version " + data.path("requested").asText() + "; supported: " + all(), data);
  }
}
