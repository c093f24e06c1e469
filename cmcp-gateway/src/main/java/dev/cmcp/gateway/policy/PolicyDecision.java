package dev.cmcp.gateway.policy;

import java.util.List;
import java.util.Optional;

/** The outcome of evaluating one tool call against the bundle. */
public sealed interface PolicyDecision permits PolicyDecision.Allow, PolicyDecision.Deny {

  /**
   * The ids of the policies that determined the decision: the satisfied permits of an allow, the
   * satisfied forbids of a forbidden call, the failing policies of an evaluation error, none
   * otherwise. For the audit log, not for the agent.
   */
  List<String> policyIds();

  /** At least one permit was satisfied and no forbid was. */
  record Allow(List<String> policyIds) implements PolicyDecision {
    public Allow {
      policyIds = List.copyOf(policyIds);
    }
  }

  /**
   * The call must not proceed (in enforcing mode).
   *
   * @param reason the {@code @reason} text of the first determining forbid that has one: the only
   *     part of a denial meant for the agent
   * @param detail for the operator and the audit log: which rule or error, never argument values
   */
  record Deny(List<String> policyIds, Optional<String> reason, DenialCause cause, String detail)
      implements PolicyDecision {
    public Deny {
      policyIds = List.copyOf(policyIds);
    }
  }
}
