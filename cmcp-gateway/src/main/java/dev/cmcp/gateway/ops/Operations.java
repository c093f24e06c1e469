package dev.cmcp.gateway.ops;

import java.util.List;
import java.util.Optional;

/**
 * What the operator's endpoints report: metrics for {@code /metrics}, and the readiness checks
 * behind {@code /readyz}.
 *
 * @param requireToken whether {@code /readyz} and {@code /metrics} need the bearer token
 *     ({@code /healthz} never does)
 */
public record Operations(GatewayMetrics metrics, List<ReadinessCheck> readiness, boolean requireToken) {

  public Operations {
    readiness = List.copyOf(readiness);
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
