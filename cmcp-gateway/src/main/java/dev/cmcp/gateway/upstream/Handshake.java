package dev.cmcp.gateway.upstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Objects;
import java.util.Set;

/** The MCP initialization exchange, the same over every transport. */
final class Handshake {
  static final String PROTOCOL_VERSION = "2025-06-18";

  /** Versions whose tools, resources and prompts messages the gateway forwards unchanged. */
  private static final Set<String> ACCEPTED_VERSIONS = Set.of("2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25");

  private Handshake() {}

  /**
   * The gateway offers the upstream sampling and elicitation: it relays them to the agent whose
   * call is in flight, if that agent declared them ({@link AgentRelays}), and refuses them
   * otherwise. Many servers offer the tools that ask only to clients that declare these.
   */
  static ObjectNode initializeParams() {
    ObjectNode params = JsonNodeFactory.instance.objectNode().put("protocolVersion", PROTOCOL_VERSION);
    ObjectNode capabilities = params.putObject("capabilities");
    capabilities.putObject("sampling");
    capabilities.putObject("elicitation");
    params
        .putObject("clientInfo")
        .put("name", "cmcp-gateway")
        .put(
            "version",
            Objects.requireNonNullElse(Handshake.class.getPackage().getImplementationVersion(), "dev"));
    return params;
  }

  /** The protocol version the server chose, after checking that the gateway speaks it. */
  static String negotiatedVersion(String server, ObjectNode response) throws UpstreamException {
    JsonNode error = response.get("error");
    if (error != null) {
      throw new UpstreamException(
          UpstreamException.Kind.PROTOCOL_ERROR,
          "upstream " + server + " refused initialize with error " + error.path("code").asText("?"));
    }
    String version = response.path("result").path("protocolVersion").asText("");
    if (!ACCEPTED_VERSIONS.contains(version)) {
      throw new UpstreamException(
          UpstreamException.Kind.PROTOCOL_ERROR,
          "upstream "
              + server
              + " answered initialize with protocol version '"
              + abbreviate(version)
              + "'; the gateway speaks "
              + ACCEPTED_VERSIONS.stream().sorted().toList());
    }
    return version;
  }

  private static String abbreviate(String text) {
    return text.length() <= 40 ? text : text.substring(0, 40) + "...";
  }
}
