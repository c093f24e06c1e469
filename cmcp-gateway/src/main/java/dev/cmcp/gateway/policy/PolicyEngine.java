package dev.cmcp.gateway.policy;

import com.cedarpolicy.BasicAuthorizationEngine;
import com.cedarpolicy.model.AuthorizationRequest;
import com.cedarpolicy.model.AuthorizationResponse;
import com.cedarpolicy.model.AuthorizationSuccessResponse;
import com.cedarpolicy.model.Effect;
import com.cedarpolicy.model.exception.AuthException;
import com.cedarpolicy.model.exception.CacheException;
import com.cedarpolicy.model.exception.InternalException;
import com.cedarpolicy.model.entity.Entity;
import com.cedarpolicy.model.policy.Policy;
import com.cedarpolicy.model.policy.PolicySet;
import com.cedarpolicy.value.CedarMap;
import com.cedarpolicy.value.EntityTypeName;
import com.cedarpolicy.value.EntityUID;
import com.cedarpolicy.value.PrimLong;
import com.cedarpolicy.value.PrimString;
import com.cedarpolicy.value.Value;
import dev.cmcp.gateway.catalog.Catalog;
import dev.cmcp.gateway.catalog.CatalogTool;
import dev.cmcp.gateway.catalog.UpstreamServer;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Decides tool calls with Cedar.
 *
 * <p>Entities (no namespace): principal {@code Agent::"<principal>"}, action {@code
 * Action::"call_tool"}, resource {@code Tool::"<tool name>"} whose parent is {@code
 * Server::"<server>"}. A Tool has {@code tool_name}, {@code server}, {@code server_domain} (the
 * host of an HTTP server's URL, {@code "localhost"} for a stdio server) and the catalog entry's
 * attributes; a Server has {@code name} and {@code domain}. The context holds {@code arguments}
 * (see {@link CedarValues} for how JSON maps), {@code session_id}, {@code workflow_id}, {@code
 * server}, {@code tool} and {@code time} ({@code epoch_seconds}, {@code hour_utc}, {@code
 * minute_utc}, {@code day_of_week} such as {@code "monday"}).
 *
 * <p>Decisions: a tool outside the catalog is denied before Cedar runs. A satisfied forbid denies
 * ({@link DenialCause#FORBIDDEN_BY_POLICY}, with the first {@code @reason}). A forbid that fails
 * to evaluate denies ({@link DenialCause#EVALUATION_ERROR}) even when a permit was satisfied; a
 * permit that fails cannot grant, so it only matters (as EVALUATION_ERROR) when nothing else
 * permitted the call. Otherwise no satisfied permit is {@link DenialCause#NO_PERMIT}.
 *
 * <p>Only the called tool and its server are sent with a request, so a policy that names another
 * tool's entity (for example {@code Tool::"x".tags}) fails to evaluate, and fails closed.
 *
 * <p>Thread-safe: everything here is built in the constructor and only read afterwards. The
 * policy set is parsed once into cedar-java's native cache (read under a read-write lock on the
 * Rust side); each call serialises just its request and two entities.
 */
public final class PolicyEngine {

  private static final Set<String> BUILT_IN_TOOL_ATTRIBUTES = Set.of("tool_name", "server", "server_domain");

  private final BasicAuthorizationEngine cedar = new BasicAuthorizationEngine();
  private final PolicySet policySet;
  private final Map<String, BundlePolicy> policiesById;
  private final Map<String, Integer> bundleOrder;
  private final Set<String> forbids;
  private final Map<String, ToolResource> tools;
  private final EntityTypeName agent;
  private final EntityUID callTool;

  /** A catalog tool as Cedar sees it, built once. */
  private record ToolResource(EntityUID uid, Set<Entity> entities, Value toolName, Value serverName) {}

  public PolicyEngine(PolicyBundle bundle, Catalog catalog) throws PolicyException {
    this.policiesById = new HashMap<>();
    this.bundleOrder = new HashMap<>();
    this.forbids = new HashSet<>();
    Set<Policy> policies = new LinkedHashSet<>();
    for (BundlePolicy policy : bundle.policies()) {
      Policy cedarPolicy = new Policy(policy.source(), policy.id());
      policiesById.put(policy.id(), policy);
      bundleOrder.put(policy.id(), bundleOrder.size());
      if (effectOf(cedarPolicy, policy) == Effect.FORBID) {
        forbids.add(policy.id());
      }
      policies.add(cedarPolicy);
    }
    this.policySet = new PolicySet(policies);
    try {
      // Without this, cedar-java sends and re-parses every policy on every request.
      policySet.cache();
    } catch (CacheException e) {
      throw new PolicyException("cannot prepare the policy set for evaluation: " + e.getMessage(), e);
    }
    this.agent = entityType("Agent");
    this.callTool = entityType("Action").of("call_tool");
    this.tools = toolResources(catalog);
  }

  /**
   * The decision for one call. Never throws: anything that goes wrong is a {@link
   * DenialCause#EVALUATION_ERROR} denial.
   */
  public PolicyDecision decide(ToolCallRequest request) {
    ToolResource tool = tools.get(request.toolName());
    if (tool == null) {
      return new PolicyDecision.Deny(
          List.of(), Optional.empty(), DenialCause.UNSANCTIONED_TOOL, "tool " + request.toolName() + " is not in the catalog");
    }
    try {
      AuthorizationRequest cedarRequest =
          new AuthorizationRequest(agent.of(request.principal()), callTool, tool.uid(), context(request, tool));
      return interpret(cedar.isAuthorized(cedarRequest, policySet, tool.entities()));
    } catch (AuthException | RuntimeException e) {
      return evaluationError(List.of(), "the request could not be evaluated: " + Objects.toString(e.getMessage(), e.toString()));
    }
  }

  private Map<String, Value> context(ToolCallRequest request, ToolResource tool) {
    ZonedDateTime utc = request.time().atZone(ZoneOffset.UTC);
    Map<String, Value> time = new HashMap<>();
    time.put("epoch_seconds", new PrimLong(request.time().getEpochSecond()));
    time.put("hour_utc", new PrimLong(utc.getHour()));
    time.put("minute_utc", new PrimLong(utc.getMinute()));
    time.put("day_of_week", new PrimString(utc.getDayOfWeek().name().toLowerCase(Locale.ROOT)));
    Map<String, Value> context = new HashMap<>();
    context.put("arguments", CedarValues.record(request.arguments()));
    context.put("session_id", new PrimString(request.sessionId()));
    context.put("workflow_id", new PrimString(request.workflowId()));
    context.put("server", tool.serverName());
    context.put("tool", tool.toolName());
    context.put("time", new CedarMap(time));
    return context;
  }

  private PolicyDecision interpret(AuthorizationResponse response) {
    if (response.success.isEmpty()) {
      String errors =
          response.errors.stream().flatMap(List::stream).map(e -> withoutValues(e.message)).collect(Collectors.joining("; "));
      return evaluationError(List.of(), "Cedar rejected the request: " + errors);
    }
    AuthorizationSuccessResponse result = response.success.get();
    boolean allowed = result.getDecision() == AuthorizationSuccessResponse.Decision.Allow;
    List<String> determining = inBundleOrder(result.getReason());
    if (!allowed && !determining.isEmpty()) {
      Optional<String> reason =
          determining.stream().map(id -> policiesById.get(id).annotation("reason")).flatMap(Optional::stream).findFirst();
      return new PolicyDecision.Deny(
          determining, reason, DenialCause.FORBIDDEN_BY_POLICY, "forbidden by " + String.join(", ", determining));
    }
    // Cedar skips a policy that fails to evaluate. A skipped permit cannot have granted
    // anything, but a skipped forbid might have been the one that mattered: deny. A failing
    // permit also explains a denial better than "no permit".
    List<AuthorizationSuccessResponse.AuthorizationError> errors =
        result.getErrors().stream().sorted(Comparator.comparingInt(e -> order(e.getPolicyId()))).toList();
    boolean forbidFailed = errors.stream().anyMatch(e -> forbids.contains(e.getPolicyId()));
    if (!errors.isEmpty() && (forbidFailed || !allowed)) {
      List<String> failing = errors.stream().map(AuthorizationSuccessResponse.AuthorizationError::getPolicyId).distinct().toList();
      String detail =
          errors.stream()
              .map(e -> "policy " + e.getPolicyId() + ": " + withoutValues(e.getError().message))
              .collect(Collectors.joining("; "));
      return evaluationError(failing, detail);
    }
    if (!allowed) {
      return new PolicyDecision.Deny(List.of(), Optional.empty(), DenialCause.NO_PERMIT, "no permit policy matched");
    }
    return new PolicyDecision.Allow(determining);
  }

  private List<String> inBundleOrder(Collection<String> policyIds) {
    return policyIds.stream().distinct().sorted(Comparator.comparingInt(this::order)).toList();
  }

  private int order(String policyId) {
    return bundleOrder.getOrDefault(policyId, -1);
  }

  private static Effect effectOf(Policy cedarPolicy, BundlePolicy policy) throws PolicyException {
    try {
      return cedarPolicy.effect();
    } catch (InternalException e) {
      throw new PolicyException(policy.location() + ": cannot tell whether policy " + policy.id() + " permits or forbids", e);
    }
  }

  private static PolicyDecision.Deny evaluationError(List<String> policyIds, String detail) {
    return new PolicyDecision.Deny(policyIds, Optional.empty(), DenialCause.EVALUATION_ERROR, detail);
  }

  /**
   * Cedar's message without the argument values that two kinds of error quote: integer overflow
   * (the operands) and a failed extension function (its input). The detail goes to the audit log,
   * which never holds arguments in clear.
   */
  private static String withoutValues(String cedarMessage) {
    if (cedarMessage.startsWith("integer overflow")) {
      return "integer overflow (operands withheld)";
    }
    int extension = cedarMessage.indexOf("extension function");
    if (extension >= 0) {
      return cedarMessage.substring(0, extension + "extension function".length()) + " failed (input withheld)";
    }
    return cedarMessage;
  }

  private Map<String, ToolResource> toolResources(Catalog catalog) throws PolicyException {
    EntityTypeName toolType = entityType("Tool");
    EntityTypeName serverType = entityType("Server");
    Map<String, Entity> servers = new HashMap<>();
    for (UpstreamServer server : catalog.servers().values()) {
      Map<String, Value> attributes = new HashMap<>();
      attributes.put("name", new PrimString(server.name()));
      attributes.put("domain", new PrimString(domainOf(server)));
      servers.put(server.name(), new Entity(serverType.of(server.name()), attributes, Set.of()));
    }
    Map<String, ToolResource> resources = new HashMap<>();
    for (CatalogTool tool : catalog.tools().values()) {
      Entity server = servers.get(tool.server());
      if (server == null) {
        throw new PolicyException(
            "catalog tool " + tool.toolName() + " names server " + tool.server() + ", which the catalog does not define");
      }
      Map<String, Value> attributes = new HashMap<>();
      for (var attribute : tool.attributes().entrySet()) {
        if (BUILT_IN_TOOL_ATTRIBUTES.contains(attribute.getKey())) {
          throw new PolicyException(
              "catalog tool " + tool.toolName() + ": attribute " + attribute.getKey()
                  + " is set by the gateway; rename it in the catalog");
        }
        try {
          CedarValues.value(attribute.getValue()).ifPresent(v -> attributes.put(attribute.getKey(), v));
        } catch (IllegalArgumentException e) {
          throw new PolicyException("catalog tool " + tool.toolName() + ": attribute " + attribute.getKey() + ": " + e.getMessage());
        }
      }
      attributes.put("tool_name", new PrimString(tool.toolName()));
      attributes.put("server", new PrimString(tool.server()));
      attributes.put("server_domain", server.getAttr("domain"));
      EntityUID uid = toolType.of(tool.toolName());
      Entity entity = new Entity(uid, attributes, Set.of(server.getEUID()));
      resources.put(
          tool.toolName(),
          new ToolResource(uid, Set.of(entity, server), new PrimString(tool.toolName()), new PrimString(tool.server())));
    }
    return Map.copyOf(resources);
  }

  private static String domainOf(UpstreamServer server) {
    return switch (server) {
      case UpstreamServer.Stdio stdio -> "localhost";
      case UpstreamServer.StreamableHttp http -> http.url().getHost() == null ? "" : http.url().getHost();
    };
  }

  private static EntityTypeName entityType(String name) {
    return EntityTypeName.parse(name).orElseThrow(() -> new IllegalStateException("Cedar rejects entity type " + name));
  }
}
