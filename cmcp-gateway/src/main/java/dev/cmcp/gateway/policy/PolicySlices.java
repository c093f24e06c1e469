package dev.cmcp.gateway.policy;

import com.cedarpolicy.model.exception.CacheException;
import com.cedarpolicy.model.policy.Policy;
import com.cedarpolicy.model.policy.PolicySet;
import dev.cmcp.gateway.policy.PolicyScope.Candidate;
import dev.cmcp.gateway.policy.PolicyScope.EntityRef;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * The bundle cut, once at load, into the policy sets that requests can match, so that Cedar
 * evaluates only the policies whose scope could hold rather than the whole bundle.
 *
 * <p>A tool call gets the slice of its tool and principal: the policies whose action constraint
 * admits {@code Action::"call_tool"}, whose resource constraint admits the tool (following the
 * entity hierarchy: {@code resource in Server::"crm"} holds for every tool of {@code crm}), and
 * whose principal constraint admits the principal. Principals reach Cedar with no parents (the
 * engine sends no principal entity), so {@code principal in Agent::"a"} holds only for {@code
 * "a"}; each principal a policy names gets its own slice, and every other principal shares one.
 * Resource reads and prompts, whose resource entity is built per request, get one slice per
 * action. Policies with an unconstrained scope part are in every slice that part allows, forbids
 * exactly like permits; a slice only ever leaves out policies whose scope cannot match (see
 * {@link PolicyScope}).
 *
 * <p>Each distinct slice is one policy set in cedar-java's native cache, which holds a limited
 * number of sets per process ({@code cedar.cache.maxPolicySets}, 1024 by default) shared with the
 * engine a reload replaces. So a plan may use {@code maxSlices} sets; past that, tools share
 * slices (the union of theirs) in {@code maxSlices - 2} groups. Should caching still fail, the
 * slice is evaluated uncached: slower, never different.
 */
final class PolicySlices {

  private static final System.Logger LOG = System.getLogger("cmcp.policy");

  /**
   * A policy with its scope and its place in the bundle; {@code readsMoreThanEntities} when it may
   * read the context or anything else that differs between two calls with the same principal,
   * action and resource (see {@link PolicyScope#readsMoreThanEntities}).
   */
  record ScopedPolicy(int order, Policy policy, PolicyScope scope, boolean readsMoreThanEntities) {}

  /**
   * One slice: its policy set, and whether its decisions depend only on the request's principal
   * (with its attributes), action and resource, so that the engine may reuse them.
   */
  record Slice(PolicySet policies, boolean decidedByEntities) {}

  /** A catalog tool as slicing sees it: its entity and every ancestor of it. */
  record ToolCandidate(String name, EntityRef entity, Set<EntityRef> ancestors) {}

  /** The slices of one tool: one per principal that some policy names, and one for every other principal. */
  private record ToolSlices(Map<String, Slice> byPrincipal, Slice otherPrincipals) {}

  private static final String AGENT = "Agent";
  private static final String ACTION = "Action";

  private final Map<String, ToolSlices> byTool;
  private final Map<String, Slice> byAction;
  private final int distinctSlices;

  private PolicySlices(Map<String, ToolSlices> byTool, Map<String, Slice> byAction, int distinctSlices) {
    this.byTool = Map.copyOf(byTool);
    this.byAction = Map.copyOf(byAction);
    this.distinctSlices = distinctSlices;
  }

