package dev.cmcp.gateway.config;

import java.net.URI;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The telemetry: section: where OpenTelemetry traces go, if anywhere.
 *
 * @param tracesEndpoint telemetry.traces_endpoint: the OTLP/HTTP traces URL of a collector
 *     ({@code http://collector:4318/v1/traces}); empty: tracing is off
 * @param samplingRatio telemetry.sampling_ratio: the share of traces begun here that are
 *     recorded, from 0 to 1; a trace an agent began follows the agent's sampling decision
 * @param resourceAttributes telemetry.resource_attributes: added to every span's resource
 *     ({@code deployment.environment.name: prod}, ...)
 */
public record Telemetry(Optional<URI> tracesEndpoint, double samplingRatio, Map<String, String> resourceAttributes) {

  public static final Telemetry OFF = new Telemetry(Optional.empty(), 1.0, Map.of());

  public Telemetry {
    Objects.requireNonNull(tracesEndpoint);
    if (!(samplingRatio >= 0 && samplingRatio <= 1)) {
      throw new IllegalArgumentException("sampling ratio " + samplingRatio + " is not between 0 and 1");
    }
    resourceAttributes = Map.copyOf(resourceAttributes);
  }

  public boolean tracing() {
    return tracesEndpoint.isPresent();
  }
}
