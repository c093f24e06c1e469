package dev.cmcp.gateway.mcp;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.gateway.catalog.Catalog;
import dev.cmcp.gateway.catalog.CatalogPrompt;
import dev.cmcp.gateway.catalog.CatalogTool;
import dev.cmcp.gateway.policy.ActivePolicy;
import dev.cmcp.gateway.policy.PolicyEngine;
import dev.cmcp.gateway.policy.PolicyTarget;
import dev.cmcp.gateway.upstream.UpstreamException;
import dev.cmcp.gateway.upstream.Upstreams;
import dev.cmcp.gateway.upstream.Upstreams.ListMethod;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * The list methods: what a caller is shown of the catalog servers' tools, resources and prompts.
 *
 * <p>The rule (docs/SPEC.md, Discovery): in enforcing mode an item is listed only when the policy
 * could permit the caller to use it, asked with {@link PolicyEngine#couldPermit} (the arguments
 * unknown, the rest of the context as it is now). Advisory and silent modes do not enforce
 * denials, so they do not hide what a denial would block either: they list everything. Tools
 * must also be in the catalog and, when pinned, still match their pin, in every mode. Resource
 * templates are listed as the servers give them: a template names no single resource to ask the
 * policy about, so the policy decides each read. Everything is returned on one page.
 */
final class Discovery {

  private static final Logger LOG = System.getLogger("cmcp.mcp");
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private final Upstreams upstreams;
  private final Supplier<ActivePolicy> policies;
  private final ToolPins pins;
  private final ResourceRoutes routes;
  private final boolean filterByPolicy;
  private final Clock clock;

  /** @param filterByPolicy whether listings leave out what the policy could not permit (enforcing mode) */
  Discovery(Upstreams upstreams, Supplier<ActivePolicy> policies, ToolPins pins, ResourceRoutes routes,
      boolean filterByPolicy, Clock clock) {
    this.upstreams = upstreams;
    this.policies = policies;
    this.pins = pins;
    this.routes = routes;
    this.filterByPolicy = filterByPolicy;
    this.clock = clock;
  }

  /**
   * The {@code tools/list} result.
   *
   * @param requestParams the list request's params: a 2026-07-28 agent's carry its revision and
   *     client capabilities, and a server that offers that revision is asked in it
   *     ({@link Upstreams#tools(String, com.fasterxml.jackson.databind.JsonNode)}); the catalog and
   *     its pins decide in every revision which of the server's tools are shown
   */
  ObjectNode tools(Caller caller, ObjectNode requestParams) {
    // One listing, one bundle and catalog, even if a reload swaps them meanwhile.
    ActivePolicy active = policies.get();
    PolicyEngine engine = active.engine();
    ArrayNode tools = NODES.arrayNode();
    Map<String, Optional<Map<String, ObjectNode>>> upstreamTools = new HashMap<>();
    List<CatalogTool> approved =
        active.catalog().tools().values().stream().sorted(Comparator.comparing(CatalogTool::toolName)).toList();
    for (CatalogTool tool : approved) {
      Optional<Map<String, ObjectNode>> offered =
          upstreamTools.computeIfAbsent(tool.server(), server -> upstreamToolsByName(server, requestParams));
      if (offered.isEmpty()) {
        continue;
      }
      ObjectNode definition = offered.get().get(tool.upstreamName());
      if (pins.mismatch(tool, Optional.ofNullable(definition)).isPresent() || definition == null) {
        continue;
      }
      if (!couldPermit(engine, caller, new PolicyTarget.Tool(tool.toolName()))) {
        continue;
      }
      ObjectNode exposed = definition.deepCopy();
      exposed.put("name", tool.toolName());
      tools.add(exposed);
    }
    return result("tools", tools);
  }

  /** The {@code resources/list} result: every server's resources the caller could read, URIs unchanged. */
  ObjectNode resources(Caller caller, ObjectNode requestParams) {
    // One listing, one bundle and catalog, even if a reload swaps them meanwhile.
    ActivePolicy active = policies.get();
    PolicyEngine engine = active.engine();
    ArrayNode resources = NODES.arrayNode();
    // Every server's list is learnt before any is filtered, so that a URI two servers list is
    // known to be ambiguous whichever comes first.
    Map<String, List<ObjectNode>> listedByServer = new java.util.TreeMap<>();
    for (String server : servers(active.catalog())) {
      List<ObjectNode> listed = list(server, ListMethod.RESOURCES, requestParams);
      routes.learnResources(server, listed);
      listedByServer.put(server, listed);
    }
    for (Map.Entry<String, List<ObjectNode>> entry : listedByServer.entrySet()) {
      String server = entry.getKey();
      for (ObjectNode resource : entry.getValue()) {
        String uri = resource.path("uri").asText();
        Optional<String> owner = active.catalog().resourceOwnerOf(uri);
        if (owner.isPresent() ? !owner.get().equals(server) : routes.isAmbiguous(uri)) {
          if (owner.isEmpty()) {
            LOG.log(Level.WARNING, "resources/list: {0} is listed by several servers and no resource_owners entry of the "
                + "catalog chooses one, so it is left out and cannot be read", uri);
          }
          continue;
        }
        if (couldPermit(engine, caller, new PolicyTarget.Resource(server, uri))) {
          resources.add(resource);
        }
      }
    }
    return result("resources", resources);
  }

