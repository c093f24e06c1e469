package dev.cmcp.gateway.policy;

/** Why a request was denied. */
public enum DenialCause {
  /** A satisfied {@code forbid} policy. */
  FORBIDDEN_BY_POLICY,
  /** No {@code permit} policy was satisfied: Cedar denies by default. */
  NO_PERMIT,
  /** The tool is not in the catalog; policies were not consulted. */
  UNSANCTIONED_TOOL,
  /** No catalog server offers the resource or prompt; policies were not consulted. */
  NOT_OFFERED,
  /**
   * The upstream's definition of a pinned tool no longer hashes to the catalog's {@code
   * definition_hash}: the tool may have been changed under the approval ("rug pull").
   */
  TOOL_DEFINITION_CHANGED,
  /**
   * An authenticated caller declared a workflow that {@code auth} does not allow it; policies were
   * not consulted, since a permit for that workflow was not written for this caller.
   */
  WORKFLOW_NOT_ALLOWED,
  /** Cedar could not evaluate a policy, or the request could not be built: fail closed. */
  EVALUATION_ERROR,
  /**
   * Allowed by the policy, but over a rate limit: a permit's {@code @rate_limit} or the config's
   * {@code rate_limits:}. Answered with HTTP 429 and {@code Retry-After}.
   */
  RATE_LIMITED,
  /** A permit's {@code @require_approval} was asked and the person declined. */
  APPROVAL_DECLINED,
  /** The person cancelled (dismissed) the approval question. */
  APPROVAL_CANCELLED,
  /** Nobody answered the approval question within {@code approval_timeout_seconds}. */
  APPROVAL_TIMEOUT,
  /**
   * The approval could not be asked: the agent's client takes no SSE answer, did not declare the
   * elicitation capability, or the question could not be audited.
   */
  APPROVAL_UNAVAILABLE;

  /**
   * Whether the request is refused even in advisory and silent modes. These causes are not about
   * policy: there is no approved upstream to forward to, or what would be called is not what was
   * approved, and no mode is meant to let that through.
   */
  public boolean blocksInEveryMode() {
    return this == UNSANCTIONED_TOOL || this == NOT_OFFERED || this == TOOL_DEFINITION_CHANGED || this == WORKFLOW_NOT_ALLOWED;
  }

  /** The word in the audit log's {@code cause} and the denial's {@code data.cause}. */
  public String word() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
