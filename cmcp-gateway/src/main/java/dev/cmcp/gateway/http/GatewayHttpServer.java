package dev.cmcp.gateway.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cmcp.gateway.auth.Authenticator;
import dev.cmcp.gateway.auth.RefusalLog;
import dev.cmcp.gateway.config.GatewayLimits;
import dev.cmcp.gateway.config.ListenAddress;
import dev.cmcp.gateway.mcp.McpEndpoint;
import dev.cmcp.gateway.ops.Operations;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.VirtualThreadPool;

/** The gateway's HTTP listener: Jetty core on virtual threads, one blocking request per thread. */
// close() passes on Jetty's Server.stop(), which declares Exception; callers catch it whole.
@SuppressWarnings("try")
public final class GatewayHttpServer implements AutoCloseable {

  private static final Duration IDLE_TIMEOUT = Duration.ofSeconds(60);

  private final Server server;
  private final ServerConnector connector;

  public GatewayHttpServer(
      ListenAddress address, McpEndpoint endpoint, Optional<String> bearerToken, List<String> allowedOrigins, ObjectMapper json) {
    this(address, endpoint, bearerToken, allowedOrigins, json, Optional.empty());
  }

  /** @param operations what {@code /readyz} and {@code /metrics} report; without it they are not served */
  public GatewayHttpServer(
      ListenAddress address, McpEndpoint endpoint, Optional<String> bearerToken, List<String> allowedOrigins, ObjectMapper json,
      Optional<Operations> operations) {
    this(address, endpoint, bearerToken, allowedOrigins, json, operations, GatewayLimits.DEFAULTS);
  }

  /** @param limits connections, request bodies */
  public GatewayHttpServer(
      ListenAddress address, McpEndpoint endpoint, Optional<String> bearerToken, List<String> allowedOrigins, ObjectMapper json,
      Optional<Operations> operations, GatewayLimits limits) {
    this(address, endpoint, bearerToken, allowedOrigins, json, operations, IDLE_TIMEOUT, McpHandler.BODY_TIMEOUT,
        McpHandler.BODY_GRACE, limits);
  }

  GatewayHttpServer(
      ListenAddress address, McpEndpoint endpoint, Optional<String> bearerToken, List<String> allowedOrigins, ObjectMapper json,
      Optional<Operations> operations, Duration idleTimeout, Duration bodyTimeout) {
    this(address, endpoint, bearerToken, allowedOrigins, json, operations, idleTimeout, bodyTimeout, McpHandler.BODY_GRACE,
        GatewayLimits.DEFAULTS);
  }

  /**
   * @param idleTimeout how long a connection may send nothing before it is closed
   * @param bodyTimeout how long a request body may take to arrive in all
   * @param bodyGrace how long a request body may take before the minimum data rate applies
   */
  GatewayHttpServer(
      ListenAddress address, McpEndpoint endpoint, Optional<String> bearerToken, List<String> allowedOrigins, ObjectMapper json,
      Optional<Operations> operations, Duration idleTimeout, Duration bodyTimeout, Duration bodyGrace, GatewayLimits limits) {
    this(address, endpoint, bearerToken.map(Authenticator::sharedToken).orElseGet(Authenticator::none),
        new RefusalLog(Optional.empty(), java.time.Clock.systemUTC(), 100), allowedOrigins, json, operations, idleTimeout,
        bodyTimeout, bodyGrace, limits);
  }

  /**
   * @param authenticator who may call, decided before anything else of a request is read
   * @param refusals where refused requests are recorded
   * @param limits connections, request bodies
   */
  public GatewayHttpServer(
      ListenAddress address, McpEndpoint endpoint, Authenticator authenticator, RefusalLog refusals, List<String> allowedOrigins,
      ObjectMapper json, Optional<Operations> operations, GatewayLimits limits) {
    this(address, endpoint, authenticator, refusals, allowedOrigins, json, operations, IDLE_TIMEOUT, McpHandler.BODY_TIMEOUT,
        McpHandler.BODY_GRACE, limits);
  }

  private GatewayHttpServer(
      ListenAddress address, McpEndpoint endpoint, Authenticator authenticator, RefusalLog refusals, List<String> allowedOrigins,
      ObjectMapper json, Optional<Operations> operations, Duration idleTimeout, Duration bodyTimeout, Duration bodyGrace,
      GatewayLimits limits) {
    // Jetty's default of 200 threads would let 200 slow clients hold every thread; a virtual
    // thread blocked on a read costs little, and connections are bounded below instead.
    VirtualThreadPool threads = new VirtualThreadPool(limits.maxConnections() + 64);
    threads.setName("cmcp-http");
    this.server = new Server(threads);
    HttpConfiguration http = new HttpConfiguration();
    http.setSendServerVersion(false);
    http.setSendXPoweredBy(false);
    this.connector = new ServerConnector(server, new HttpConnectionFactory(http));
    connector.setHost(address.host());
    connector.setPort(address.port());
    // A client that stops sending is dropped after this; one that trickles is bounded by bodyTimeout.
    connector.setIdleTimeout(idleTimeout.toMillis());
    // Past the total, Jetty stops accepting until a connection closes; past the per-address
    // limit, a new connection is closed at once, so one client cannot reach the total alone.
    server.addBean(new NetworkConnectionLimit(limits.maxConnections(), connector));
    connector.addBean(new ConnectionsPerAddress(limits.maxConnectionsPerAddress()));
    server.addConnector(connector);
    server.setHandler(new McpHandler(
        endpoint, authenticator, refusals, new OriginPolicy(allowedOrigins), json, operations, bodyTimeout, bodyGrace,
        limits.minRequestBodyBytesPerSecond(), new RequestBytesBudget(limits.maxRequestBytesInFlight())));
  }

  public void start() throws Exception {
    server.start();
  }

  /** The bound port, which differs from the configured one when that was 0. */
  public int port() {
    return connector.getLocalPort();
  }

  @Override
  public void close() throws Exception {
    server.stop();
  }
}
