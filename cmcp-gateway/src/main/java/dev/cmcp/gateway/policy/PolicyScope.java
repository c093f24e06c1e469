package dev.cmcp.gateway.policy;

import com.cedarpolicy.model.exception.InternalException;
import com.cedarpolicy.model.policy.Policy;
import com.cedarpolicy.serializer.JsonEUID;
import com.cedarpolicy.value.EntityUID;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

/**
 * The scope of one policy (its {@code principal}, {@code action} and {@code resource} constraints),
 * read from Cedar's own JSON form of the policy, and whether a request could fall inside it.
 *
 * <p>Cedar evaluates a policy as its scope constraints and-ed with its conditions, scope first,
 * so a policy whose scope does not match a request is neither satisfied nor errors for it: leaving
 * it out of that request's policy set changes neither the decision nor the determining policies.
 * Every answer here may only err towards "could match"; anything not understood (a template
 * slot, a form this code does not know) counts as matching everything.
 */
record PolicyScope(Constraint principal, Constraint action, Constraint resource) {

  /** The scope that matches every request: what a policy whose scope cannot be read is given. */
  static final PolicyScope EVERYTHING = new PolicyScope(new Constraint.Any(), new Constraint.Any(), new Constraint.Any());

  /** An entity as policies name it: type (with namespace, if any) and id. */
  record EntityRef(String type, String id) {
    static EntityRef of(EntityUID uid) {
      JsonEUID json = uid.asJson();
      return new EntityRef(json.type, json.id);
    }
  }

  /**
   * What is known about a request's principal, action or resource when its slice is chosen.
   * Ancestors are all of them (parents of parents too), as the entities sent to Cedar define them.
   */
  sealed interface Candidate {
    /** One entity, known exactly. */
    record Exactly(EntityRef entity, Set<EntityRef> ancestors) implements Candidate {}

    /** Any entity of {@code type} except those in {@code excluded}, whose ancestors are among {@code possibleAncestors}. */
    record AnyOf(String type, Set<EntityRef> excluded, Set<EntityRef> possibleAncestors) implements Candidate {}
  }

  /** One of Cedar's scope constraints. */
  sealed interface Constraint {

    boolean couldMatch(Candidate candidate);

    /** The entities the constraint names (for {@code ==} and {@code in}); empty for the others. */
    Set<EntityRef> named();

    /** No constraint ({@code principal}, {@code action}, {@code resource} alone). */
    record Any() implements Constraint {
      @Override
      public boolean couldMatch(Candidate candidate) {
        return true;
      }

      @Override
      public Set<EntityRef> named() {
        return Set.of();
      }
    }

    /** {@code == E}. */
    record Equals(EntityRef entity) implements Constraint {
      @Override
      public boolean couldMatch(Candidate candidate) {
        return switch (candidate) {
          case Candidate.Exactly exactly -> exactly.entity().equals(entity);
          case Candidate.AnyOf any -> any.type().equals(entity.type()) && !any.excluded().contains(entity);
        };
      }

      @Override
      public Set<EntityRef> named() {
        return Set.of(entity);
      }
    }

    /** {@code in E} or {@code in [E1, E2]}: the entity is one of them or a descendant of one. */
    record In(Set<EntityRef> entities) implements Constraint {
      public In {
        entities = Set.copyOf(entities);
      }

      @Override
      public boolean couldMatch(Candidate candidate) {
        return entities.stream().anyMatch(entity -> switch (candidate) {
          case Candidate.Exactly exactly -> exactly.entity().equals(entity) || exactly.ancestors().contains(entity);
          case Candidate.AnyOf any ->
              (any.type().equals(entity.type()) && !any.excluded().contains(entity)) || any.possibleAncestors().contains(entity);
        });
      }

      @Override
      public Set<EntityRef> named() {
        return entities;
      }
    }

    /** {@code is T}, or {@code is T in E} when {@code in} is present. */
    record Is(String type, Optional<In> in) implements Constraint {
      @Override
      public boolean couldMatch(Candidate candidate) {
        String candidateType = switch (candidate) {
          case Candidate.Exactly exactly -> exactly.entity().type();
          case Candidate.AnyOf any -> any.type();
        };
        return candidateType.equals(type) && in.map(constraint -> constraint.couldMatch(candidate)).orElse(true);
      }

