package dev.cmcp.gateway;

import dev.cmcp.gateway.attest.AttestationException;
import dev.cmcp.gateway.attest.AttestationProviders;
import dev.cmcp.gateway.attest.CurrentEvidence;
import dev.cmcp.gateway.attest.RuntimeEvidence;
import dev.cmcp.gateway.attest.tpm.TpmOpener;
import dev.cmcp.gateway.audit.AuditException;
import dev.cmcp.gateway.audit.AuditLog;
import dev.cmcp.gateway.audit.AuditRecords;
import dev.cmcp.gateway.auth.Authenticator;
import dev.cmcp.gateway.auth.IssuerKeys;
import dev.cmcp.gateway.auth.RefusalLog;
import dev.cmcp.gateway.catalog.Catalog;
import dev.cmcp.gateway.catalog.CatalogException;
import dev.cmcp.gateway.catalog.CatalogLoader;
import dev.cmcp.gateway.claim.AttestationStatement;
import dev.cmcp.gateway.claim.ClaimIssuer;
import dev.cmcp.gateway.config.ClaimGranularity;
import dev.cmcp.gateway.config.ConfigException;
import dev.cmcp.gateway.config.ConfigLoader;
import dev.cmcp.gateway.config.EnforcementMode;
import dev.cmcp.gateway.config.GatewayConfig;
import dev.cmcp.gateway.config.ListenAddress;
import dev.cmcp.gateway.config.RuntimeEnvironment;
import dev.cmcp.gateway.config.TlsSettings;
import dev.cmcp.gateway.http.GatewayHttpServer;
import dev.cmcp.gateway.mcp.CallControls;
import dev.cmcp.gateway.mcp.JsonRpcDecoder;
import dev.cmcp.gateway.mcp.McpEndpoint;
import dev.cmcp.gateway.mcp.SessionStore;
import dev.cmcp.gateway.mcp.ToolCallPipeline;
import dev.cmcp.gateway.ops.GatewayLogging;
import dev.cmcp.gateway.ops.GatewayMetrics;
import dev.cmcp.gateway.ops.Operations;
import dev.cmcp.gateway.ops.Tracing;
import dev.cmcp.gateway.policy.ActivePolicy;
import dev.cmcp.gateway.policy.PolicyBundle;
import dev.cmcp.gateway.policy.PolicyBundleLoader;
import dev.cmcp.gateway.policy.PolicyException;
import dev.cmcp.gateway.policy.SessionHistories;
import dev.cmcp.gateway.ratelimit.RateLimits;
import dev.cmcp.gateway.tls.ServerIdentities;
import dev.cmcp.gateway.tls.ServerIdentity;
import dev.cmcp.gateway.tls.TlsException;
import dev.cmcp.gateway.upstream.UpstreamSettings;
import dev.cmcp.gateway.upstream.Upstreams;
import dev.cmcp.verify.StrictJson;
import dev.cmcp.verify.claim.Binding;
import dev.cmcp.verify.claim.ClaimSigner;
import java.io.IOException;
import java.io.PrintStream;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * A running gateway: everything {@code cmcp start} assembles, in the order it must happen.
 * Nothing is served until the bundle, catalog and attestation provider are all good.
 */
public final class Gateway implements AutoCloseable {

  /** Refusals by authentication recorded one by one each second; the rest are counted (RefusalLog). */
  private static final int AUDITED_REFUSALS_PER_SECOND = 50;
  private final Upstreams upstreams;
  private final GatewayHttpServer http;
  private final Optional<AuditLog> audit;
  private final CurrentEvidence evidence;
  private final PolicyReloader reloader;
  private final Tracing tracing;

  private Gateway(Upstreams upstreams, GatewayHttpServer http, Optional<AuditLog> audit, CurrentEvidence evidence,
      PolicyReloader reloader, Tracing tracing) {
    this.upstreams = upstreams;
    this.http = http;
    this.audit = audit;
    this.evidence = evidence;
    this.reloader = reloader;
    this.tracing = tracing;
  }

