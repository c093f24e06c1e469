package dev.cmcp.gateway.catalog;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cmcp.verify.base.Digests;
import dev.cmcp.verify.base.StrictJson;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.text.Normalizer;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads catalog.json: the servers the gateway may reach and the tools it exposes. The format is
 * described in docs/configuration.md. Anything not understood is refused, since a catalog entry is
 * an approval.
 */
public final class CatalogLoader {

  private static final Pattern SERVER_NAME = Pattern.compile("[a-z0-9][a-z0-9_-]*");
  private static final Pattern TOOL_NAME = Pattern.compile("[A-Za-z0-9_.-]{1,128}");
  private static final Pattern VARIABLE_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
  private static final Pattern REFERENCE = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)}");
  /** An HTTP field name (RFC 9110 token). */
  private static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");

  private static final Set<String> TOP_LEVEL_KEYS = Set.of("servers", "tools", "prompts", "resource_owners");
  private static final Set<String> PROMPT_KEYS = Set.of("prompt_name", "server", "upstream_name");
  private static final Set<String> OWNER_KEYS = Set.of("uri_prefix", "server");
  private static final Set<String> STDIO_KEYS = Set.of("display_name", "transport", "command", "args", "env", "cwd", "session_mode");
  private static final Set<String> HTTP_KEYS = Set.of("display_name", "transport", "url", "headers", "session_mode");
  private static final Set<String> TOOL_KEYS = Set.of("tool_name", "server", "upstream_name");
  private static final Set<String> ATTRIBUTE_KEYS =
      Set.of(
          "sensitivity_level", "compliance_domain", "tags", "requires_baa", "approved_by", "added_at",
          "description", "definition_hash", "approved_definition");
  /** Headers the upstream client sets itself; a catalog value would corrupt the exchange. */
  private static final Set<String> RESERVED_HEADERS =
      Set.of("host", "content-length", "transfer-encoding", "connection", "content-type", "accept",
          "mcp-session-id", "mcp-protocol-version");

  private final String fileName;
  private final Path folder;
  private final Map<String, String> environment;

  private CatalogLoader(String fileName, Path folder, Map<String, String> environment) {
    this.fileName = fileName;
    this.folder = folder;
    this.environment = environment;
  }

  /**
   * Reads and checks {@code catalogFile}.
   *
   * @param environment the gateway's environment variables, for {@code ${NAME}} in env and header values
   * @throws CatalogException naming the file and JSON path of the first problem
   */
  public static Catalog load(Path catalogFile, Map<String, String> environment) throws CatalogException {
    String fileName = catalogFile.toString();
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(catalogFile);
    } catch (NoSuchFileException e) {
      throw new CatalogException(fileName + ": file not found; check catalog_path in the gateway config");
    } catch (IOException e) {
      throw new CatalogException(fileName + ": cannot read the file (" + e.getMessage() + ")");
    }
    JsonNode root;
    try {
      root = new StrictJson().parse(bytes);
    } catch (StrictJson.MalformedJsonException e) {
      throw new CatalogException(fileName + ": not valid JSON: " + e.getMessage());
    }
    Path folder = catalogFile.toAbsolutePath().normalize().getParent();
    return new CatalogLoader(fileName, folder, environment).read(root);
  }

  private Catalog read(JsonNode root) throws CatalogException {
    if (!root.isObject()) {
      throw new CatalogException(fileName + ": the catalog must be a JSON object with \"servers\" and \"tools\"");
    }
    rejectUnknownKeys(root, "", TOP_LEVEL_KEYS);
    JsonNode serversNode = required(root, "", "servers");
    JsonNode toolsNode = required(root, "", "tools");
    if (!serversNode.isObject()) {
      throw error("servers", "expected an object of servers by name, got " + describe(serversNode));
    }
    if (!toolsNode.isArray()) {
      throw error("tools", "expected a list of tools, got " + describe(toolsNode));
    }

    Map<String, UpstreamServer> servers = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> entry : serversNode.properties()) {
      servers.put(entry.getKey(), server(entry.getKey(), entry.getValue()));
    }
    Map<String, CatalogTool> tools = new LinkedHashMap<>();
    Map<String, String> pathByFoldedName = new HashMap<>();
    for (int i = 0; i < toolsNode.size(); i++) {
      String path = "tools[" + i + "]";
      CatalogTool tool = tool(path, toolsNode.get(i), servers);
      String folded = fold(tool.toolName());
      String earlier = pathByFoldedName.putIfAbsent(folded, path);
      if (tools.containsKey(tool.toolName())) {
        throw error(path + ".tool_name", "\"" + tool.toolName() + "\" is already the name of " + earlier + "; exposed names must be unique");
      }
      if (earlier != null) {
        throw error(path + ".tool_name", "\"" + tool.toolName() + "\" differs from " + earlier
            + " only by letter case or Unicode form, so agents and policies could confuse them; rename one");
      }
      tools.put(tool.toolName(), tool);
    }
    Map<String, CatalogPrompt> prompts = prompts(root.get("prompts"), servers);
    List<ResourceOwner> owners = resourceOwners(root.get("resource_owners"), servers);
    // The hash covers the file as written: ${NAME} references, not the secrets they expand to.
    return new Catalog(servers, tools, Digests.canonicalSha256(root), prompts, owners);
  }

  /** {@code prompts}: optional aliases, each naming one server's prompt; names unique, also up to case. */
  private Map<String, CatalogPrompt> prompts(JsonNode node, Map<String, UpstreamServer> servers) throws CatalogException {
    Map<String, CatalogPrompt> prompts = new LinkedHashMap<>();
    if (node == null) {
      return prompts;
    }
    if (!node.isArray()) {
      throw error("prompts", "expected a list of prompt aliases, got " + describe(node));
    }
    Map<String, String> pathByFoldedName = new HashMap<>();
    for (int i = 0; i < node.size(); i++) {
      String path = "prompts[" + i + "]";
      JsonNode entry = node.get(i);
      if (!entry.isObject()) {
        throw error(path, "expected an object with prompt_name, server and upstream_name, got " + describe(entry));
      }
      rejectUnknownKeys(entry, path, PROMPT_KEYS);
      String name = string(entry, path, "prompt_name", true);
      if (!TOOL_NAME.matcher(name).matches()) {
        throw error(path + ".prompt_name", "\"" + name + "\" is not a prompt name; use 1 to 128 of A-Z a-z 0-9 _ . -");
      }
      String server = string(entry, path, "server", true);
      if (!servers.containsKey(server)) {
        throw error(path + ".server", "\"" + server + "\" is not a server of this catalog; add it under servers or fix the name");
      }
      String upstreamName = string(entry, path, "upstream_name", true);
      String earlier = pathByFoldedName.putIfAbsent(fold(name), path);
      if (earlier != null) {
        throw error(path + ".prompt_name", "\"" + name + "\" is already (up to letter case or Unicode form) the name of "
            + earlier + "; prompt names must be unique");
      }
      prompts.put(name, new CatalogPrompt(name, server, upstreamName));
    }
    return prompts;
  }

  /** {@code resource_owners}: optional, each a URI prefix and the server that serves URIs starting with it. */
  private List<ResourceOwner> resourceOwners(JsonNode node, Map<String, UpstreamServer> servers) throws CatalogException {
    List<ResourceOwner> owners = new ArrayList<>();
    if (node == null) {
      return owners;
    }
    if (!node.isArray()) {
      throw error("resource_owners", "expected a list of {uri_prefix, server}, got " + describe(node));
    }
    Set<String> prefixes = new HashSet<>();
    for (int i = 0; i < node.size(); i++) {
      String path = "resource_owners[" + i + "]";
      JsonNode entry = node.get(i);
      if (!entry.isObject()) {
        throw error(path, "expected an object with uri_prefix and server, got " + describe(entry));
      }
      rejectUnknownKeys(entry, path, OWNER_KEYS);
      String prefix = string(entry, path, "uri_prefix", true);
      String server = string(entry, path, "server", true);
      if (!servers.containsKey(server)) {
        throw error(path + ".server", "\"" + server + "\" is not a server of this catalog; add it under servers or fix the name");
      }
      if (!prefixes.add(prefix)) {
        throw error(path + ".uri_prefix", "\"" + prefix + "\" is given twice; one prefix has one owner");
      }
      owners.add(new ResourceOwner(prefix, server));
    }
    return owners;
  }

  private UpstreamServer server(String name, JsonNode node) throws CatalogException {
    String path = "servers." + name;
    if (!SERVER_NAME.matcher(name).matches()) {
      throw error("servers[\"" + name + "\"]", "server names use lower-case letters, digits, _ and -, and start with a letter or digit");
    }
    if (!node.isObject()) {
      throw error(path, "expected an object describing the server, got " + describe(node));
    }
    String transport = string(node, path, "transport", true);
    if (node.has("display_name")) {
      // The display name is for people reading the catalog; it is checked but the gateway does not use it.
      string(node, path, "display_name", false);
    }
    switch (transport) {
      case "stdio" -> {
        rejectUnknownKeys(node, path, STDIO_KEYS);
        String command = string(node, path, "command", true);
        List<String> args = node.has("args") ? strings(node.get("args"), path + ".args") : List.of();
        Map<String, String> env = node.has("env") ? env(node.get("env"), path + ".env") : Map.of();
        Path cwd = node.has("cwd") ? resolve(string(node, path, "cwd", true), path + ".cwd") : folder;
        if (sessionMode(node, path, UpstreamServer.SessionMode.SHARED) != UpstreamServer.SessionMode.SHARED) {
          throw error(path + ".session_mode", "a stdio server is one process that every agent shares; per_agent applies to "
              + "streamable-http servers (leave session_mode out, or write shared)");
        }
        return new UpstreamServer.Stdio(name, command, args, env, cwd);
      }
      case "streamable-http" -> {
        rejectUnknownKeys(node, path, HTTP_KEYS);
        URI url = url(string(node, path, "url", true), path + ".url");
        Map<String, String> headers = node.has("headers") ? headers(node.get("headers"), path + ".headers") : Map.of();
        return new UpstreamServer.StreamableHttp(name, url, headers, sessionMode(node, path, UpstreamServer.SessionMode.PER_AGENT));
      }
      default -> throw error(path + ".transport", "\"" + transport + "\" is not allowed; use one of stdio, streamable-http");
    }
  }

  /** {@code session_mode}: optional, one of the modes' words. */
  private UpstreamServer.SessionMode sessionMode(JsonNode node, String path, UpstreamServer.SessionMode otherwise)
      throws CatalogException {
    if (!node.has("session_mode")) {
      return otherwise;
    }
    String word = string(node, path, "session_mode", true);
    for (UpstreamServer.SessionMode mode : UpstreamServer.SessionMode.values()) {
      if (mode.word().equals(word)) {
        return mode;
      }
    }
    throw error(path + ".session_mode", "\"" + word + "\" is not allowed; use per_agent or shared");
  }

  private CatalogTool tool(String path, JsonNode node, Map<String, UpstreamServer> servers) throws CatalogException {
    if (!node.isObject()) {
      throw error(path, "expected an object describing the tool, got " + describe(node));
    }
    for (String key : fieldNames(node)) {
      if (!TOOL_KEYS.contains(key) && !ATTRIBUTE_KEYS.contains(key)) {
        TreeSet<String> allowed = new TreeSet<>(TOOL_KEYS);
        allowed.addAll(ATTRIBUTE_KEYS);
        throw error(path + "." + key, "unknown key; allowed here: " + String.join(", ", allowed));
      }
    }
    String toolName = string(node, path, "tool_name", true);
    if (!TOOL_NAME.matcher(toolName).matches()) {
      throw error(path + ".tool_name", "\"" + toolName + "\" is not a tool name; use 1 to 128 of A-Z a-z 0-9 _ . -");
    }
    String server = string(node, path, "server", true);
    if (!servers.containsKey(server)) {
      throw error(path + ".server", "\"" + server + "\" is not a server of this catalog; add it under servers or fix the name");
    }
    String upstreamName;
    if (node.has("upstream_name")) {
      upstreamName = string(node, path, "upstream_name", true);
    } else if (toolName.startsWith(server + ".") && toolName.length() > server.length() + 1) {
      upstreamName = toolName.substring(server.length() + 1);
    } else {
      throw error(path + ".tool_name", "\"" + toolName + "\" does not start with \"" + server
          + ".\"; name it " + server + ".<tool> or give upstream_name");
    }
    Map<String, JsonNode> attributes = new LinkedHashMap<>();
    for (String key : fieldNames(node)) {
      if (ATTRIBUTE_KEYS.contains(key)) {
        checkAttribute(key, node.get(key), path + "." + key);
        attributes.put(key, node.get(key));
      }
    }
    return new CatalogTool(toolName, server, upstreamName, attributes);
  }

  private void checkAttribute(String key, JsonNode value, String path) throws CatalogException {
    switch (key) {
      case "tags" -> strings(value, path);
      case "requires_baa" -> {
        if (!value.isBoolean()) {
          throw error(path, "expected true or false, got " + describe(value));
        }
      }
      case "approved_definition" -> {
        if (!value.isObject()) {
          throw error(path, "expected the approved tool definition as an object, got " + describe(value));
        }
      }
      case "definition_hash" -> {
        if (!value.isTextual() || !Digests.isSha256Notation(value.asText())) {
          throw error(path, "expected sha256: followed by 64 lower-case hex digits, got " + describe(value));
        }
      }
      case "added_at" -> {
        requireText(value, path);
        try {
          OffsetDateTime.parse(value.asText());
        } catch (DateTimeParseException e) {
          throw error(path, "\"" + value.asText() + "\" is not an RFC 3339 time; write it like 2026-06-05T00:00:00Z");
        }
      }
      default -> requireText(value, path);
    }
  }

  private Map<String, String> env(JsonNode node, String path) throws CatalogException {
    Map<String, String> env = new LinkedHashMap<>();
    for (Map.Entry<String, String> entry : stringMap(node, path).entrySet()) {
      String entryPath = path + "." + entry.getKey();
      if (!VARIABLE_NAME.matcher(entry.getKey()).matches()) {
        throw error(entryPath, "\"" + entry.getKey() + "\" is not a variable name; use letters, digits and _, not starting with a digit");
      }
      String value = expand(entry.getValue(), entryPath);
      if (value.indexOf('\0') >= 0) {
        throw error(entryPath, "the value contains a NUL character, which a process environment cannot carry");
      }
      env.put(entry.getKey(), value);
    }
    return env;
  }

  private Map<String, String> headers(JsonNode node, String path) throws CatalogException {
    Map<String, String> headers = new LinkedHashMap<>();
    Set<String> seen = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
    for (Map.Entry<String, String> entry : stringMap(node, path).entrySet()) {
      String name = entry.getKey();
      String entryPath = path + "." + name;
      if (!HEADER_NAME.matcher(name).matches()) {
        throw error(entryPath, "\"" + name + "\" is not an HTTP header name");
      }
      if (RESERVED_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
        throw error(entryPath, "the gateway sets " + name + " itself; remove it");
      }
      if (!seen.add(name)) {
        throw error(entryPath, "header names ignore case, and " + name + " is given twice; keep one");
      }
      String value = expand(entry.getValue(), entryPath);
      // Checked after expansion: a line break in a variable would let it add headers of its own.
      if (value.chars().anyMatch(c -> (c < 0x20 && c != '\t') || c == 0x7f)) {
        throw error(entryPath, "the value contains a line break or control character, which a header cannot carry");
      }
      headers.put(name, value);
    }
    return headers;
  }

  /** Replaces each {@code ${NAME}} with that variable of the gateway's environment. */
  private String expand(String value, String path) throws CatalogException {
    if (REFERENCE.matcher(value).replaceAll("").contains("${")) {
      throw error(path, "has a ${ that is not a complete ${NAME} reference; write ${NAME} with letters, digits and _");
    }
    Matcher matcher = REFERENCE.matcher(value);
    StringBuilder expanded = new StringBuilder();
    while (matcher.find()) {
      String variable = environment.get(matcher.group(1));
      if (variable == null) {
        throw error(path, "${" + matcher.group(1) + "} names a variable that is not set in the gateway's environment; set it or remove the reference");
      }
      matcher.appendReplacement(expanded, Matcher.quoteReplacement(variable));
    }
    matcher.appendTail(expanded);
    return expanded.toString();
  }

  private URI url(String text, String path) throws CatalogException {
    String problem = "\"" + text + "\" is not an absolute http:// or https:// URL";
    URI url;
    try {
      url = new URI(text);
    } catch (URISyntaxException e) {
      throw error(path, problem);
    }
    String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
    if (!(scheme.equals("http") || scheme.equals("https")) || url.getHost() == null) {
      throw error(path, problem);
    }
    if (url.getRawUserInfo() != null) {
      throw error(path, "has a user name or password in it; pass credentials in headers, with ${NAME} for the secret");
    }
    if (url.getRawFragment() != null) {
      throw error(path, "has a #fragment, which HTTP never sends; remove it");
    }
    return url;
  }

  private Path resolve(String text, String path) throws CatalogException {
    try {
      return folder.resolve(text).normalize();
    } catch (InvalidPathException e) {
      throw error(path, "\"" + text + "\" is not a valid path (" + e.getReason() + ")");
    }
  }

  private Map<String, String> stringMap(JsonNode node, String path) throws CatalogException {
    if (!node.isObject()) {
      throw error(path, "expected an object of names to strings, got " + describe(node));
    }
    Map<String, String> map = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> entry : node.properties()) {
      requireText(entry.getValue(), path + "." + entry.getKey());
      map.put(entry.getKey(), entry.getValue().asText());
    }
    return map;
  }

  private List<String> strings(JsonNode node, String path) throws CatalogException {
    if (!node.isArray()) {
      throw error(path, "expected a list of strings, got " + describe(node));
    }
    List<String> strings = new ArrayList<>();
    for (int i = 0; i < node.size(); i++) {
      requireText(node.get(i), path + "[" + i + "]");
      strings.add(node.get(i).asText());
    }
    return strings;
  }

  /** The string under {@code key}; {@code nonEmpty} also refuses "". A missing key is an error. */
  private String string(JsonNode node, String path, String key, boolean nonEmpty) throws CatalogException {
    JsonNode value = required(node, path, key);
    String keyPath = join(path, key);
    requireText(value, keyPath);
    if (nonEmpty && value.asText().isEmpty()) {
      throw error(keyPath, "must not be empty");
    }
    return value.asText();
  }

  private JsonNode required(JsonNode node, String path, String key) throws CatalogException {
    JsonNode value = node.get(key);
    if (value == null) {
      throw error(path.isEmpty() ? key : join(path, key), "is missing; it is required");
    }
    return value;
  }

  private void requireText(JsonNode value, String path) throws CatalogException {
    if (!value.isTextual()) {
      throw error(path, "expected a string, got " + describe(value));
    }
  }

  private void rejectUnknownKeys(JsonNode node, String path, Set<String> known) throws CatalogException {
    for (String key : fieldNames(node)) {
      if (!known.contains(key)) {
        throw error(join(path, key), "unknown key; allowed here: " + String.join(", ", new TreeSet<>(known)));
      }
    }
  }

  private CatalogException error(String path, String message) {
    return new CatalogException(fileName + ": " + path + ": " + message);
  }

  private static List<String> fieldNames(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }

  private static String join(String path, String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  /** Names that look the same to a person fold to the same string. */
  private static String fold(String name) {
    return Normalizer.normalize(name, Normalizer.Form.NFKC).toLowerCase(Locale.ROOT);
  }

  private static String describe(JsonNode value) {
    return switch (value.getNodeType()) {
      case STRING -> "the string \"" + value.asText() + "\"";
      case NUMBER -> "the number " + value.asText();
      case BOOLEAN -> value.asText();
      case ARRAY -> "a list";
      case OBJECT -> "an object";
      default -> "null";
    };
  }
}
