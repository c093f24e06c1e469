package dev.cmcp.gateway.mcp;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * Which catalog server a resource URI belongs to, learnt from the servers' resource lists and
 * templates. A URI is routed only when exactly one server lists it or has a template for it; an
 * unknown or ambiguous URI goes nowhere, since sending it to the wrong server could hand that
 * server another's request.
 */
final class ResourceRoutes {

  private final Map<String, Set<String>> serversByUri = new ConcurrentHashMap<>();
  private final Map<String, List<UriTemplate>> templatesByServer = new ConcurrentHashMap<>();

  /** Records the URIs a server lists. */
  void learnResources(String server, List<ObjectNode> resources) {
    for (ObjectNode resource : resources) {
      serversByUri.computeIfAbsent(resource.path("uri").asText(), uri -> ConcurrentHashMap.newKeySet()).add(server);
    }
  }

  /** Replaces the templates known for a server. */
  void learnTemplates(String server, List<ObjectNode> templates) {
    templatesByServer.put(server, templates.stream()
        .map(template -> UriTemplate.parse(template.path("uriTemplate").asText()))
        .flatMap(Optional::stream)
        .toList());
  }

  /** The one server that lists the URI or has a template for it; empty when none or several do. */
  Optional<String> serverOf(String uri) {
    Set<String> listing = serversByUri.getOrDefault(uri, Set.of());
    if (!listing.isEmpty()) {
      return listing.size() == 1 ? listing.stream().findFirst() : Optional.empty();
    }
    Set<String> templated = templatesByServer.entrySet().stream()
        .filter(entry -> entry.getValue().stream().anyMatch(template -> template.matches(uri)))
        .map(Map.Entry::getKey)
        .collect(Collectors.toSet());
    return templated.size() == 1 ? templated.stream().findFirst() : Optional.empty();
  }

  /** Whether more than one server lists the URI. */
  boolean isAmbiguous(String uri) {
    return serversByUri.getOrDefault(uri, Set.of()).size() > 1;
  }
}
