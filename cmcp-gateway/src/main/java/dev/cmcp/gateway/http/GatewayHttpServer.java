package dev.cmcp.gateway.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.gateway.auth.Authenticator;
import dev.cmcp.gateway.auth.RefusalLog;
import dev.cmcp.gateway.config.GatewayLimits;
import dev.cmcp.gateway.config.ListenAddress;
import dev.cmcp.gateway.config.TlsSettings;
import dev.cmcp.gateway.mcp.McpEndpoint;
import dev.cmcp.gateway.ops.Operations;
import dev.cmcp.gateway.tls.ServerIdentity;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.VirtualThreadPool;

/** The gateway's HTTP listener: Jetty core on virtual threads, one blocking request per thread. */
// close() passes on Jetty's Server.stop(), which declares Exception; callers catch it whole.
@SuppressWarnings("try")
public final class GatewayHttpServer implements AutoCloseable {

  private static final Duration IDLE_TIMEOUT = Duration.ofSeconds(60);

  private final Server server;
  private final ServerConnector connector;

  /**
   * TLS that ends in this process: the key and chain presented, and the oldest version accepted.
   * Only TLS 1.3 by default; 1.2 only when configured, and then only with ECDHE and AEAD ciphers.
   * No renegotiation; the JDK offers no TLS compression.
   */
  public record Tls(ServerIdentity identity, TlsSettings.MinVersion minVersion) {}

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
        bodyTimeout, bodyGrace, limits, Optional.empty(), Optional.empty());
  }

  /**
   * @param authenticator who may call, decided before anything else of a request is read
   * @param refusals where refused requests are recorded
   * @param limits connections, request bodies
   */
  public GatewayHttpServer(
      ListenAddress address, McpEndpoint endpoint, Authenticator authenticator, RefusalLog refusals, List<String> allowedOrigins,
      ObjectMapper json, Optional<Operations> operations, GatewayLimits limits) {
    this(address, endpoint, authenticator, refusals, allowedOrigins, json, operations, limits, Optional.empty(), Optional.empty());
  }

  /**
   * @param tls TLS to terminate here; empty: plain HTTP (loopback only, checked by the config)
   * @param attestation what {@code GET /v1/attestation} answers, made afresh per request; without it 404
   */
  public GatewayHttpServer(
      ListenAddress address, McpEndpoint endpoint, Authenticator authenticator, RefusalLog refusals, List<String> allowedOrigins,
      ObjectMapper json, Optional<Operations> operations, GatewayLimits limits, Optional<Tls> tls,
      Optional<Supplier<ObjectNode>> attestation) {
    this(address, endpoint, authenticator, refusals, allowedOrigins, json, operations, IDLE_TIMEOUT, McpHandler.BODY_TIMEOUT,
        McpHandler.BODY_GRACE, limits, tls, attestation);
  }

  private GatewayHttpServer(
      ListenAddress address, McpEndpoint endpoint, Authenticator authenticator, RefusalLog refusals, List<String> allowedOrigins,
      ObjectMapper json, Optional<Operations> operations, Duration idleTimeout, Duration bodyTimeout, Duration bodyGrace,
      GatewayLimits limits, Optional<Tls> tls, Optional<Supplier<ObjectNode>> attestation) {
    // Jetty's default of 200 threads would let 200 slow clients hold every thread; a virtual
    // thread blocked on a read costs little, and connections are bounded below instead.
    VirtualThreadPool threads = new VirtualThreadPool(limits.maxConnections() + 64);
    threads.setName("cmcp-http");
    this.server = new Server(threads);
    HttpConfiguration http = new HttpConfiguration();
    http.setSendServerVersion(false);
    http.setSendXPoweredBy(false);
    if (tls.isPresent()) {
      // The certificate's names are not what clients check (the attestation binds the key), so
      // a request's Host need not match them.
      http.addCustomizer(new SecureRequestCustomizer(false));
      this.connector = new ServerConnector(server,
          new SslConnectionFactory(sslContextFactory(tls.get()), HttpVersion.HTTP_1_1.asString()), new HttpConnectionFactory(http));
    } else {
      this.connector = new ServerConnector(server, new HttpConnectionFactory(http));
    }
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
        limits.minRequestBodyBytesPerSecond(), new RequestBytesBudget(limits.maxRequestBytesInFlight()), attestation));
  }

  private static SslContextFactory.Server sslContextFactory(Tls tls) {
    SslContextFactory.Server factory = new SslContextFactory.Server();
    // The key stays in memory: a key store made here, under a password that exists only here.
    char[] password = new char[32];
    SecureRandom random = new SecureRandom();
    for (int i = 0; i < password.length; i++) {
      password[i] = (char) ('a' + random.nextInt(26));
    }
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      store.setKeyEntry("cmcp-tls", tls.identity().privateKey(), password, tls.identity().chain().toArray(Certificate[]::new));
      factory.setKeyStore(store);
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("an in-memory PKCS12 key store takes any key the JDK can use: " + e.getMessage(), e);
    }
    String passwordText = new String(password);
    factory.setKeyStorePassword(passwordText);
    factory.setKeyManagerPassword(passwordText);
    if (tls.minVersion() == TlsSettings.MinVersion.TLS_1_2) {
      factory.setIncludeProtocols("TLSv1.3", "TLSv1.2");
      factory.setIncludeCipherSuites("TLS_AES_.*", "TLS_CHACHA20_.*", "TLS_ECDHE_.*_GCM_.*", "TLS_ECDHE_.*_CHACHA20_POLY1305_.*");
    } else {
      factory.setIncludeProtocols("TLSv1.3");
    }
    factory.setRenegotiationAllowed(false);
    factory.setSniRequired(false);
    return factory;
  }

  /** Whether this server speaks TLS. */
  public boolean tls() {
    return connector.getConnectionFactory(SslConnectionFactory.class) != null;
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
