package dev.cmcp.gateway.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Iterator;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The rules of MCP 2026-07-28 that differ from the session-based revisions, for the endpoint:
 * headers that mirror the body, the version and capabilities in each request's {@code _meta},
 * the methods the revision keeps, and the members every result carries.
 */
final class Modern {

  static final String META_PREFIX = "io.modelcontextprotocol/";
  static final String PROTOCOL_VERSION = META_PREFIX + "protocolVersion";
  static final String CLIENT_CAPABILITIES = META_PREFIX + "clientCapabilities";
  static final String LOG_LEVEL = META_PREFIX + "logLevel";
  /** The id of the {@code subscriptions/listen} request a message on its stream belongs to. */
  static final String SUBSCRIPTION_ID = META_PREFIX + "subscriptionId";
  static final String SERVER_INFO = META_PREFIX + "serverInfo";
  /** {@code HeaderMismatchError}: a mirrored header is missing, malformed or disagrees with the body. */
  static final int HEADER_MISMATCH = -32020;
  /**
   * {@code MissingRequiredClientCapabilityError}: serving the request needs a capability the
   * client did not declare in its {@code _meta}; over HTTP always with status 400.
   */
  static final int MISSING_CLIENT_CAPABILITY = -32021;
  /** The 2025 revisions' code for a resource the server does not have; 2026-07-28 uses -32602. */
  private static final int RESOURCE_NOT_FOUND_2025 = -32002;

  /** The methods of the revision the gateway serves; anything else is answered 404, -32601. */
  static final Set<String> METHODS = Set.of("server/discover", "subscriptions/listen", "tools/list", "tools/call", "resources/list",
      "resources/templates/list", "resources/read", "prompts/list", "prompts/get", "completion/complete", "tasks/get",
      "tasks/update", "tasks/cancel");
  /** The tasks extension (SEP-2663), declared in {@code capabilities.extensions} by server and client. */
  static final String TASKS_EXTENSION = META_PREFIX + "tasks";
  /** The extension's methods, whose {@code Mcp-Name} header mirrors {@code params.taskId}. */
  static final Set<String> TASK_METHODS = Set.of("tasks/get", "tasks/update", "tasks/cancel");
  /** The methods whose {@code Mcp-Name} header mirrors {@code params.name} or {@code params.uri}. */
  private static final Set<String> NAMED = Set.of("tools/call", "resources/read", "prompts/get");
  /** Results that are {@code CacheableResult}s and so carry {@code ttlMs} and {@code cacheScope}. */
  private static final Set<String> CACHEABLE =
      Set.of("tools/list", "prompts/list", "resources/list", "resources/read", "resources/templates/list", "server/discover");
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private Modern() {}

  /**
   * What is wrong with the mirrored headers of a request or notification, empty when nothing is.
   * Checked on every request that carries them, whatever its revision: policy judges the body,
   * so a header that an intermediary may have routed on must say the same. Under 2026-07-28 they
   * are required, and the body's {@code _meta} version must be the header's.
   */
  static Optional<String> headerProblem(McpHttpRequest request, String method, ObjectNode params) {
    boolean modern = ProtocolVersions.MODERN.equals(request.protocolVersion().orElse(null));
    Optional<String> mcpMethod = request.mirrored().method();
    if (mcpMethod.isPresent() && !mcpMethod.get().equals(method)) {
      return Optional.of("Mcp-Method header '" + abbreviate(mcpMethod.get()) + "' does not match the body's method '" + method + "'");
    }
    if (mcpMethod.isEmpty() && modern) {
      return Optional.of("the Mcp-Method header is required");
    }
    if (NAMED.contains(method) || TASK_METHODS.contains(method)) {
      JsonNode bodyValue = params.get(method.equals("resources/read") ? "uri" : TASK_METHODS.contains(method) ? "taskId" : "name");
      String body = bodyValue != null && bodyValue.isTextual() ? bodyValue.asText() : null;
      Optional<String> header = request.mirrored().name();
      if (header.isPresent()) {
        Optional<String> decoded = decode(header.get());
        if (decoded.isEmpty()) {
          return Optional.of("the Mcp-Name header's =?base64?...?= value is not Base64 of UTF-8 text");
        }
        if (!decoded.get().equals(body)) {
          return Optional.of("Mcp-Name header value '" + abbreviate(decoded.get()) + "' does not match the body's value '"
              + abbreviate(String.valueOf(body)) + "'");
        }
      } else if (modern) {
        return Optional.of("the Mcp-Name header is required for " + method);
      }
    }
    if (modern) {
      // A missing version is a malformed request (missingMeta), not a mismatch.
      JsonNode version = params.path("_meta").get(PROTOCOL_VERSION);
      if (version != null && !(version.isTextual() && version.asText().equals(ProtocolVersions.MODERN))) {
        return Optional.of("_meta." + PROTOCOL_VERSION + " must be the MCP-Protocol-Version header's "
            + ProtocolVersions.MODERN);
      }
    }
    return Optional.empty();
  }

