package dev.cmcp.gateway.config;

import java.time.Duration;
import java.util.Objects;

/**
 * The {@code limits:} section of cmcp-config.yaml: what one client, or all of them together, may
 * hold of the gateway. Each bounds something an attacker controls; docs/configuration.md gives
 * the reasoning behind each default.
 *
 * @param sessionIdleTimeout limits.session_idle_timeout_seconds: a session unused this long is ended
 * @param maxSessions limits.max_sessions: open sessions in all; when full, the one idle longest is ended
 * @param maxSessionsPerPrincipal limits.max_sessions_per_principal: open sessions of one principal;
 *     when full, that principal's session idle longest is ended
 * @param maxConnections limits.max_connections: open TCP connections in all
 * @param maxConnectionsPerAddress limits.max_connections_per_address: open connections from one
 *     client IP address; 0 for no limit (behind a proxy every client has the proxy's address)
 * @param minRequestBodyBytesPerSecond limits.min_request_body_bytes_per_second: a request body
 *     arriving slower than this on average is dropped
 * @param maxRequestBytesInFlight limits.max_request_bytes_in_flight: request bodies held at once, in
 *     all; past it new requests are answered 503
 * @param maxJsonValues limits.max_json_values: JSON values (each scalar, array and object) in one
 *     request; counted while reading, before anything else is done with it
 */
public record GatewayLimits(
    Duration sessionIdleTimeout,
    int maxSessions,
    int maxSessionsPerPrincipal,
    int maxConnections,
    int maxConnectionsPerAddress,
    long minRequestBodyBytesPerSecond,
    long maxRequestBytesInFlight,
    int maxJsonValues) {

  /** The defaults of docs/configuration.md. */
  public static final GatewayLimits DEFAULTS =
      new GatewayLimits(Duration.ofMinutes(30), 10_000, 1_000, 4_096, 256, 1_024, 64L * 1024 * 1024, 100_000);

  public GatewayLimits {
    Objects.requireNonNull(sessionIdleTimeout);
  }
}