      @Override
      public Set<EntityRef> named() {
        return in.map(In::named).orElse(Set.of());
      }
    }
  }

  /** Cedar's own JSON form of {@code policy}; empty when Cedar cannot give it. */
  static Optional<JsonNode> jsonOf(Policy policy, ObjectMapper json) {
    try {
      return Optional.of(json.readTree(policy.toJson()));
    } catch (InternalException | JsonProcessingException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /** The scope of a policy given its JSON form; {@link #EVERYTHING} when there is none. */
  static PolicyScope of(Optional<JsonNode> policyJson) {
    if (policyJson.isEmpty()) {
      return EVERYTHING;
    }
    JsonNode est = policyJson.get();
    try {
      return new PolicyScope(constraint(est.get("principal")), constraint(est.get("action")), constraint(est.get("resource")));
    } catch (RuntimeException e) {
      return EVERYTHING;
    }
  }

  /**
   * Whether a policy may read anything but {@code principal}, {@code action} and {@code
   * resource} (and their attributes): {@code context}, or any variable this code does not know.
   * Only the policy's JSON form is trusted here, so a policy without one counts as reading
   * everything. A policy that does not is decided by the request's principal, action and resource
   * alone, which is what lets the engine reuse its decisions.
   */
  static boolean readsMoreThanEntities(Optional<JsonNode> policyJson) {
    if (policyJson.isEmpty()) {
      return true;
    }
    java.util.ArrayDeque<JsonNode> pending = new java.util.ArrayDeque<>();
    pending.push(policyJson.get());
    while (!pending.isEmpty()) {
      JsonNode node = pending.pop();
      JsonNode variable = node.get("Var");
      if (node.isObject() && variable != null && !ENTITY_VARIABLES.contains(variable.asText())) {
        return true;
      }
      if (node.isObject() && (node.has("slot") || node.has("Slot") || node.has("unknown") || node.has("Unknown"))) {
        return true;
      }
      if (node.isContainerNode()) {
        node.forEach(pending::push);
      }
    }
    return false;
  }

  private static final Set<String> ENTITY_VARIABLES = Set.of("principal", "action", "resource");

  private static Constraint constraint(JsonNode node) {
    if (node == null || !node.path("op").isTextual()) {
      return new Constraint.Any();
    }
    Optional<Constraint> read = switch (node.get("op").asText()) {
      case "==" -> entity(node.get("entity")).map(Constraint.Equals::new);
      case "in" -> in(node).map(Constraint.class::cast);
      case "is" -> isConstraint(node);
      default -> Optional.empty(); // "All", and anything newer
    };
    return read.orElseGet(Constraint.Any::new);
  }

  private static Optional<Constraint> isConstraint(JsonNode node) {
    if (!node.path("entity_type").isTextual()) {
      return Optional.empty();
    }
    if (!node.has("in")) {
      return Optional.of(new Constraint.Is(node.get("entity_type").asText(), Optional.empty()));
    }
    return in(node.get("in")).map(in -> new Constraint.Is(node.get("entity_type").asText(), Optional.of(in)));
  }

  /** {@code {"entity": E}} or {@code {"entities": [E, ...]}}; a slot or anything else is not read. */
  private static Optional<Constraint.In> in(JsonNode node) {
    if (node.has("entity")) {
      return entity(node.get("entity")).map(entity -> new Constraint.In(Set.of(entity)));
    }
    if (node.path("entities").isArray()) {
      Set<EntityRef> entities = new HashSet<>();
      for (JsonNode element : node.get("entities")) {
        Optional<EntityRef> entity = entity(element);
        if (entity.isEmpty()) {
          return Optional.empty();
        }
        entities.add(entity.get());
      }
      return Optional.of(new Constraint.In(entities));
    }
    return Optional.empty();
  }

  /** Cedar's JSON entity reference: {@code {"type": T, "id": I}}, possibly wrapped as {@code {"__entity": ...}}. */
  private static Optional<EntityRef> entity(JsonNode node) {
    if (node == null) {
      return Optional.empty();
    }
    JsonNode reference = node.has("__entity") ? node.get("__entity") : node;
    if (reference.path("type").isTextual() && reference.path("id").isTextual()) {
      return Optional.of(new EntityRef(reference.get("type").asText(), reference.get("id").asText()));
    }
    return Optional.empty();
  }
}