  /**
   * Loads, checks and starts everything named by {@code config}; prints the lines an operator
   * needs (provider, bundle hash, catalog hash, address) to {@code out}.
   */
  public static Gateway start(GatewayConfig config, Map<String, String> environment, PrintStream out)
      throws StartupException {
    GatewayLogging.install(config.logFormat().orElseGet(GatewayLogging::defaultFormat), config.logLevel());
    RuntimeEnvironment env;
    ListenAddress address;
    PolicyBundle bundle;
    Catalog catalog;
    ActivePolicy policy;
    PolicyReloader.CatalogFile catalogFile;
    TlsSettings.Mode tlsMode;
    try {
      env = RuntimeEnvironment.from(environment);
      ConfigLoader.checkAgainst(config, env);
      address = config.effectiveListenAddress(env);
      tlsMode = config.tls().effectiveMode(address);
      bundle = PolicyBundleLoader.load(config.policyBundlePath());
      catalog = CatalogLoader.load(config.catalogPath(), environment);
      catalogFile = PolicyReloader.CatalogFile.read(config.catalogPath());
      policy = ActivePolicy.compile(bundle, catalog);
    } catch (ConfigException | PolicyException | CatalogException e) {
      throw new StartupException(e.getMessage(), e);
    } catch (IOException e) {
      throw new StartupException("catalog_path " + config.catalogPath() + ": cannot read the file (" + e.getMessage() + ")", e);
    }
    out.println("[cmcp] policy bundle loaded: " + bundle.bundleHash() + " (" + bundle.policyCount()
        + " policies, version " + bundle.version() + ")");
    out.println("[cmcp] catalog loaded: " + catalog.tools().size() + " tools, " + catalog.catalogHash());

    Clock clock = Clock.systemUTC();
    Optional<ServerIdentity> tlsIdentity = tlsIdentity(config, tlsMode, address, clock);
    // The TLS key is fixed for the run: every renewal of the evidence binds the same one.
    Optional<String> tlsSpki = tlsIdentity.map(ServerIdentity::spkiSha256);
    tlsIdentity.ifPresentOrElse(
        identity -> out.println("[cmcp] tls: " + tlsMode.configName() + ", key " + identity.origin() + ", SPKI sha256 "
            + identity.spkiSha256() + " (bound into the attestation), " + config.tls().minVersion().configName() + " and later"),
        () -> out.println("[cmcp] tls: off (plain HTTP on loopback; the attestation binds no TLS key)"));

    // The claim key lives only in this process; its thumbprint is bound into the evidence.
    ClaimSigner signer = new ClaimSigner(newClaimKey());
    String mode = config.enforcementMode().configName();
    Function<ActivePolicy, Binding> bindingFor = active -> Binding.of(
        active.bundle().bundleHash(), active.catalog().catalogHash(), mode, signer.jwk().thumbprint(), tlsSpki);
    Binding binding = bindingFor.apply(policy);
    CurrentEvidence evidence = attest(config, env, binding, clock, out);
    RuntimeEvidence first = evidence.evidence();
    String measurement = first.measurement();
    out.println("[cmcp] provider=" + evidence.provider().configName() + " enforcement_mode=" + mode);
    out.println("[cmcp] attestation: " + first.platform().jsonName() + ", measurement " + measurement);
    // Constructed, not started: metrics and readiness read its state.
    Upstreams upstreams = new Upstreams(catalog, new UpstreamSettings(config.upstreamTimeout(), config.maxResponseSizeBytes()));
    GatewayMetrics metrics = new GatewayMetrics(catalog.tools().keySet(), mode, evidence::producedAt, upstreams::restarts, clock);
    Optional<AuditLog> audit = Optional.empty();
    if (config.enforcementMode() != EnforcementMode.SILENT) {
      try {
        AuditLog log = AuditLog.open(config.auditDir(), new AuditRecords.Genesis(version(), first.platform().jsonName(), measurement,
            bundle.bundleHash(), catalog.catalogHash(), mode, signer.jwk().thumbprint()), clock, metrics::auditSynced);
        audit = Optional.of(log);
        out.println("[cmcp] audit log: " + log.file());
      } catch (AuditException e) {
        upstreams.close();
        evidence.close();
        throw new StartupException(e.getMessage(), e);
      }
    }
    PolicyReloader reloader = new PolicyReloader(
        config.policyBundlePath(), catalogFile, environment, policy, bindingFor, evidence, audit);
    Optional<ClaimIssuer> claims = audit.map(log -> new ClaimIssuer(signer, reloader::attested, mode,
        config.validitySeconds(), log, config.auditDir().resolve("claims"), clock, tlsSpki));
    AttestationStatement statement = new AttestationStatement(signer, reloader::attested, mode, config.validitySeconds(), tlsSpki, clock);
    out.println("[cmcp] claim key: " + signer.jwk().thumbprint() + " (binding " + binding.hex().substring(0, 16) + "...)");

    upstreams.start();

    StrictJson json = new StrictJson();
    List<Operations.ReadinessCheck> readiness = new ArrayList<>(readinessChecks(reloader, evidence, audit));
    readiness.addAll(upstreamReadiness(upstreams));
    List<AuditRecords.Quarantine> quarantined = audit.map(AuditLog::quarantined).orElse(List.of());
    metrics.auditQuarantined(quarantined.size());
    quarantined.forEach(q -> out.println("[cmcp] audit: damaged previous epoch " + q.file() + " quarantined as "
        + q.quarantinedAs() + " (sha256 " + q.fileSha256() + "): " + q.reason()));
    Authenticator authenticator = authenticator(config, env, clock, out);
    authenticator.issuerKeys().ifPresent(keys -> readiness.add(keys::problem));
    Tracing tracing = Tracing.of(config.telemetry(), version());
    config.telemetry().tracesEndpoint().ifPresent(endpoint -> out.println("[cmcp] tracing: OTLP/HTTP to " + endpoint
        + ", sampling ratio " + config.telemetry().samplingRatio()));
    Operations operations = new Operations(metrics, readiness, config.metricsRequireToken(), tracing, quarantineNotices(quarantined));
    ToolCallPipeline.CallListener perCallClaims = claimsPerCall(config, claims);
    ToolCallPipeline toolCalls =
        new ToolCallPipeline(reloader::current, config.enforcementMode(), upstreams, audit, perCallClaims,
            evidence::refusal, clock, Optional.of(metrics), config.denyResponse(),
            new CallControls(new RateLimits(config.rateLimits()), new SessionHistories(config.limits().sessionIdleTimeout())));
    McpEndpoint endpoint = new McpEndpoint(
        new JsonRpcDecoder(json, config.limits().maxJsonValues()), new SessionStore(clock, config.limits().maxSessions(),
        config.limits().maxSessionsPerPrincipal(), config.limits().sessionIdleTimeout()), toolCalls, claims, version());
    GatewayHttpServer http = new GatewayHttpServer(address, endpoint, authenticator,
        new RefusalLog(audit, clock, AUDITED_REFUSALS_PER_SECOND), config.allowedOrigins(), json.mapper(), Optional.of(operations),
        config.limits(), tlsIdentity.map(identity -> new GatewayHttpServer.Tls(identity, config.tls().minVersion())),
        Optional.of(statement::current));
    try {
      http.start();
    } catch (Exception e) {
      upstreams.close();
      audit.ifPresent(AuditLog::close);
      evidence.close();
      tracing.close();
      throw new StartupException("listen_addr " + address + ": cannot listen: " + e.getMessage(), e);
    }
    out.println("[cmcp] listening on " + new ListenAddress(address.host(), http.port(), true)
        + (http.tls() ? " (https)" : " (http)")
        + (authenticator.required() ? " (" + authenticator + " required)" : ""));
    if (config.policyReloadIntervalSeconds() > 0) {
      reloader.start(Duration.ofSeconds(config.policyReloadIntervalSeconds()));
      out.println("[cmcp] policy bundle and catalog reload: checked every " + config.policyReloadIntervalSeconds() + " s");
    }
    out.flush();
    return new Gateway(upstreams, http, audit, evidence, reloader, tracing);
  }

