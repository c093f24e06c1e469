package dev.cmcp.gateway.ops;

import java.util.List;
import java.util.Optional;

/**
 * What the operator's endpoints report: metrics for {@code /metrics}, and the readiness checks
 * behind {@code /readyz}.
 *
 * @param requireToken whether {@code /readyz} and {@code /metrics} need the bearer token
 *     ({@code /healthz} never does)
 * @param notices what the operator should know but does not make the gateway unready (a
 *     quarantined audit file): {@code /readyz} prints them after {@code ready}
 */
public record Operations(GatewayMetrics metrics, List<ReadinessCheck> readiness, boolean requireToken, List<String> notices) {

  public Operations {
    readiness = List.copyOf(readiness);
    notices = List.copyOf(notices);
  }

  /** Without notices. */
  public Operations(GatewayMetrics metrics, List<ReadinessCheck> readiness, boolean requireToken) {
    this(metrics, readiness, requireToken, List.of());
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
