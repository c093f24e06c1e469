package dev.cmcp.gateway.catalog;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The approved servers and tools. A tool that is not here is unsanctioned and always denied.
 *
 * @param servers by catalog key
 * @param tools by exposed tool name
 * @param catalogHash {@code sha256:} + hex SHA-256 of the RFC 8785 form of catalog.json
 * @param prompts prompt aliases by the name agents see
 * @param resourceOwners which server serves a resource URI that several offer
 */
public record Catalog(
    Map<String, UpstreamServer> servers, Map<String, CatalogTool> tools, String catalogHash,
    Map<String, CatalogPrompt> prompts, List<ResourceOwner> resourceOwners) {
  public Catalog {
    servers = Map.copyOf(servers);
    tools = Map.copyOf(tools);
    prompts = Map.copyOf(prompts);
    resourceOwners = List.copyOf(resourceOwners);
  }

  /** A catalog without prompt aliases or resource owners. */
  public Catalog(Map<String, UpstreamServer> servers, Map<String, CatalogTool> tools, String catalogHash) {
    this(servers, tools, catalogHash, Map.of(), List.of());
  }

  /** The prompt alias agents ask for by {@code promptName}. */
  public Optional<CatalogPrompt> prompt(String promptName) {
    return Optional.ofNullable(prompts.get(promptName));
  }

  /** The alias a server's prompt is listed under, if the catalog gives one. */
  public Optional<CatalogPrompt> promptAliasOf(String server, String upstreamName) {
    return prompts.values().stream()
        .filter(prompt -> prompt.server().equals(server) && prompt.upstreamName().equals(upstreamName))
        .min(java.util.Comparator.comparing(CatalogPrompt::promptName));
  }

  /** The server the catalog chose for a resource URI: the owner with the longest matching prefix. */
  public Optional<String> resourceOwnerOf(String uri) {
    return resourceOwners.stream()
        .filter(owner -> uri.startsWith(owner.uriPrefix()))
        .max(java.util.Comparator.comparingInt(owner -> owner.uriPrefix().length()))
        .map(ResourceOwner::server);
  }

  public Optional<CatalogTool> tool(String toolName) {
    return Optional.ofNullable(tools.get(toolName));
  }
}