  /**
   * What a 2026-07-28 request lacks of the {@code _meta} members the revision requires of every
   * request (the protocol version and the client's capabilities), empty when nothing. Such a
   * request is malformed: the revision answers it with -32602 and HTTP 400.
   */
  static Optional<String> missingMeta(ObjectNode params) {
    if (!(params.get("_meta") instanceof ObjectNode meta)) {
      return Optional.of("a " + ProtocolVersions.MODERN + " request needs _meta with " + PROTOCOL_VERSION + " and "
          + CLIENT_CAPABILITIES);
    }
    if (!meta.has(PROTOCOL_VERSION)) {
      return Optional.of("_meta needs " + PROTOCOL_VERSION);
    }
    if (!(meta.get(CLIENT_CAPABILITIES) instanceof ObjectNode)) {
      return Optional.of("_meta needs " + CLIENT_CAPABILITIES + ", an object");
    }
    return Optional.empty();
  }

  /** A header value in the transport's Base64 sentinel form, decoded; a plain value as it is. */
  static Optional<String> decode(String value) {
    if (!(value.startsWith("=?base64?") && value.endsWith("?=") && value.length() >= "=?base64??=".length())) {
      return Optional.of(value);
    }
    try {
      byte[] bytes = Base64.getDecoder().decode(value.substring("=?base64?".length(), value.length() - 2));
      return Optional.of(StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes)).toString());
    } catch (IllegalArgumentException | CharacterCodingException e) {
      return Optional.empty();
    }
  }

  /**
   * Removes the revision's own {@code _meta} members before the request goes on: they describe
   * the agent's exchange with the gateway, not the gateway's with the upstream, which has its own.
   * All but the revision and the client capabilities: with them the upstream connection sends the
   * request in 2026-07-28, declaring the agent's capabilities, to a server that offers that
   * revision, and strips them for any other server (dev.cmcp.gateway.upstream.Handshake).
   */
  static void stripMeta(ObjectNode params) {
    if (!(params.get("_meta") instanceof ObjectNode meta)) {
      return;
    }
    for (Iterator<String> names = meta.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (name.startsWith(META_PREFIX) && !name.equals(PROTOCOL_VERSION) && !name.equals(CLIENT_CAPABILITIES)) {
        names.remove();
      }
    }
    if (meta.isEmpty()) {
      params.remove("_meta");
    }
  }

  /**
   * What of the upstream's messages during a call reaches a 2026-07-28 agent: never a request
   * (server requests are made with input_required results there: {@link RoundTrip}), and log
   * messages only when the request asked for them with a level, at or above it.
   */
  static Consumer<ObjectNode> filtered(Consumer<ObjectNode> toAgent, Optional<McpLogLevel> level) {
    return message -> {
      if (message.has("id")) {
        return;
      }
      if ("notifications/message".equals(message.path("method").asText())) {
        Optional<McpLogLevel> sent = McpLogLevel.named(message.path("params").path("level").asText(""));
        if (level.isEmpty() || sent.isEmpty() || !level.get().admits(sent.get())) {
          return;
        }
      }
      toAgent.accept(message);
    };
  }

  /**
   * The members a 2026-07-28 result carries that older upstreams' results lack; and an unknown
   * resource's error in the revision's form (SEP-2164): -32602 (2025 upstreams may say -32002,
   * "resource not found") with the requested {@code uri} in {@code data} unless it names one.
   */
  static McpHttpResponse decorated(String method, ObjectNode params, McpHttpResponse response, String gatewayVersion) {
    if (response.status() == 200 && response.body().isPresent()
        && response.body().get().path("error").path("code").asInt() == MISSING_CLIENT_CAPABILITY) {
      // The revision's MissingRequiredClientCapabilityError is answered 400 over HTTP, as the server's own was.
      return new McpHttpResponse(400, response.body(), response.headers());
    }
    if (method.equals("resources/read") && response.body().isPresent()
        && response.body().get().get("error") instanceof ObjectNode error && params.hasNonNull("uri")) {
      JsonNode uri = params.get("uri");
      int code = error.path("code").asInt();
      if (code == RESOURCE_NOT_FOUND_2025) {
        error.put("code", JsonRpcError.INVALID_PARAMS);
      }
      if (code == RESOURCE_NOT_FOUND_2025 || code == JsonRpcError.INVALID_PARAMS) {
        if (!error.has("data")) {
          error.putObject("data");
        }
        // The gateway's own refusals carry data (cause, reason); an upstream's data is left as it is.
        if (error.get("data") instanceof ObjectNode data && !data.has("uri")) {
          data.set("uri", uri);
        }
      }
      return response;
    }
    if (response.body().isEmpty() || !(response.body().get().get("result") instanceof ObjectNode result)) {
      return response;
    }
    if (!result.has("resultType")) {
      result.put("resultType", "complete");
    }
    ObjectNode meta = result.get("_meta") instanceof ObjectNode existing ? existing : result.putObject("_meta");
    meta.set(SERVER_INFO, serverInfo(gatewayVersion));
    if (CACHEABLE.contains(method)) {
      // Lists and reads are filtered per caller by the policy, which a reload may change at any
      // time: no cache may keep them, nor share them between callers.
      if (!result.has("ttlMs")) {
        result.put("ttlMs", 0);
      }
      if (!result.has("cacheScope")) {
        result.put("cacheScope", "private");
      }
    }
    return response;
  }

  /** The {@code server/discover} result. */
  static ObjectNode discover(String gatewayVersion) {
    ObjectNode result = NODES.objectNode().put("resultType", "complete");
    ProtocolVersions.all().forEach(result.putArray("supportedVersions")::add);
    ObjectNode capabilities = result.putObject("capabilities");
    // Servers' list changes and policy reloads reach the subscriptions/listen streams that ask for them.
    capabilities.putObject("tools").put("listChanged", true);
    capabilities.putObject("resources").put("subscribe", true).put("listChanged", true);
    capabilities.putObject("prompts").put("listChanged", true);
    capabilities.putObject("completions");
    // Tasks of tools/call, each governed as the call that created it (TaskMethods).
    capabilities.putObject("extensions").putObject(TASKS_EXTENSION);
    result.putObject("_meta").set(SERVER_INFO, serverInfo(gatewayVersion));
    result.put("instructions",
        "Tool calls, resource reads and prompts through this gateway are checked against a Cedar policy bundle and audited.");
    result.put("ttlMs", 0);
    result.put("cacheScope", "public");
    return result;
  }

  /** Whether a request's client capabilities declare the tasks extension. */
  static boolean declaresTasks(JsonNode clientCapabilities) {
    return clientCapabilities != null && clientCapabilities.path("extensions").get(TASKS_EXTENSION) instanceof ObjectNode;
  }

  /**
   * {@code MissingRequiredClientCapabilityError} for a request that needs the tasks extension,
   * naming it in {@code data.requiredCapabilities} as SEP-2663 asks.
   */
  static JsonRpcError missingTasksExtension(String method) {
    ObjectNode data = NODES.objectNode();
    data.putObject("requiredCapabilities").putObject("extensions").putObject(TASKS_EXTENSION);
    data.put("error", "missing_client_capability");
    return new JsonRpcError(MISSING_CLIENT_CAPABILITY, "Missing required client capability: " + method + " needs the "
        + TASKS_EXTENSION + " extension in _meta." + CLIENT_CAPABILITIES + ".extensions", data);
  }

  private static ObjectNode serverInfo(String gatewayVersion) {
    return NODES.objectNode().put("name", "cmcp-gateway").put("title", "cMCP gateway").put("version", gatewayVersion);
  }

  private static String abbreviate(String text) {
    return text.length() <= 200 ? text : text.substring(0, 200) + "...";
  }
}
