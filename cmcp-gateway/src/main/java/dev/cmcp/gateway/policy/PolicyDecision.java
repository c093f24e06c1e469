package dev.cmcp.gateway.policy;

import dev.cmcp.gateway.redaction.Redaction;
import java.util.List;
import java.util.Optional;

/** The outcome of evaluating one request (a tool call, a resource read, a prompt) against the bundle. */
public sealed interface PolicyDecision permits PolicyDecision.Allow, PolicyDecision.Redact, PolicyDecision.Deny {

  /**
   * The ids of the policies that determined the decision: the satisfied permits of an allow, the
   * satisfied forbids of a forbidden call, the failing policies of an evaluation error, none
   * otherwise. For the audit log, not for the agent.
   */
  List<String> policyIds();

  /**
   * What must be redacted from the answer if the request is forwarded: the {@code @redact} and
   * {@code @redact_pattern} obligations of every satisfied permit. A denial carries them too,
   * because advisory mode forwards denied calls, and a denial must not strip the obligations of
   * the permits that also matched.
   */
  Redaction redaction();

  /** {@code allow}, {@code redact} or {@code deny}: the decision as the audit log and claims name it. */
  String word();

  /** At least one permit was satisfied, none of them carries a redaction, and no forbid was satisfied. */
  record Allow(List<String> policyIds) implements PolicyDecision {
    public Allow {
      policyIds = List.copyOf(policyIds);
    }

    @Override
    public Redaction redaction() {
      return Redaction.NONE;
    }

    @Override
    public String word() {
      return "allow";
    }
  }

  /** Allowed, with an obligation: a satisfied permit asks for parts of the answer to be redacted. */
  record Redact(List<String> policyIds, Redaction redaction) implements PolicyDecision {
    public Redact {
      policyIds = List.copyOf(policyIds);
      if (redaction.isEmpty()) {
        throw new IllegalArgumentException("a redact decision needs something to redact; use Allow");
      }
    }

    @Override
    public String word() {
      return "redact";
    }
  }

  /**
   * The request must not proceed (in enforcing mode, or whatever the mode for {@link
   * DenialCause#blocksInEveryMode() some causes}).
   *
   * @param reason the {@code @reason} text of the first determining forbid that has one: the only
   *     part of a denial meant for the agent
   * @param detail for the operator and the audit log: which rule or error, never argument values
   * @param redaction applies if advisory mode forwards the call anyway
   */
  record Deny(List<String> policyIds, Optional<String> reason, DenialCause cause, String detail, Redaction redaction)
      implements PolicyDecision {
    public Deny {
      policyIds = List.copyOf(policyIds);
    }

    /** A denial with nothing to redact should it be forwarded. */
    public Deny(List<String> policyIds, Optional<String> reason, DenialCause cause, String detail) {
      this(policyIds, reason, cause, detail, Redaction.NONE);
    }

    public Deny withRedaction(Redaction ifForwarded) {
      return new Deny(policyIds, reason, cause, detail, ifForwarded);
    }

    @Override
    public String word() {
      return "deny";
    }
  }
}
