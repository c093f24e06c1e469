package dev.cmcp.gateway.ops;

import java.util.List;
import java.util.Optional;

/**
 * What the operator sees: metrics for {@code /metrics}, the readiness checks behind {@code
 * /readyz}, and the tracing of requests to {@code /mcp}.
 *
 * @param requireToken whether {@code /readyz} and {@code /metrics} need the bearer token
 *     ({@code /healthz} never does)
 * @param notices what the operator should know but does not make the gateway unready (a
 *     quarantined audit file): {@code /readyz} prints them after {@code ready}
 */
public record Operations(
    GatewayMetrics metrics, List<ReadinessCheck> readiness, boolean requireToken, Tracing tracing, List<String> notices) {

  public Operations {
    readiness = List.copyOf(readiness);
    java.util.Objects.requireNonNull(tracing);
    notices = List.copyOf(notices);
  }

  /** Without notices. */
  public Operations(GatewayMetrics metrics, List<ReadinessCheck> readiness, boolean requireToken, Tracing tracing) {
    this(metrics, readiness, requireToken, tracing, List.of());
  }

  /** Without tracing or notices. */
  public Operations(GatewayMetrics metrics, List<ReadinessCheck> readiness, boolean requireToken) {
    this(metrics, readiness, requireToken, Tracing.off(), List.of());
  }

  /** One condition of readiness. */
  @FunctionalInterface
  public interface ReadinessCheck {
    /** Empty when satisfied; otherwise why not, in words for the operator. */
    Optional<String> problem();
  }

  /** Why the gateway is not ready; empty when it is. */
  public List<String> problems() {
    return readiness.stream().map(ReadinessCheck::problem).flatMap(Optional::stream).toList();
  }
}