  /** The {@code resources/templates/list} result. */
  ObjectNode resourceTemplates(ObjectNode requestParams) {
    ArrayNode templates = NODES.arrayNode();
    Catalog catalog = policies.get().catalog();
    for (String server : servers(catalog)) {
      List<ObjectNode> listed = list(server, ListMethod.RESOURCE_TEMPLATES, requestParams);
      routes.learnTemplates(server, listed);
      for (ObjectNode template : listed) {
        // Under a prefix the catalog gave to another server, this server's template is not served.
        Optional<String> owner = catalog.resourceOwnerOf(template.path("uriTemplate").asText());
        if (owner.isEmpty() || owner.get().equals(server)) {
          templates.add(template);
        }
      }
    }
    return result("resourceTemplates", templates);
  }

  /**
   * The {@code prompts/list} result: prompts are named {@code <server>.<prompt>}, like tools, or
   * by the catalog's alias for them; the policy judges each as {@code <server>.<prompt>}.
   */
  ObjectNode prompts(Caller caller, ObjectNode requestParams) {
    // One listing, one bundle and catalog, even if a reload swaps them meanwhile.
    ActivePolicy active = policies.get();
    PolicyEngine engine = active.engine();
    ArrayNode prompts = NODES.arrayNode();
    for (String server : servers(active.catalog())) {
      for (ObjectNode prompt : list(server, ListMethod.PROMPTS, requestParams)) {
        String upstreamName = prompt.path("name").asText();
        PolicyTarget.Prompt target = new PolicyTarget.Prompt(server, upstreamName);
        if (couldPermit(engine, caller, target)) {
          ObjectNode exposed = prompt.deepCopy();
          exposed.put("name", active.catalog().promptAliasOf(server, upstreamName).map(CatalogPrompt::promptName).orElse(target.name()));
          prompts.add(exposed);
        }
      }
    }
    return result("prompts", prompts);
  }

  /**
   * The server a resource URI belongs to. A URI not seen yet (the agent did not list first, or a
   * tool result linked it) makes the servers' lists be read again, once.
   */
  Optional<String> serverOfResource(Catalog catalog, String uri) {
    Optional<String> owner = catalog.resourceOwnerOf(uri);
    if (owner.isPresent() && catalog.servers().containsKey(owner.get())) {
      return owner;
    }
    Optional<String> server = routes.serverOf(uri);
    if (server.isPresent() || routes.isAmbiguous(uri)) {
      return server;
    }
    for (String name : servers(catalog)) {
      routes.learnResources(name, list(name, ListMethod.RESOURCES, null));
      routes.learnTemplates(name, list(name, ListMethod.RESOURCE_TEMPLATES, null));
    }
    return routes.serverOf(uri);
  }

  private boolean couldPermit(PolicyEngine engine, Caller caller, PolicyTarget target) {
    return !filterByPolicy || engine.couldPermit(caller.principal(), caller.sessionId(), caller.workflowId(), target, clock.instant(),
        caller.identity().attributes());
  }

  private static Iterable<String> servers(Catalog catalog) {
    return new TreeSet<>(catalog.servers().keySet());
  }

  /** A server's list; a server that fails (or lacks the feature) contributes nothing and hides no other. */
  private List<ObjectNode> list(String server, ListMethod method, ObjectNode requestParams) {
    try {
      return upstreams.list(server, method, requestParams);
    } catch (UpstreamException e) {
      LOG.log(Level.DEBUG, "{0}: upstream {1} contributes nothing: {2}", method.method(), server, e.getMessage());
      return List.of();
    }
  }

  /** A server's tools by name; empty when the server cannot be asked. */
  private Optional<Map<String, ObjectNode>> upstreamToolsByName(String server, ObjectNode requestParams) {
    Map<String, ObjectNode> byName = new HashMap<>();
    try {
      for (ObjectNode tool : upstreams.tools(server, requestParams)) {
        byName.put(tool.path("name").asText(), tool);
      }
      return Optional.of(byName);
    } catch (UpstreamException e) {
      // One unreachable server must not hide the other servers' tools.
      LOG.log(Level.WARNING, "tools/list: tools of upstream {0} left out: {1}", server, e.getMessage());
      return Optional.empty();
    }
  }

  private static ObjectNode result(String member, ArrayNode items) {
    ObjectNode result = NODES.objectNode();
    result.set(member, items);
    return result;
  }
}
