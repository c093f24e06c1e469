package dev.cmcp.e2e;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** A catalog.json under construction, for tests that front MCP servers this project did not write. */
final class Catalog {

  private final ObjectNode json = McpClient.JSON.createObjectNode();
  private final ObjectNode servers = json.putObject("servers");
  private final ArrayNode tools = json.putArray("tools");

  Catalog stdioServer(String name, String command, String... args) {
    ObjectNode server = servers.putObject(name).put("transport", "stdio").put("command", command);
    ArrayNode list = server.putArray("args");
    for (String arg : args) {
      list.add(arg);
    }
    return this;
  }

  Catalog env(String server, String name, String value) {
    ObjectNode entry = (ObjectNode) servers.path(server);
    ObjectNode env = entry.has("env") ? (ObjectNode) entry.get("env") : entry.putObject("env");
    env.put(name, value);
    return this;
  }

  Catalog httpServer(String name, String url) {
    servers.putObject(name).put("transport", "streamable-http").put("url", url);
    return this;
  }

  /** The server's {@code session_mode}: per_agent or shared. */
  Catalog sessionMode(String server, String mode) {
    ((ObjectNode) servers.path(server)).put("session_mode", mode);
    return this;
  }

  /** A tool exposed as {@code <server>.<upstreamName>}. */
  Catalog tool(String server, String upstreamName) {
    tools.addObject().put("tool_name", server + "." + upstreamName).put("server", server);
    return this;
  }

  /** A tool exposed under a name of the catalog's choosing. */
  Catalog alias(String toolName, String server, String upstreamName) {
    tools.addObject().put("tool_name", toolName).put("server", server).put("upstream_name", upstreamName);
    return this;
  }

  /** A server's prompt listed under a name of the catalog's choosing. */
  Catalog promptAlias(String promptName, String server, String upstreamName) {
    ArrayNode prompts = json.has("prompts") ? (ArrayNode) json.get("prompts") : json.putArray("prompts");
    prompts.addObject().put("prompt_name", promptName).put("server", server).put("upstream_name", upstreamName);
    return this;
  }

  /** Resource URIs starting with {@code uriPrefix} go to {@code server}. */
  Catalog resourceOwner(String uriPrefix, String server) {
    ArrayNode owners = json.has("resource_owners") ? (ArrayNode) json.get("resource_owners") : json.putArray("resource_owners");
    owners.addObject().put("uri_prefix", uriPrefix).put("server", server);
    return this;
  }

  ObjectNode json() {
    return json;
  }
}
