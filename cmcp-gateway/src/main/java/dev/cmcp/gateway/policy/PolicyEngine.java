package dev.cmcp.gateway.policy;

import com.cedarpolicy.BasicAuthorizationEngine;
import com.cedarpolicy.model.AuthorizationRequest;
import com.cedarpolicy.model.AuthorizationResponse;
import com.cedarpolicy.model.AuthorizationSuccessResponse;
import com.cedarpolicy.model.Effect;
import com.cedarpolicy.model.PartialAuthorizationRequest;
import com.cedarpolicy.model.PartialAuthorizationResponse;
import com.cedarpolicy.model.PartialAuthorizationSuccessResponse;
import com.cedarpolicy.model.entity.Entity;
import com.cedarpolicy.model.exception.AuthException;
import com.cedarpolicy.model.exception.InternalException;
import com.cedarpolicy.model.policy.Policy;
import com.cedarpolicy.model.policy.PolicySet;
import com.cedarpolicy.value.CedarList;
import com.cedarpolicy.value.CedarMap;
import com.cedarpolicy.value.EntityTypeName;
import com.cedarpolicy.value.EntityUID;
import com.cedarpolicy.value.PrimLong;
import com.cedarpolicy.value.PrimString;
import com.cedarpolicy.value.Unknown;
import com.cedarpolicy.value.Value;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.common.cache.Cache;
import com.google.common.cache.CacheBuilder;
import dev.cmcp.gateway.catalog.Catalog;
import dev.cmcp.gateway.catalog.CatalogTool;
import dev.cmcp.gateway.catalog.UpstreamServer;
import dev.cmcp.gateway.policy.PolicyScope.EntityRef;
import dev.cmcp.gateway.ratelimit.RateLimit;
import dev.cmcp.gateway.redaction.Redaction;
import java.lang.System.Logger.Level;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
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
 * Decides tool calls, resource reads and prompts with Cedar.
 *
 * <p>Entities (no namespace): principal {@code Agent::"<principal>"}; action {@code
 * Action::"call_tool"}, {@code Action::"read_resource"} or {@code Action::"get_prompt"}; resource
 * {@code Tool::"<tool name>"}, {@code Resource::"<server>:<uri>"} or {@code
 * Prompt::"<server>.<prompt>"}, whose parent is {@code Server::"<server>"}. A Tool has {@code
 * tool_name}, {@code server}, {@code server_domain} (the host of an HTTP server's URL, {@code
 * "localhost"} for a stdio server) and the catalog entry's attributes; a Resource has {@code uri},
 * {@code server} and {@code server_domain}; a Prompt has {@code prompt_name} ({@code
 * <server>.<prompt>}), {@code server} and {@code server_domain}; a Server has {@code name} and
 * {@code domain}. The context holds {@code arguments} (see {@link CedarValues} for how JSON maps;
 * an empty record for a resource read), {@code session_id}, {@code workflow_id}, {@code server},
 * {@code time} ({@code epoch_seconds}, {@code hour_utc}, {@code minute_utc}, {@code day_of_week}
 * such as {@code "monday"}), {@code session} (what the session did before: {@code call_count},
 * {@code tools_called}, {@code sensitivity_seen}, {@code denied_count}; see {@link SessionHistory})
 * and, for a tool call, {@code tool}.
 *
 * <p>Redaction: a satisfied permit annotated {@code @redact("field,...")} or {@code
 * @redact_pattern("email|phone|ssn|credit_card")} turns an allow into {@link
 * PolicyDecision.Redact}; the obligations of all satisfied permits add up. The annotations are
 * checked when the engine is built, and are refused on a forbid, where they would mean nothing.
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
 * <p>Cost: Cedar evaluates every policy of the set it is given, so the bundle is cut at load
 * into slices by what each policy's scope can match ({@link PolicySlices}), and a request is
 * evaluated against its own slice only; a policy left out of it could neither hold nor fail for
 * that request, so decisions and determining policies are those of the whole bundle.
 *
 * <p>Reuse: the catalog's entities are built once, with the engine. A slice none of whose
 * policies reads {@code context} (or anything else that differs between calls, see {@link
 * PolicyScope#readsMoreThanEntities}) decides by the request's principal with its attributes,
 * action and resource alone; when the redacting permits do not read it either, its decisions are
 * kept in a bounded cache ({@value #DECISION_CACHE_ENTRIES} entries, least recently used out
 * first) keyed by exactly those, and reused without calling Cedar. The cache belongs to this
 * engine, so a bundle or catalog reload, which builds a new engine, starts with an empty one.
 * The arguments are still read and bounded on every call, so a call Cedar would refuse for its
 * arguments is refused the same way. A decision that came from an exception is not kept.
 *
 * <p>Thread-safe: everything here is built in the constructor and only read afterwards, but for
 * the decision cache, which is safe for concurrent use. Each slice is parsed once into
 * cedar-java's native cache (read under a read-write lock on the Rust side); each call
 * serialises just its request and two entities.
 */
public final class PolicyEngine {

  private static final System.Logger LOG = System.getLogger("cmcp.policy");
  private static final int DEFAULT_CEDAR_CACHE = 1024;
  /** Decisions kept per engine: far more than the distinct (principal, tool) pairs of a deployment. */
  static final int DECISION_CACHE_ENTRIES = 8192;
  /**
   * A request whose key spells more characters than this is decided without the cache, so that
   * the cache holds at most about {@code DECISION_CACHE_ENTRIES * 2 * MAX_CACHED_KEY_CHARS} bytes
   * of keys however long the resource URIs or principal claims an agent sends.
   */
  static final int MAX_CACHED_KEY_CHARS = 1024;
  private static final Set<String> BUILT_IN_TOOL_ATTRIBUTES = Set.of("tool_name", "server", "server_domain");

  private final BasicAuthorizationEngine cedar = new BasicAuthorizationEngine();
  private final PolicySlices slices;
  private final Map<String, BundlePolicy> policiesById;
  private final Map<String, Integer> bundleOrder;
  private final Set<String> forbids;
  private final Map<String, Redaction> redactionByPolicy;
  /** The {@code @rate_limit} of each permit that has one. */
  private final Map<String, RateLimit> rateLimitByPolicy;
  /** The {@code @require_approval} text of each permit that has one. */
  private final Map<String, String> approvalByPolicy;
  /** The permits that carry a redaction, alone: asked which of them hold when a call is denied. */
  private final Optional<PolicySet> redactingPermits;
  private final Map<String, ToolResource> tools;
  private final Map<String, Entity> servers;
  private final EntityTypeName agent;
  private final EntityTypeName resourceType;
  private final EntityTypeName promptType;
  /** Parsed once: cedar-java parses a type name in native code. */
  private final EntityTypeName actionType;
  /** Whether a denial's redaction, asked of the redacting permits, depends on the request's entities alone. */
  private final boolean redactionDecidedByEntities;
  /** Decisions of slices decided by entities alone; absent when this engine keeps none. */
  private final Optional<Cache<DecisionKey, PolicyDecision>> decisions;

  /**
   * Everything a slice decided by entities can read: the target (tool, resource URI or prompt,
   * with its action), the principal and the principal's attributes. The catalog's entities are
   * fixed for the engine's life.
   */
  private record DecisionKey(PolicyTarget target, String principal, Map<String, JsonNode> principalAttributes) {}

  /** A decision, and whether it came from Cedar's answer (so may be reused) rather than from an exception. */
  private record Evaluated(PolicyDecision decision, boolean repeatable) {}

  /** What a denial would redact if forwarded, and whether it came from Cedar's answer rather than from an exception. */
  private record Obligation(Redaction redaction, boolean repeatable) {}

  /** A catalog tool as Cedar sees it, built once. */
  private record ToolResource(EntityUID uid, Set<Entity> entities, Value toolName, Value serverName) {}

  /** What a request acts on, as Cedar sees it: the resource entity, its entities and its context members. */
  private record Subject(EntityUID action, EntityUID uid, Set<Entity> entities, Map<String, Value> context) {}

  public PolicyEngine(PolicyBundle bundle, Catalog catalog) throws PolicyException {
    this(bundle, catalog, Integer.getInteger("cedar.cache.maxPolicySets", DEFAULT_CEDAR_CACHE) / 4);
  }

  /**
   * An engine whose slicing plan may use {@code maxSlices} cached policy sets (see {@link
   * PolicySlices}); 1 evaluates the whole bundle on every request, the reference that slicing is
   * tested and measured against. The two-argument constructor allows a quarter of cedar-java's
   * process-wide cache ({@code -Dcedar.cache.maxPolicySets}, which {@code ./cmcp} sets), so that
   * the engine a reload replaces (freed only when collected) and the new one fit side by side.
   */
  public PolicyEngine(PolicyBundle bundle, Catalog catalog, int maxSlices) throws PolicyException {
    this(bundle, catalog, maxSlices, maxSlices <= 1 ? 0 : DECISION_CACHE_ENTRIES);
  }

  /**
   * As above, keeping up to {@code decisionCacheEntries} decisions (0 keeps none): the engine
   * with 0, which asks Cedar on every call, is the reference that the cache is tested and
   * measured against.
   */
  public PolicyEngine(PolicyBundle bundle, Catalog catalog, int maxSlices, int decisionCacheEntries) throws PolicyException {
    this.policiesById = new HashMap<>();
    this.bundleOrder = new HashMap<>();
    this.forbids = new HashSet<>();
    this.redactionByPolicy = new HashMap<>();
    Map<String, RateLimit> rateLimits = new HashMap<>();
    Map<String, String> approvals = new HashMap<>();
    List<PolicySlices.ScopedPolicy> policies = new ArrayList<>();
    Set<Policy> redacting = new LinkedHashSet<>();
    boolean redactingReadMoreThanEntities = false;
    ObjectMapper json = new ObjectMapper();
    for (BundlePolicy policy : bundle.policies()) {
      Policy cedarPolicy = new Policy(policy.source(), policy.id());
      policiesById.put(policy.id(), policy);
      bundleOrder.put(policy.id(), bundleOrder.size());
      boolean forbid = effectOf(cedarPolicy, policy) == Effect.FORBID;
      if (forbid) {
        forbids.add(policy.id());
      }
      Optional<JsonNode> policyJson = PolicyScope.jsonOf(cedarPolicy, json);
      boolean readsMoreThanEntities = PolicyScope.readsMoreThanEntities(policyJson);
      Redaction redaction = redactionOf(policy, forbid);
      if (!redaction.isEmpty()) {
        redactionByPolicy.put(policy.id(), redaction);
        redacting.add(cedarPolicy);
        redactingReadMoreThanEntities |= readsMoreThanEntities;
      }
      rateLimitOf(policy, forbid).ifPresent(limit -> rateLimits.put(policy.id(), limit));
      approvalOf(policy, forbid).ifPresent(reason -> approvals.put(policy.id(), reason));
      policies.add(new PolicySlices.ScopedPolicy(policies.size(), cedarPolicy, PolicyScope.of(policyJson), readsMoreThanEntities));
    }
    this.redactionDecidedByEntities = !redactingReadMoreThanEntities;
    this.decisions = decisionCacheEntries <= 0
        ? Optional.empty()
        : Optional.of(CacheBuilder.newBuilder().maximumSize(decisionCacheEntries).recordStats().build());
    this.rateLimitByPolicy = Map.copyOf(rateLimits);
    this.approvalByPolicy = Map.copyOf(approvals);
    this.redactingPermits =
        redacting.isEmpty() ? Optional.empty() : Optional.of(PolicySlices.cachedIfPossible(new PolicySet(redacting)));
    this.agent = entityType("Agent");
    this.resourceType = entityType("Resource");
    this.promptType = entityType("Prompt");
    this.actionType = entityType("Action");
    this.servers = serverEntities(catalog);
    this.tools = toolResources(catalog, servers);
    this.slices = PolicySlices.plan(policies, toolCandidates(tools),
        Map.of("read_resource", resourceType.getBaseName(), "get_prompt", promptType.getBaseName()),
        servers.values().stream().map(server -> EntityRef.of(server.getEUID())).collect(Collectors.toSet()), maxSlices);
  }

  /** How many distinct policy sets the engine evaluates requests against. */
  int distinctSlices() {
    return slices.distinctSlices();
  }

  /** How many decisions were answered from the decision cache. */
  long reusedDecisions() {
    return decisions.map(cache -> cache.stats().hitCount()).orElse(0L);
  }

  private static List<PolicySlices.ToolCandidate> toolCandidates(Map<String, ToolResource> tools) {
    return tools.entrySet().stream()
        .map(tool -> new PolicySlices.ToolCandidate(
            tool.getKey(), EntityRef.of(tool.getValue().uid()), ancestors(tool.getValue().uid(), tool.getValue().entities())))
        .toList();
  }

  /** Every ancestor of {@code uid} among {@code entities}: what {@code in} follows when Cedar evaluates. */
  private static Set<EntityRef> ancestors(EntityUID uid, Set<Entity> entities) {
    Map<EntityUID, Set<EntityUID>> parents = new HashMap<>();
    entities.forEach(entity -> parents.put(entity.getEUID(), entity.getParents()));
    Set<EntityUID> found = new HashSet<>();
    List<EntityUID> pending = new ArrayList<>(parents.getOrDefault(uid, Set.of()));
    while (!pending.isEmpty()) {
      EntityUID next = pending.removeLast();
      if (found.add(next)) {
        pending.addAll(parents.getOrDefault(next, Set.of()));
      }
    }
    return found.stream().map(EntityRef::of).collect(Collectors.toSet());
  }

  private static Redaction redactionOf(BundlePolicy policy, boolean forbid) throws PolicyException {
    Optional<String> fields = policy.annotation("redact");
    Optional<String> patterns = policy.annotation("redact_pattern");
    if (fields.isEmpty() && patterns.isEmpty()) {
      return Redaction.NONE;
    }
    if (forbid) {
      throw new PolicyException(policy.location() + ": policy " + policy.id()
          + " is a forbid; @redact and @redact_pattern belong on a permit, whose allowed answers they redact");
    }
    try {
      return Redaction.fromAnnotations(fields, patterns);
    } catch (IllegalArgumentException e) {
      throw new PolicyException(policy.location() + ": policy " + policy.id() + ": " + e.getMessage());
    }
  }

  private static Optional<RateLimit> rateLimitOf(BundlePolicy policy, boolean forbid) throws PolicyException {
    Optional<String> written = policy.annotation("rate_limit");
    if (written.isEmpty()) {
      return Optional.empty();
    }
    if (forbid) {
      throw new PolicyException(policy.location() + ": policy " + policy.id()
          + " is a forbid; @rate_limit belongs on a permit, whose allowed calls it counts");
    }
    try {
      return Optional.of(RateLimit.parse(written.get()));
    } catch (IllegalArgumentException e) {
      throw new PolicyException(policy.location() + ": policy " + policy.id() + ": @rate_limit: " + e.getMessage());
    }
  }

  private static Optional<String> approvalOf(BundlePolicy policy, boolean forbid) throws PolicyException {
    Optional<String> reason = policy.annotation("require_approval");
    if (reason.isEmpty()) {
      return Optional.empty();
    }
    if (forbid) {
      throw new PolicyException(policy.location() + ": policy " + policy.id()
          + " is a forbid; @require_approval belongs on a permit, whose allowed calls a person then approves");
    }
    if (reason.get().isBlank() || reason.get().length() > 1000) {
      throw new PolicyException(policy.location() + ": policy " + policy.id()
          + ": @require_approval needs the reason shown to the person, 1 to 1000 characters");
    }
    return reason;
  }

  /**
   * What a person is told when the call needs approval: the {@code @require_approval} texts of
   * those of {@code policyIds} that have one, in bundle order; empty when none does.
   */
  public Optional<String> approvalReason(List<String> policyIds) {
    if (approvalByPolicy.isEmpty()) {
      return Optional.empty();
    }
    List<String> reasons = inBundleOrder(policyIds).stream().map(approvalByPolicy::get).filter(Objects::nonNull).toList();
    return reasons.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", reasons));
  }

  /**
   * The {@code @rate_limit} of each of {@code policyIds} that has one, by policy id: the limits an
   * allowed call is counted against, given the permits that allowed it.
   */
  public Map<String, RateLimit> rateLimits(List<String> policyIds) {
    if (rateLimitByPolicy.isEmpty()) {
      return Map.of();
    }
    Map<String, RateLimit> limits = new HashMap<>();
    for (String id : policyIds) {
      RateLimit limit = rateLimitByPolicy.get(id);
      if (limit != null) {
        limits.put(id, limit);
      }
    }
    return limits;
  }

  /**
   * The decision for one call. Never throws: anything that goes wrong is a {@link
   * DenialCause#EVALUATION_ERROR} denial.
   */
  public PolicyDecision decide(ToolCallRequest request) {
    return decide(AccessRequest.of(request));
  }

  /**
   * The decision for one tool call, resource read or prompt. Never throws: anything that goes
   * wrong is a {@link DenialCause#EVALUATION_ERROR} denial.
   */
  public PolicyDecision decide(AccessRequest request) {
    Optional<Subject> subject = subjectOf(request.target());
    if (subject.isEmpty()) {
      return notInCatalog(request.target());
    }
    // A kept decision needs no Cedar request, but the arguments are read as for one, so that
    // arguments Cedar would be refused are refused the same way. (The principal's attributes are
    // part of the key: a decision is only kept once they were read without error.)
    Optional<PolicySlices.Slice> knownSlice = sliceOf(request);
    Optional<DecisionKey> key = knownSlice.flatMap(slice -> reusableKey(request, slice));
    Optional<PolicyDecision> reused = key.map(k -> decisions.get().getIfPresent(k));
    if (reused.isPresent()) {
      try {
        CedarValues.arguments(request.arguments());
      } catch (RuntimeException e) {
        return evaluationError(List.of(), "the request could not be built: " + Objects.toString(e.getMessage(), e.toString()))
            .withRedaction(everyRedaction());
      }
      return reused.get();
    }
    AuthorizationRequest cedarRequest;
    Set<Entity> entities;
    try {
      cedarRequest = new AuthorizationRequest(agent.of(request.principal()), subject.get().action(), subject.get().uid(),
          context(request, subject.get(), CedarValues.arguments(request.arguments())));
      entities = withPrincipal(request, subject.get().entities());
    } catch (RuntimeException e) {
      return evaluationError(List.of(), "the request could not be built: " + Objects.toString(e.getMessage(), e.toString()))
          .withRedaction(everyRedaction());
    }
    if (knownSlice.isEmpty()) {
      String why = "no policy slice for " + request.target().name();
      return evaluationError(List.of(), "the request could not be evaluated: " + why)
          .withRedaction(redactionIfForwarded(cedarRequest, entities).redaction());
    }
    PolicySlices.Slice slice = knownSlice.get();
    Evaluated evaluated = evaluate(cedarRequest, slice.policies(), entities);
    if (key.isPresent() && evaluated.repeatable()) {
      decisions.get().put(key.get(), evaluated.decision());
    }
    return evaluated.decision();
  }

  /** The slice that decides {@code request}; empty when the plan has none (which a catalog tool always has). */
  private Optional<PolicySlices.Slice> sliceOf(AccessRequest request) {
    try {
      return Optional.ofNullable(slices.forRequest(request.target(), request.principal()));
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }

  private Evaluated evaluate(AuthorizationRequest cedarRequest, PolicySet slice, Set<Entity> entities) {
    PolicyDecision decision;
    boolean answered;
    try {
      AuthorizationResponse response = cedar.isAuthorized(cedarRequest, slice, entities);
      // Cedar refusing the request itself (rather than a policy failing) says something about this
      // call's input, so such a denial is not reused for another call.
      answered = response.success.isPresent();
      decision = interpret(response);
    } catch (AuthException | RuntimeException e) {
      return new Evaluated(evaluationError(List.of(), "the request could not be evaluated: "
          + Objects.toString(e.getMessage(), e.toString())).withRedaction(redactionIfForwarded(cedarRequest, entities).redaction()),
          false);
    }
    if (decision instanceof PolicyDecision.Deny deny) {
      Obligation redaction = redactionIfForwarded(cedarRequest, entities);
      return new Evaluated(deny.withRedaction(redaction.redaction()), answered && redaction.repeatable());
    }
    return new Evaluated(decision, answered);
  }

  /** The cache key of {@code request} when its decision may be reused, and the key is small enough to keep. */
  private Optional<DecisionKey> reusableKey(AccessRequest request, PolicySlices.Slice slice) {
    if (decisions.isEmpty() || !slice.decidedByEntities() || !redactionDecidedByEntities) {
      return Optional.empty();
    }
    int chars = request.principal().length() + switch (request.target()) {
      case PolicyTarget.Tool tool -> tool.name().length();
      case PolicyTarget.Resource resource -> resource.server().length() + resource.uri().length();
      case PolicyTarget.Prompt prompt -> prompt.server().length() + prompt.upstreamName().length();
    };
    for (Map.Entry<String, JsonNode> attribute : request.principalAttributes().entrySet()) {
      chars += attribute.getKey().length() + CedarValues.spelledLength(attribute.getValue(), MAX_CACHED_KEY_CHARS - chars);
      if (chars > MAX_CACHED_KEY_CHARS) {
        return Optional.empty();
      }
    }
    return chars > MAX_CACHED_KEY_CHARS
        ? Optional.empty()
        : Optional.of(new DecisionKey(request.target(), request.principal(), request.principalAttributes()));
  }

  /**
   * The request's entities, with the principal's own entity when it has attributes (claims of its
   * access token, {@code principal.groups}); without them the principal needs no entity, as before.
   */
  private Set<Entity> withPrincipal(AccessRequest request, Set<Entity> entities) {
    if (request.principalAttributes().isEmpty()) {
      return entities;
    }
    Map<String, Value> attributes = new HashMap<>();
    request.principalAttributes().forEach((name, json) -> CedarValues.value(json).ifPresent(v -> attributes.put(name, v)));
    Set<Entity> all = new HashSet<>(entities);
    all.add(new Entity(agent.of(request.principal()), attributes, Set.of()));
    return all;
  }

  /**
   * Whether some arguments could make {@code principal}'s request on {@code target} allowed, as
   * far as the policies can tell without them: Cedar's partial evaluation with {@code
   * context.arguments} unknown. A permit that needs particular arguments keeps the target
   * visible; an unconditional forbid, or no permit that could hold, hides it. Everything else in
   * the context (workflow, session, time) is known. An evaluation failure hides the target.
   */
  public boolean couldPermit(String principal, String sessionId, String workflowId, PolicyTarget target, java.time.Instant time) {
    return couldPermit(principal, sessionId, workflowId, target, time, Map.of());
  }

  /** As above, for a principal with attributes (the claims of its access token). */
  public boolean couldPermit(String principal, String sessionId, String workflowId, PolicyTarget target, java.time.Instant time,
      Map<String, com.fasterxml.jackson.databind.JsonNode> principalAttributes) {
    Optional<Subject> subject = subjectOf(target);
    if (subject.isEmpty()) {
      return false;
    }
    try {
      AccessRequest request = new AccessRequest(principal, sessionId, workflowId, target, null, time, principalAttributes);
      PartialAuthorizationRequest partial = PartialAuthorizationRequest.builder()
          .principal(agent.of(principal))
          .action(subject.get().action())
          .resource(subject.get().uid())
          .context(context(request, subject.get(), new Unknown("arguments")))
          .build();
      PartialAuthorizationResponse response =
          cedar.isAuthorizedPartial(partial, slices.forRequest(target, principal).policies(), withPrincipal(request, subject.get().entities()));
      if (response.success.isEmpty()) {
        LOG.log(Level.WARNING, "listing {0}: Cedar could not evaluate it, so it is hidden: {1}", target.name(), response.errors);
        return false;
      }
      PartialAuthorizationSuccessResponse result = response.success.get();
      if (result.getErrored().stream().anyMatch(forbids::contains)) {
        return false;
      }
      if (result.getDecision() != null) {
        return result.getDecision() == AuthorizationSuccessResponse.Decision.Allow;
      }
      Set<String> mayHold = new HashSet<>(result.getMayBeDetermining());
      mayHold.addAll(result.getSatisfied());
      return mayHold.stream().anyMatch(id -> !forbids.contains(id));
    } catch (AuthException | RuntimeException e) {
      LOG.log(Level.WARNING, "listing {0}: cannot evaluate, so it is hidden: {1}", target.name(), e.getMessage());
      return false;
    }
  }

  private PolicyDecision.Deny notInCatalog(PolicyTarget target) {
    return switch (target) {
      case PolicyTarget.Tool tool -> new PolicyDecision.Deny(
          List.of(), Optional.empty(), DenialCause.UNSANCTIONED_TOOL, "tool " + tool.name() + " is not in the catalog");
      case PolicyTarget.Resource resource -> new PolicyDecision.Deny(
          List.of(), Optional.empty(), DenialCause.NOT_OFFERED, "server " + resource.server() + " is not in the catalog");
      case PolicyTarget.Prompt prompt -> new PolicyDecision.Deny(
          List.of(), Optional.empty(), DenialCause.NOT_OFFERED, "server " + prompt.server() + " is not in the catalog");
    };
  }

  /**
   * The obligations of the redacting permits that hold for a denied request, which advisory mode
   * still forwards. When that cannot be told, every redaction of the bundle applies: a denial
   * must never let an answer out less redacted than an allow would.
   */
  private Obligation redactionIfForwarded(AuthorizationRequest request, Set<Entity> entities) {
    if (redactingPermits.isEmpty()) {
      return new Obligation(Redaction.NONE, true);
    }
    try {
      AuthorizationResponse response = cedar.isAuthorized(request, redactingPermits.get(), entities);
      if (response.success.isEmpty()) {
        return new Obligation(everyRedaction(), true);
      }
      return new Obligation(redactionOf(response.success.get().getReason()), true);
    } catch (AuthException | RuntimeException e) {
      return new Obligation(everyRedaction(), false);
    }
  }

  private Redaction everyRedaction() {
    return redactionOf(redactionByPolicy.keySet());
  }

  private Redaction redactionOf(Collection<String> policyIds) {
    Redaction redaction = Redaction.NONE;
    for (String id : policyIds) {
      redaction = redaction.and(redactionByPolicy.getOrDefault(id, Redaction.NONE));
    }
    return redaction;
  }

  private Optional<Subject> subjectOf(PolicyTarget target) {
    return switch (target) {
      case PolicyTarget.Tool tool -> Optional.ofNullable(tools.get(tool.name())).map(resource -> new Subject(
          action(target), resource.uid(), resource.entities(),
          Map.of("server", resource.serverName(), "tool", resource.toolName())));
      case PolicyTarget.Resource resource -> Optional.ofNullable(servers.get(resource.server())).map(server ->
          subject(target, resourceType, server, Map.of("uri", new PrimString(resource.uri()))));
      case PolicyTarget.Prompt prompt -> Optional.ofNullable(servers.get(prompt.server())).map(server ->
          subject(target, promptType, server, Map.of("prompt_name", new PrimString(prompt.name()))));
    };
  }

  private Subject subject(PolicyTarget target, EntityTypeName type, Entity server, Map<String, Value> ownAttributes) {
    Map<String, Value> attributes = new HashMap<>(ownAttributes);
    attributes.put("server", server.getAttr("name"));
    attributes.put("server_domain", server.getAttr("domain"));
    EntityUID uid = type.of(target.name());
    Entity entity = new Entity(uid, attributes, Set.of(server.getEUID()));
    return new Subject(action(target), uid, Set.of(entity, server), Map.of("server", server.getAttr("name")));
  }

  private EntityUID action(PolicyTarget target) {
    return actionType.of(target.action());
  }

  private Map<String, Value> context(AccessRequest request, Subject subject, Value arguments) {
    ZonedDateTime utc = request.time().atZone(ZoneOffset.UTC);
    Map<String, Value> time = new HashMap<>();
    time.put("epoch_seconds", new PrimLong(request.time().getEpochSecond()));
    time.put("hour_utc", new PrimLong(utc.getHour()));
    time.put("minute_utc", new PrimLong(utc.getMinute()));
    time.put("day_of_week", new PrimString(utc.getDayOfWeek().name().toLowerCase(Locale.ROOT)));
    Map<String, Value> context = new HashMap<>(subject.context());
    context.put("arguments", arguments);
    context.put("session_id", new PrimString(request.sessionId()));
    context.put("workflow_id", new PrimString(request.workflowId()));
    context.put("time", new CedarMap(time));
    context.put("session", session(request.session()));
    return context;
  }

  private static CedarMap session(SessionHistory history) {
    Map<String, Value> session = new HashMap<>();
    session.put("call_count", new PrimLong(history.callCount()));
    session.put("tools_called", new CedarList(history.toolsCalled().stream().<Value>map(PrimString::new).toList()));
    session.put("sensitivity_seen", new CedarList(history.sensitivitySeen().stream().<Value>map(PrimString::new).toList()));
    session.put("denied_count", new PrimLong(history.deniedCount()));
    return new CedarMap(session);
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
    Redaction redaction = redactionOf(determining);
    return redaction.isEmpty() ? new PolicyDecision.Allow(determining) : new PolicyDecision.Redact(determining, redaction);
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

  private static Map<String, Entity> serverEntities(Catalog catalog) {
    EntityTypeName serverType = entityType("Server");
    Map<String, Entity> servers = new HashMap<>();
    for (UpstreamServer server : catalog.servers().values()) {
      Map<String, Value> attributes = new HashMap<>();
      attributes.put("name", new PrimString(server.name()));
      attributes.put("domain", new PrimString(domainOf(server)));
      servers.put(server.name(), new Entity(serverType.of(server.name()), attributes, Set.of()));
    }
    return Map.copyOf(servers);
  }

  private static Map<String, ToolResource> toolResources(Catalog catalog, Map<String, Entity> servers) throws PolicyException {
    EntityTypeName toolType = entityType("Tool");
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
