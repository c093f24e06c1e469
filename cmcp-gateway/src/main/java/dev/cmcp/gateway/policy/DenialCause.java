package dev.cmcp.gateway.policy;

/** Why a tool call was denied. */
public enum DenialCause {
  /** A satisfied {@code forbid} policy. */
  FORBIDDEN_BY_POLICY,
  /** No {@code permit} policy was satisfied: Cedar denies by default. */
  NO_PERMIT,
  /** The tool is not in the catalog; policies were not consulted. */
  UNSANCTIONED_TOOL,
  /** Cedar could not evaluate a policy, or the request could not be built: fail closed. */
  EVALUATION_ERROR
}
