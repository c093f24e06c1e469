package dev.cmcp.gateway.catalog;

import java.util.Map;
import java.util.Optional;

/**
 * The approved servers and tools. A tool that is not here is unsanctioned and always denied.
 *
 * @param servers by catalog key
 * @param tools by exposed tool name
 * @param catalogHash {@code sha256:} + hex SHA-256 of the RFC 8785 form of catalog.json
 */
public record Catalog(Map<String, UpstreamServer> servers, Map<String, CatalogTool> tools, String catalogHash) {
  public Catalog {
    servers = Map.copyOf(servers);
    tools = Map.copyOf(tools);
  }

  public Optional<CatalogTool> tool(String toolName) {
    return Optional.ofNullable(tools.get(toolName));
  }
}
