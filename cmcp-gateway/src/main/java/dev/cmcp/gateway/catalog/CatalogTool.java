package dev.cmcp.gateway.catalog;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import java.util.Optional;

/**
 * One approved tool.
 *
 * @param toolName the name agents call it by (usually {@code <server>.<tool>})
 * @param server the catalog key of the server that provides it
 * @param upstreamName the tool's name on that server
 * @param attributes the entry's descriptive attributes (sensitivity_level, compliance_domain,
 *     tags, requires_baa, ...) as JSON values; they become attributes of the Cedar Tool entity
 */
public record CatalogTool(String toolName, String server, String upstreamName, Map<String, JsonNode> attributes) {
  public CatalogTool {
    attributes = Map.copyOf(attributes);
  }

  /** The pinned {@link DefinitionHash} of the approved definition, when the entry has one. */
  public Optional<String> definitionHash() {
    return Optional.ofNullable(attributes.get("definition_hash")).map(JsonNode::asText);
  }
}