  /**
   * Cuts {@code policies} for {@code tools} and for the actions of {@code otherTargets} (action
   * id to resource entity type), whose resources may be children of any of {@code servers}.
   * {@code maxSlices} of 1 puts the whole bundle in one set: no slicing.
   */
  static PolicySlices plan(
      List<ScopedPolicy> policies, Collection<ToolCandidate> tools, Map<String, String> otherTargets,
      Set<EntityRef> servers, int maxSlices) {
    Interner interner = new Interner(policies);
    if (maxSlices <= 1) {
      List<Integer> all = policies.stream().map(ScopedPolicy::order).toList();
      Slice whole = interner.set(all);
      Map<String, ToolSlices> byTool = new HashMap<>();
      tools.forEach(tool -> byTool.put(tool.name(), new ToolSlices(Map.of(), whole)));
      Map<String, Slice> byAction = new HashMap<>();
      otherTargets.keySet().forEach(action -> byAction.put(action, whole));
      return new PolicySlices(byTool, byAction, interner.size());
    }
    Map<String, List<Integer>> forActions = new HashMap<>();
    otherTargets.forEach((action, type) -> forActions.put(action, matching(policies,
        new Candidate.AnyOf(AGENT, Set.of(), Set.of()), action, new Candidate.AnyOf(type, Set.of(), servers))));
    Map<String, List<Integer>> toolOnly = new HashMap<>();
    ResourceIndex index = new ResourceIndex(policies);
    for (ToolCandidate tool : tools) {
      toolOnly.put(tool.name(), matching(index.mayConcern(tool), new Candidate.AnyOf(AGENT, Set.of(), Set.of()), "call_tool",
          new Candidate.Exactly(tool.entity(), tool.ancestors())));
    }
    Map<String, PrincipalSplit> splits = new HashMap<>();
    Set<List<Integer>> distinct = new HashSet<>(forActions.values());
    for (ToolCandidate tool : tools) {
      PrincipalSplit split = splitByPrincipal(toolOnly.get(tool.name()).stream().map(policies::get).toList());
      splits.put(tool.name(), split);
      distinct.addAll(split.named().values());
      distinct.add(split.others());
    }
    Map<String, ToolSlices> byTool = new HashMap<>();
    if (distinct.size() <= maxSlices) {
      for (ToolCandidate tool : tools) {
        PrincipalSplit split = splits.get(tool.name());
        Map<String, Slice> sets = new HashMap<>();
        split.named().forEach((principal, slice) -> sets.put(principal, interner.set(slice)));
        byTool.put(tool.name(), new ToolSlices(sets, interner.set(split.others())));
      }
    } else {
      int groups = Math.max(1, maxSlices - forActions.size());
      Map<Integer, TreeSet<Integer>> unions = new HashMap<>();
      for (ToolCandidate tool : tools) {
        unions.computeIfAbsent(groupOf(tool.name(), groups), g -> new TreeSet<>()).addAll(toolOnly.get(tool.name()));
      }
      for (ToolCandidate tool : tools) {
        byTool.put(tool.name(), new ToolSlices(Map.of(), interner.set(List.copyOf(unions.get(groupOf(tool.name(), groups))))));
      }
    }
    Map<String, Slice> byAction = new HashMap<>();
    forActions.forEach((action, slice) -> byAction.put(action, interner.set(slice)));
    return new PolicySlices(byTool, byAction, interner.size());
  }

  /** One tool's candidates cut by principal: for each principal they name (by id), and for any other. */
  private record PrincipalSplit(Map<String, List<Integer>> named, List<Integer> others) {}

  private static PrincipalSplit splitByPrincipal(List<ScopedPolicy> candidates) {
    Set<EntityRef> named = new HashSet<>();
    candidates.forEach(policy -> policy.scope().principal().named().stream()
        .filter(entity -> entity.type().equals(AGENT)).forEach(named::add));
    Map<String, List<Integer>> perPrincipal = new HashMap<>();
    for (EntityRef principal : named) {
      perPrincipal.put(principal.id(), orders(candidates, p -> p.scope().principal().couldMatch(
          new Candidate.Exactly(principal, Set.of()))));
    }
    List<Integer> others = orders(candidates, p -> p.scope().principal().couldMatch(
        new Candidate.AnyOf(AGENT, named, Set.of())));
    return new PrincipalSplit(perPrincipal, others);
  }

  /**
   * {@code set}, parsed once into cedar-java's native cache when there is room; otherwise cedar-java
   * sends and re-parses its policies on every request: slower, never different. The cache is
   * shared by the process and freed only as engines are collected, so a burst of reloads (or of
   * engines in a test run) can fill it; that must not stop a bundle from loading.
   */
  static PolicySet cachedIfPossible(PolicySet set) {
    try {
      set.cache();
    } catch (CacheException e) {
      LOG.log(Level.WARNING, "a policy set of {0} policies is evaluated uncached (slower): {1}", set.getNumPolicies(), e.getMessage());
    }
    return set;
  }

