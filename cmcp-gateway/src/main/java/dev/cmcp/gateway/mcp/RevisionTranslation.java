package dev.cmcp.gateway.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * What an agent that negotiated an older MCP revision than the upstream's receives instead of
 * what its revision cannot express. The gateway talks to each upstream in the revision they
 * negotiated and to each agent in the agent's; requests of the older revisions are valid in the
 * newer ones, so only answers need changing. Members a revision does not define (a tool's
 * {@code outputSchema}, a result's {@code structuredContent}) are passed on, as JSON-RPC
 * readers ignore them; content items of a type the revision lacks are not, since clients check
 * the type against the revision's closed list:
 *
 * <ul>
 *   <li>{@code resource_link} (2025-06-18) becomes a {@code text} item naming the link, for
 *       2025-03-26 and 2024-11-05;
 *   <li>{@code audio} (2025-03-26) becomes a {@code text} item saying what was left out, for
 *       2024-11-05.
 * </ul>
 */
final class RevisionTranslation {

  private RevisionTranslation() {}

  /** The answer to a {@code tools/call} or {@code prompts/get}, changed in place for an agent speaking {@code version}. */
  static ObjectNode forAgent(String version, ObjectNode answer) {
    if (!ProtocolVersions.isBefore(version, "2025-06-18")) {
      return answer;
    }
    JsonNode result = answer.get("result");
    if (result == null) {
      return answer;
    }
    translateItems(version, result.get("content"));
    JsonNode messages = result.get("messages");
    if (messages != null && messages.isArray()) {
      for (JsonNode message : messages) {
        if (message instanceof ObjectNode object && object.get("content") instanceof ObjectNode content) {
          object.set("content", translate(version, content));
        }
      }
    }
    return answer;
  }

  private static void translateItems(String version, JsonNode items) {
    if (!(items instanceof ArrayNode array)) {
      return;
    }
    for (int i = 0; i < array.size(); i++) {
      if (array.get(i) instanceof ObjectNode item) {
        array.set(i, translate(version, item));
      }
    }
  }

  private static ObjectNode translate(String version, ObjectNode item) {
    String type = item.path("type").asText();
    if (type.equals("resource_link")) {
      String name = item.path("name").asText(item.path("uri").asText());
      return text("Resource link: " + name + " <" + item.path("uri").asText() + ">"
          + (item.has("mimeType") ? " (" + item.path("mimeType").asText() + ")" : ""));
    }
    if (type.equals("audio") && ProtocolVersions.isBefore(version, "2025-03-26")) {
      return text("[audio content (" + item.path("mimeType").asText("unknown type")
          + ") left out: MCP " + version + " has no audio content]");
    }
    return item;
  }

  private static ObjectNode text(String text) {
    return JsonNodeFactory.instance.objectNode().put("type", "text").put("text", text);
  }
}
