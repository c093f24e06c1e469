package dev.cmcp.gateway.upstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The MCP initialization exchange, the same over every transport; and, for a Streamable HTTP
 * server that offers MCP 2026-07-28, what replaces it: {@code server/discover}, then every request
 * carrying the revision, the gateway's capabilities and identity in its {@code _meta}.
 */
final class Handshake {
  static final String PROTOCOL_VERSION = "2025-11-25";
  /** The stateless revision: no initialize, no session; each request says who asks, in {@code _meta}. */
  static final String MODERN_VERSION = "2026-07-28";

  private static final String META_PREFIX = "io.modelcontextprotocol/";
  private static final String META_VERSION = META_PREFIX + "protocolVersion";
  private static final String META_CAPABILITIES = "io.modelcontextprotocol/clientCapabilities";
  private static final String META_CLIENT = "io.modelcontextprotocol/clientInfo";

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

  /**
   * {@code params} with the 2026-07-28 envelope set in its {@code _meta}: the revision, the
   * client capabilities and the gateway's identity. The capabilities are those of the agent whose
   * 2026-07-28 request this is (its envelope, kept in {@code params} by the gateway's endpoint),
   * so that a server's capability checks answer as they would directly; for any other request,
   * none (the gateway relays a 2026 server's {@code input_required} results only to 2026 agents,
   * who answer them themselves). A copy; null params become an object with the envelope only.
   */
  static ObjectNode withEnvelope(JsonNode params) {
    ObjectNode copy = params instanceof ObjectNode object ? object.deepCopy() : JsonNodeFactory.instance.objectNode();
    ObjectNode meta = copy.get("_meta") instanceof ObjectNode existing ? existing : copy.putObject("_meta");
    JsonNode agents = agentCapabilities(params).orElse(null);
    meta.put(META_VERSION, MODERN_VERSION);
    meta.set(META_CAPABILITIES, agents != null ? agents.deepCopy() : JsonNodeFactory.instance.objectNode());
    meta.putObject(META_CLIENT).put("name", "cmcp-gateway")
        .put("version", Objects.requireNonNullElse(Handshake.class.getPackage().getImplementationVersion(), "dev"));
    return copy;
  }

  /**
   * The client capabilities of the agent, when {@code params} are those of a 2026-07-28 agent's
   * request (its {@code _meta} names that revision); empty for any other request. Such a request
   * is sent to a server that offers 2026-07-28 in that revision, whatever else the server speaks.
   */
  static Optional<ObjectNode> agentCapabilities(JsonNode params) {
    JsonNode meta = params == null ? null : params.get("_meta");
    if (meta == null || !MODERN_VERSION.equals(meta.path(META_VERSION).asText())) {
      return Optional.empty();
    }
    return Optional.of(meta.get(META_CAPABILITIES) instanceof ObjectNode declared ? declared : JsonNodeFactory.instance.objectNode());
  }

  /** Params holding only a 2026-07-28 agent's envelope: the revision and its client capabilities (a copy). */
  static ObjectNode agentEnvelope(ObjectNode capabilities) {
    ObjectNode params = JsonNodeFactory.instance.objectNode();
    params.putObject("_meta").put(META_VERSION, MODERN_VERSION).set(META_CAPABILITIES, capabilities.deepCopy());
    return params;
  }

  /**
   * {@code params} without the members of the 2026-07-28 envelope, for a request sent in a 2025
   * session, where {@code io.modelcontextprotocol/} names in {@code _meta} mean nothing the
   * gateway vouches for. {@code params} itself when it carries none.
   */
  static JsonNode withoutEnvelope(JsonNode params) {
    if (params == null || !(params.get("_meta") instanceof ObjectNode meta)
        || meta.propertyStream().noneMatch(member -> member.getKey().startsWith(META_PREFIX))) {
      return params;
    }
    ObjectNode copy = params.deepCopy();
    ObjectNode copiedMeta = (ObjectNode) copy.get("_meta");
    for (Iterator<String> names = copiedMeta.fieldNames(); names.hasNext(); ) {
      if (names.next().startsWith(META_PREFIX)) {
        names.remove();
      }
    }
    if (copiedMeta.isEmpty()) {
      copy.remove("_meta");
    }
    return copy;
  }

  /** Whether a {@code server/discover} answer offers 2026-07-28. */
  static boolean offersModern(ObjectNode response) {
    JsonNode versions = response.path("result").path("supportedVersions");
    return versions.isArray() && versions.valueStream().anyMatch(version -> MODERN_VERSION.equals(version.asText()));
  }

  /**
   * A 2026-07-28 answer as the rest of the gateway reads a 2025 one: a complete result loses its
   * {@code resultType} (the gateway adds it back for 2026 agents, and 2025 agents have no such
   * member). Any other result type ({@code input_required}) is left as it came.
   */
  static ObjectNode asLegacy(ObjectNode response) {
    if (response.get("result") instanceof ObjectNode result && "complete".equals(result.path("resultType").asText())) {
      result.remove("resultType");
    }
    return response;
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