  /** The policies that could decide a request on {@code target} by {@code principal}. */
  Slice forRequest(PolicyTarget target, String principal) {
    return switch (target) {
      case PolicyTarget.Tool tool -> {
        ToolSlices slices = byTool.get(tool.name());
        if (slices == null) {
          throw new IllegalStateException("tool " + tool.name() + " has no policy slice; it is not in the catalog");
        }
        yield slices.byPrincipal().getOrDefault(principal, slices.otherPrincipals());
      }
      case PolicyTarget.Resource resource -> byAction.get(resource.action());
      case PolicyTarget.Prompt prompt -> byAction.get(prompt.action());
    };
  }

  /** How many distinct policy sets the plan holds. */
  int distinctSlices() {
    return distinctSlices;
  }

  private static int groupOf(String toolName, int groups) {
    return Math.floorMod(toolName.hashCode(), groups);
  }

  private static List<Integer> matching(List<ScopedPolicy> policies, Candidate principal, String action, Candidate resource) {
    Candidate actionCandidate = new Candidate.Exactly(new EntityRef(ACTION, action), Set.of());
    return orders(policies, p -> p.scope().principal().couldMatch(principal)
        && p.scope().action().couldMatch(actionCandidate)
        && p.scope().resource().couldMatch(resource));
  }

  private static List<Integer> orders(List<ScopedPolicy> policies, Predicate<ScopedPolicy> keep) {
    return policies.stream().filter(keep).map(ScopedPolicy::order).toList();
  }

  /**
   * The policies by the entities their resource constraint names, so that slicing looks at each
   * tool's few candidates rather than at every policy for every tool. A policy whose resource
   * constraint names entities ({@code ==}, {@code in}, {@code is ... in}) can only match a tool
   * that is one of them or below one of them; the others are candidates for every tool.
   */
  private static final class ResourceIndex {
    private final List<ScopedPolicy> forEveryTool = new ArrayList<>();
    private final Map<EntityRef, List<ScopedPolicy>> byNamedEntity = new HashMap<>();

    ResourceIndex(List<ScopedPolicy> policies) {
      for (ScopedPolicy policy : policies) {
        Set<EntityRef> named = policy.scope().resource().named();
        if (named.isEmpty()) {
          forEveryTool.add(policy);
        } else {
          named.forEach(entity -> byNamedEntity.computeIfAbsent(entity, e -> new ArrayList<>()).add(policy));
        }
      }
    }

    /** A superset of the policies whose resource constraint can match {@code tool}, in bundle order. */
    List<ScopedPolicy> mayConcern(ToolCandidate tool) {
      TreeSet<ScopedPolicy> found = new TreeSet<>(Comparator.comparingInt(ScopedPolicy::order));
      found.addAll(forEveryTool);
      found.addAll(byNamedEntity.getOrDefault(tool.entity(), List.of()));
      tool.ancestors().forEach(ancestor -> found.addAll(byNamedEntity.getOrDefault(ancestor, List.of())));
      return List.copyOf(found);
    }
  }

  /** Builds one cached policy set per distinct slice, so that tools with the same slice share it. */
  private static final class Interner {
    private final List<ScopedPolicy> policies;
    private final Map<List<Integer>, Slice> sets = new HashMap<>();

    Interner(List<ScopedPolicy> policies) {
      this.policies = policies;
    }

    Slice set(List<Integer> slice) {
      return sets.computeIfAbsent(slice, this::cached);
    }

    int size() {
      return sets.size();
    }

    private Slice cached(List<Integer> slice) {
      Set<Policy> members = new LinkedHashSet<>();
      slice.forEach(order -> members.add(policies.get(order).policy()));
      boolean decidedByEntities = slice.stream().noneMatch(order -> policies.get(order).readsMoreThanEntities());
      return new Slice(cachedIfPossible(new PolicySet(members)), decidedByEntities);
    }
  }
}