  /**
   * Who may call: the auth section, else the shared bearer token, else (loopback only) anyone. The
   * OAuth issuer's keys are fetched now, so that a wrong issuer shows at start; an issuer that
   * cannot be reached yet is retried on the first token and reported by {@code /readyz}.
   */
  private static Authenticator authenticator(GatewayConfig config, RuntimeEnvironment env, Clock clock, PrintStream out) {
    if (config.auth().isPresent()) {
      Authenticator authenticator = Authenticator.of(config.auth().get(), IssuerKeys.http(), clock);
      out.println("[cmcp] auth: " + config.auth().get().agents().size() + " agents with their own tokens"
          + config.auth().get().oauth().map(o -> ", OAuth tokens of " + o.issuer() + " for " + o.audience()).orElse(""));
      authenticator.issuerKeys().filter(keys -> !keys.fetchNow()).flatMap(IssuerKeys::problem)
          .ifPresent(problem -> out.println("[cmcp] warning: " + problem + "; OAuth tokens are refused until the keys can be fetched"));
      return authenticator;
    }
    if (env.bearerToken().isPresent()) {
      out.println("[cmcp] warning: " + RuntimeEnvironment.BEARER_TOKEN + " is one token shared by every agent: the gateway cannot "
          + "tell agents apart, and any holder can name any workflow and read any claim; give each agent its own token under auth.agents");
      return Authenticator.sharedToken(env.bearerToken().get());
    }
    return Authenticator.none();
  }

  /** The TLS key and certificate the mode calls for, made or loaded before anything is attested. */
  private static Optional<ServerIdentity> tlsIdentity(GatewayConfig config, TlsSettings.Mode mode, ListenAddress address, Clock clock)
      throws StartupException {
    try {
      return switch (mode) {
        case OFF -> Optional.empty();
        case GENERATE -> Optional.of(ServerIdentities.generate(address.host(), clock.instant()));
        case FILES -> Optional.of(ServerIdentities.load(config.tls().certFile().orElseThrow(), config.tls().keyFile().orElseThrow(),
            clock.instant()));
      };
    } catch (TlsException e) {
      throw new StartupException(e.getMessage(), e);
    }
  }

  /**
   * Chooses the attestation provider and makes the first evidence, bound to the claim key and
   * policy hashes; the gateway serves nothing without it.
   */
  private static CurrentEvidence attest(
      GatewayConfig config, RuntimeEnvironment env, Binding binding, Clock clock, PrintStream out) throws StartupException {
    try {
      AttestationProviders.Selection selection = AttestationProviders.select(config, env, TpmOpener::open, clock);
      selection.notes().forEach(note -> out.println("[cmcp] attestation: " + note));
      return CurrentEvidence.start(selection.provider(), binding, config.expectedMeasurement(),
          Duration.ofSeconds(config.validitySeconds()), config.stalenessPolicy(), clock);
    } catch (AttestationException e) {
      throw new StartupException(e.getMessage(), e);
    }
  }

  /** What {@code /readyz} checks: the bundle and catalog in force were the last offered, fresh evidence, a working audit log. */
  static List<Operations.ReadinessCheck> readinessChecks(
      PolicyReloader reloader, CurrentEvidence evidence, Optional<AuditLog> audit) {
    return List.of(
        () -> reloader.lastRejection().map(why -> "policy reload: the last reload was rejected: " + why),
        () -> evidence.refusal().map(why -> "evidence: " + why),
        // Silent mode keeps no log, so there is nothing to be unwritable.
        () -> audit.filter(log -> !log.healthy()).map(log -> "audit log: " + log.file() + " cannot record"));
  }

  /** What {@code /readyz} says, ready or not, of each damaged audit file this start set aside. */
  static List<String> quarantineNotices(List<AuditRecords.Quarantine> quarantined) {
    return quarantined.stream().map(q -> "audit log: the previous epoch " + q.file() + " was damaged and is quarantined as "
        + q.quarantinedAs() + " (sha256 " + q.fileSha256() + "); secure it for review").toList();
  }

  /** One {@code /readyz} check per catalog server: its process runs, or its endpoint answered lately. */
  static List<Operations.ReadinessCheck> upstreamReadiness(Upstreams upstreams) {
    List<Operations.ReadinessCheck> checks = new ArrayList<>();
    for (String server : upstreams.serverNames()) {
      // The upstream package's messages already name the server.
      checks.add(() -> upstreams.problem(server));
    }
    return checks;
  }

  private static ToolCallPipeline.CallListener claimsPerCall(GatewayConfig config, Optional<ClaimIssuer> claims) {
    if (config.claimGranularity() != ClaimGranularity.CALL || claims.isEmpty()) {
      return session -> { };
    }
    ClaimIssuer issuer = claims.get();
    return session -> {
      try {
        issuer.issue(session);
      } catch (IOException e) {
        System.getLogger("cmcp.claim").log(System.Logger.Level.ERROR, "per-call claim not written: " + e.getMessage());
      }
    };
  }

  private static KeyPair newClaimKey() {
    try {
      return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this JDK has no Ed25519", e);
    }
  }

  /** Loads the config file and starts; for the CLI. */
  public static Gateway start(java.nio.file.Path configFile, Map<String, String> environment, PrintStream out)
      throws StartupException {
    try {
      return start(ConfigLoader.load(configFile), environment, out);
    } catch (ConfigException e) {
      throw new StartupException(e.getMessage(), e);
    }
  }

  public int port() {
    return http.port();
  }

  /** The gateway's version, from the jar manifest; {@code dev} when run from classes. */
  public static String version() {
    String version = Gateway.class.getPackage().getImplementationVersion();
    return version == null ? "dev" : version;
  }

  @Override
  public void close() {
    reloader.close();
    try {
      http.close();
    } catch (Exception e) {
      System.getLogger("cmcp").log(System.Logger.Level.WARNING, "stopping HTTP server: " + e.getMessage());
    }
    upstreams.close();
    audit.ifPresent(AuditLog::close);
    evidence.close();
    // Last: the spans of the requests answered while stopping go out too.
    tracing.close();
  }

  /** The gateway cannot start; the message says what to fix. */
  public static final class StartupException extends Exception {
    private static final long serialVersionUID = 1L;

    public StartupException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
