package dev.cmcp.gateway;

import dev.cmcp.gateway.attest.AttestationException;
import dev.cmcp.gateway.attest.AttestationProviders;
import dev.cmcp.gateway.attest.CurrentEvidence;
import dev.cmcp.gateway.attest.RuntimeEvidence;
import dev.cmcp.gateway.attest.tpm.TpmOpener;
import dev.cmcp.gateway.audit.AuditException;
import dev.cmcp.gateway.audit.AuditLog;
import dev.cmcp.gateway.audit.CurrentLink;
import dev.cmcp.gateway.auth.Authenticator;
import dev.cmcp.gateway.auth.IssuerKeys;
import dev.cmcp.gateway.auth.RefusalLog;
import dev.cmcp.gateway.catalog.Catalog;
import dev.cmcp.gateway.claim.AttestationStatement;
import dev.cmcp.gateway.claim.ClaimIssuer;
import dev.cmcp.gateway.config.ClaimGranularity;
import dev.cmcp.gateway.config.ConfigException;
import dev.cmcp.gateway.config.ConfigLoader;
import dev.cmcp.gateway.config.EnforcementMode;
import dev.cmcp.gateway.config.GatewayConfig;
import dev.cmcp.gateway.config.ListenAddress;
import dev.cmcp.gateway.config.LogFormat;
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
import dev.cmcp.gateway.policy.SessionHistories;
import dev.cmcp.gateway.ratelimit.RateLimits;
import dev.cmcp.gateway.tls.ServerIdentities;
import dev.cmcp.gateway.tls.ServerIdentity;
import dev.cmcp.gateway.tls.TlsException;
import dev.cmcp.gateway.upstream.UpstreamSettings;
import dev.cmcp.gateway.upstream.Upstreams;
import dev.cmcp.verify.audit.AuditRecord;
import dev.cmcp.verify.base.StrictJson;
import dev.cmcp.verify.claim.Binding;
import dev.cmcp.verify.claim.ClaimSigner;
import java.io.IOException;
import java.io.PrintStream;
import java.net.BindException;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A running gateway: everything {@code cmcp start} assembles, in the order it must happen.
 * Nothing is served until the bundle, catalog and attestation provider are all good.
 */
public final class Gateway implements AutoCloseable {

  /** At most this many claims are written at shutdown; a stop should not take minutes. */
  static final int MAX_SHUTDOWN_CLAIMS = 10_000;
  private static final System.Logger LOG = System.getLogger("cmcp");
  /** Warnings at start, beside the report's lines (StartCommand logs those under this name too). */
  private static final System.Logger START = System.getLogger("cmcp.start");

  /** Refusals by authentication recorded one by one each second; the rest are counted (RefusalLog). */
  private static final int AUDITED_REFUSALS_PER_SECOND = 50;
  private final Upstreams upstreams;
  private final GatewayHttpServer http;
  private final Optional<AuditLog> audit;
  private final CurrentEvidence evidence;
  private final PolicyReloader reloader;
  private final Tracing tracing;
  private final SessionStore sessions;
  private final Optional<ClaimIssuer> claims;
  private final LogFormat logFormat;

  private Gateway(Upstreams upstreams, GatewayHttpServer http, Optional<AuditLog> audit, CurrentEvidence evidence,
      PolicyReloader reloader, Tracing tracing, SessionStore sessions, Optional<ClaimIssuer> claims, LogFormat logFormat) {
    this.upstreams = upstreams;
    this.http = http;
    this.audit = audit;
    this.evidence = evidence;
    this.reloader = reloader;
    this.tracing = tracing;
    this.sessions = sessions;
    this.claims = claims;
    this.logFormat = logFormat;
  }

  /**
   * What a stop did, for the operator.
   *
   * @param openSessions MCP sessions that were still open, ended by the stop
   * @param claims what was written for sessions whose calls were not yet all claimed; empty in silent mode
   * @param auditFile the audit log closed, with the chain as it was left; empty in silent mode
   */
  public record Stopped(int openSessions, Optional<ClaimIssuer.Unclaimed> claims, Optional<Path> claimsFolder,
      Optional<Path> auditFile, Optional<AuditLog.Snapshot> chain) {

    /** One line per thing done, for the log. */
    public List<String> lines() {
      List<String> lines = new ArrayList<>();
      lines.add("stopped: " + openSessions + " open MCP session" + (openSessions == 1 ? "" : "s") + " ended");
      claims.ifPresent(written -> {
        lines.add(written.written() + " claim" + (written.written() == 1 ? "" : "s") + " written to " + claimsFolder.orElseThrow()
            + " (sessions whose calls were not all in a claim yet)"
            + (written.leftOut() > 0 ? "; " + written.leftOut() + " sessions left unclaimed (more than " + MAX_SHUTDOWN_CLAIMS + ")" : ""));
        written.failures().forEach(failure -> lines.add("claim not written: " + failure));
      });
      if (auditFile.isPresent()) {
        AuditLog.Snapshot last = chain.orElseThrow();
        lines.add("audit log closed: " + auditFile.get() + ", " + last.length() + " entries, root " + last.root());
      } else {
        lines.add("no audit log to close (enforcement_mode silent)");
      }
      return List.copyOf(lines);
    }
  }

  /**
   * Loads, checks and starts everything named by {@code config}; reports the lines an operator
   * needs (provider, bundle hash, catalog hash, audit log, address) to {@code report}, one line at a time.
   */
  public static Gateway start(GatewayConfig config, Map<String, String> environment, Consumer<String> report)
      throws StartupException {
    GatewayLogging.install(logFormat(config), config.logLevel());
    // Everything validate-config checks, then the port, before anything is made or started: a start
    // that fails leaves no audit file and no process behind.
    Preflight checked = Preflight.check(config, environment);
    Optional<String> portProblem = Preflight.portProblem(checked.address());
    if (portProblem.isPresent()) {
      throw new StartupException(portProblem.get(), null);
    }
    RuntimeEnvironment env = checked.env();
    ListenAddress address = checked.address();
    PolicyBundle bundle = checked.bundle();
    Catalog catalog = checked.catalog();
    ActivePolicy policy = checked.policy();
    report.accept("policy bundle loaded: " + bundle.bundleHash() + " (" + bundle.policyCount()
        + " policies, version " + bundle.version() + ")");
    report.accept("catalog loaded: " + catalog.tools().size() + " tools, " + catalog.catalogHash());

    Clock clock = Clock.systemUTC();
    TlsSettings.Mode tlsMode;
    try {
      tlsMode = config.tls().effectiveMode(address);
    } catch (ConfigException e) {
      throw new StartupException(e.getMessage(), e);
    }
    Optional<ServerIdentity> tlsIdentity = tlsIdentity(config, tlsMode, address, clock);
    // The TLS key is fixed for the run: every renewal of the evidence binds the same one.
    Optional<String> tlsSpki = tlsIdentity.map(ServerIdentity::spkiSha256);
    tlsIdentity.ifPresentOrElse(
        identity -> report.accept("tls: " + tlsMode.configName() + ", key " + identity.origin() + ", SPKI sha256 "
            + identity.spkiSha256() + " (bound into the attestation), " + config.tls().minVersion().configName() + " and later"),
        () -> report.accept("tls: off (plain HTTP on loopback; the attestation binds no TLS key)"));

    // The claim key lives only in this process; its thumbprint is bound into the evidence.
    ClaimSigner signer = new ClaimSigner(newClaimKey());
    String mode = config.enforcementMode().configName();
    Function<ActivePolicy, Binding> bindingFor = active -> Binding.of(
        active.bundle().bundleHash(), active.catalog().catalogHash(), mode, signer.jwk().thumbprint(), tlsSpki);
    Binding binding = bindingFor.apply(policy);
    CurrentEvidence evidence = attest(config, env, binding, clock, report);
    RuntimeEvidence first = evidence.evidence();
    String measurement = first.measurement();
    report.accept("provider=" + evidence.provider().configName() + " enforcement_mode=" + mode);
    report.accept("attestation: " + first.platform().jsonName() + ", measurement " + measurement);
    // Constructed, not started: metrics and readiness read its state.
    Upstreams upstreams = new Upstreams(catalog, new UpstreamSettings(config.upstreamTimeout(), config.maxResponseSizeBytes()));
    GatewayMetrics metrics = new GatewayMetrics(catalog.tools().keySet(), mode, evidence::producedAt, upstreams::restarts,
        upstreams::agentSessions, clock);
    Optional<AuditLog> audit = Optional.empty();
    if (config.enforcementMode() != EnforcementMode.SILENT) {
      try {
        AuditLog log = AuditLog.open(config.auditDir(), new AuditRecord.Genesis(version(), first.platform().jsonName(), measurement,
            bundle.bundleHash(), catalog.catalogHash(), mode, signer.jwk().thumbprint(), Optional.empty()), clock,
            metrics::auditSynced, config.auditCheckpoints(), signer,
            config.auditRetention(), config.auditRotation());
        audit = Optional.of(log);
        log.onRetention(new AuditLog.RetentionObserver() {
          @Override
          public void deleted(String file) {
            metrics.auditRetentionDeleted();
            LOG.log(System.Logger.Level.INFO, "audit retention: " + file + " deleted (a retention entry records it)");
          }

          @Override
          public void failed(String reason) {
            metrics.auditRetentionFailed();
          }
        });
        report.accept("audit log: " + log.file() + " (" + config.auditDir().resolve(CurrentLink.NAME)
            + " points to it once the gateway listens)");
      } catch (AuditException e) {
        upstreams.close();
        evidence.close();
        throw new StartupException(e.getMessage(), e);
      }
    }
    PolicyReloader reloader = new PolicyReloader(
        config.policyBundlePath(), checked.catalogFile(), environment, policy, bindingFor, evidence, audit);
    Optional<ClaimIssuer> claims = audit.map(log -> new ClaimIssuer(signer, reloader::attested, mode,
        config.validitySeconds(), log, config.auditDir().resolve("claims"), clock, tlsSpki));
    if (audit.isPresent() && claims.isPresent()) {
      ClaimIssuer issuer = claims.get();
      audit.get().onRotation(closed -> claimRotated(issuer, closed));
    }
    AttestationStatement statement = new AttestationStatement(signer, reloader::attested, mode, config.validitySeconds(), tlsSpki, clock);
    report.accept("claim key: " + signer.jwk().thumbprint() + " (binding " + binding.hex().substring(0, 16) + "...)");

    upstreams.start();

    StrictJson json = new StrictJson();
    List<Operations.ReadinessCheck> readiness = new ArrayList<>(readinessChecks(reloader, evidence, audit));
    readiness.addAll(upstreamReadiness(upstreams));
    List<AuditRecord.Quarantine> quarantined = audit.map(AuditLog::quarantined).orElse(List.of());
    metrics.auditQuarantined(quarantined.size());
    quarantined.forEach(q -> report.accept("audit: damaged previous epoch " + q.file() + " quarantined as "
        + q.quarantinedAs() + " (sha256 " + q.fileSha256() + "): " + q.reason()));
    Authenticator authenticator = authenticator(config, env, clock, report);
    authenticator.issuerKeys().ifPresent(keys -> readiness.add(keys::problem));
    Tracing tracing = Tracing.of(config.telemetry(), version());
    config.telemetry().tracesEndpoint().ifPresent(endpoint -> report.accept("tracing: OTLP/HTTP to " + endpoint
        + ", sampling ratio " + config.telemetry().samplingRatio()));
    Operations operations = new Operations(metrics, readiness, config.metricsRequireToken(), tracing, quarantineNotices(quarantined));
    ToolCallPipeline.CallListener perCallClaims = claimsPerCall(config, claims);
    ToolCallPipeline toolCalls =
        new ToolCallPipeline(reloader::current, config.enforcementMode(), upstreams, audit, perCallClaims,
            evidence::refusal, clock, Optional.of(metrics), config.denyResponse(),
            new CallControls(new RateLimits(config.rateLimits()), new SessionHistories(config.limits().sessionIdleTimeout()),
                config.approvalTimeout()));
    // An agent session's upstream sessions and tasks end with it, however it ends, so they are bounded by the same limits.
    SessionStore sessions = new SessionStore(clock, config.limits().maxSessions(),
        config.limits().maxSessionsPerPrincipal(), config.limits().sessionIdleTimeout(), ended -> {
          upstreams.endSession(ended);
          toolCalls.sessionEnded(ended);
        });
    McpEndpoint endpoint = new McpEndpoint(
        new JsonRpcDecoder(json, config.limits().maxJsonValues()), sessions, toolCalls, claims, version());
    // What an agent may see can change with a reload: its sessions and listens are told their lists may have changed.
    reloader.onReload(endpoint::policyReloaded);
    GatewayHttpServer http = new GatewayHttpServer(address, endpoint, authenticator,
        new RefusalLog(audit, clock, AUDITED_REFUSALS_PER_SECOND, Optional.of(metrics)), config.allowedOrigins(), json.mapper(),
        Optional.of(operations), config.limits(),
        tlsIdentity.map(identity -> new GatewayHttpServer.Tls(identity, config.tls().minVersion())), Optional.of(statement::current));
    try {
      http.start();
    } catch (Exception e) {
      upstreams.close();
      audit.ifPresent(AuditLog::close);
      evidence.close();
      tracing.close();
      throw new StartupException(bindFailure(address, e), e);
    }
    report.accept("listening on " + new ListenAddress(address.host(), http.port(), true)
        + (http.tls() ? " (https)" : " (http)")
        + (authenticator.required() ? " (" + authenticator + " required)" : ""));
    audit.ifPresent(log -> {
      try {
        CurrentLink.point(log);
      } catch (IOException e) {
        LOG.log(System.Logger.Level.WARNING, "audit_dir: " + CurrentLink.NAME + " not made (" + e.getMessage()
            + "); the audit log of this run is " + log.file());
      }
    });
    if (config.policyReloadIntervalSeconds() > 0) {
      reloader.start(Duration.ofSeconds(config.policyReloadIntervalSeconds()));
      report.accept("policy bundle and catalog reload: checked every " + config.policyReloadIntervalSeconds() + " s");
    }
    return new Gateway(upstreams, http, audit, evidence, reloader, tracing, sessions, claims, logFormat(config));
  }

  /**
   * Ends an epoch that rotation closed as a stop ends one: its sessions whose calls are not all in a
   * written claim are claimed, since the log indexes calls of the current epoch only.
   */
  private static void claimRotated(ClaimIssuer issuer, AuditLog.Epoch closed) {
    ClaimIssuer.Unclaimed written = issuer.issueUnclaimed(closed, MAX_SHUTDOWN_CLAIMS);
    LOG.log(System.Logger.Level.INFO, "audit log rotated: " + closed.file().getFileName() + " closed, "
        + written.written() + " claim(s) written for its sessions"
        + (written.leftOut() > 0 ? ", " + written.leftOut() + " session(s) left unclaimed (limit " + MAX_SHUTDOWN_CLAIMS + ")" : ""));
    written.failures().forEach(failure -> LOG.log(System.Logger.Level.WARNING, "claim after rotation not written: " + failure));
  }

  /** The log format in force: the config's, else the one for this process's stderr. */
  private static LogFormat logFormat(GatewayConfig config) {
    return config.logFormat().orElseGet(GatewayLogging::defaultFormat);
  }

  /** Why the listener could not be made, in words that say what to do. */
  private static String bindFailure(ListenAddress address, Exception e) {
    for (Throwable cause = e; cause != null; cause = cause.getCause()) {
      if (cause instanceof BindException bind) {
        // Taken between the probe and the bind.
        return Preflight.portInUse(address, bind.getMessage());
      }
    }
    return "listen_addr " + address + ": cannot listen: " + e.getMessage();
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
   * Who may call: the auth section, else the shared bearer token, else (loopback only) anyone. The
   * OAuth issuer's keys are fetched now, so that a wrong issuer shows at start; an issuer that
   * cannot be reached yet is retried on the first token and reported by {@code /readyz}.
   */
  private static Authenticator authenticator(GatewayConfig config, RuntimeEnvironment env, Clock clock, Consumer<String> report) {
    if (config.auth().isPresent()) {
      Authenticator authenticator = Authenticator.of(config.auth().get(), IssuerKeys.http(), clock);
      report.accept("auth: " + config.auth().get().agents().size() + " agents with their own tokens"
          + config.auth().get().oauth().map(o -> ", OAuth tokens of " + o.issuer() + " for " + o.audience()).orElse(""));
      authenticator.issuerKeys().filter(keys -> !keys.fetchNow()).flatMap(IssuerKeys::problem)
          .ifPresent(problem -> START.log(System.Logger.Level.WARNING, problem + "; OAuth tokens are refused until the keys can be fetched"));
      return authenticator;
    }
    if (env.bearerToken().isPresent()) {
      START.log(System.Logger.Level.WARNING, RuntimeEnvironment.BEARER_TOKEN + " is one token shared by every agent: the gateway cannot "
          + "tell agents apart, and any holder can name any workflow and read any claim; give each agent its own token under auth.agents");
      return Authenticator.sharedToken(env.bearerToken().get());
    }
    return Authenticator.none();
  }

  /**
   * Chooses the attestation provider and makes the first evidence, bound to the claim key and
   * policy hashes; the gateway serves nothing without it.
   */
  private static CurrentEvidence attest(
      GatewayConfig config, RuntimeEnvironment env, Binding binding, Clock clock, Consumer<String> report) throws StartupException {
    try {
      AttestationProviders.Selection selection = AttestationProviders.select(config, env, TpmOpener::open, clock);
      selection.notes().forEach(note -> report.accept("attestation: " + note));
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
  static List<String> quarantineNotices(List<AuditRecord.Quarantine> quarantined) {
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

  /** As {@link #start(GatewayConfig, Map, Consumer)}, with each report line printed on {@code out} after {@code [cmcp] }. */
  public static Gateway start(GatewayConfig config, Map<String, String> environment, PrintStream out) throws StartupException {
    return start(config, environment, line -> out.println("[cmcp] " + line));
  }

  /** As {@link #start(java.nio.file.Path, Map, Consumer)}, with each report line printed on {@code out} after {@code [cmcp] }. */
  public static Gateway start(java.nio.file.Path configFile, Map<String, String> environment, PrintStream out) throws StartupException {
    return start(configFile, environment, line -> out.println("[cmcp] " + line));
  }

  /** Loads the config file and starts; for the CLI. */
  public static Gateway start(java.nio.file.Path configFile, Map<String, String> environment, Consumer<String> report)
      throws StartupException {
    try {
      return start(ConfigLoader.load(configFile), environment, report);
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

  /** The log format in force, for lines written while the process shuts down (see StartCommand). */
  public LogFormat logFormat() {
    return logFormat;
  }

  /**
   * Stops serving, claims every session whose calls are not yet all in a written claim (the
   * in-memory index of calls is lost with the process), closes the upstreams, the audit log and the
   * evidence, and says what it did.
   */
  public Stopped stop() {
    reloader.close();
    try {
      http.close();
    } catch (Exception e) {
      LOG.log(System.Logger.Level.WARNING, "stopping HTTP server: " + e.getMessage());
    }
    int open = sessions.openCount();
    Optional<ClaimIssuer.Unclaimed> written = claims.map(issuer -> issuer.issueUnclaimed(MAX_SHUTDOWN_CLAIMS));
    upstreams.close();
    Optional<AuditLog.Snapshot> chain = audit.map(AuditLog::snapshot);
    audit.ifPresent(AuditLog::close);
    evidence.close();
    // Last: the spans of the requests answered while stopping go out too.
    tracing.close();
    return new Stopped(open, written, audit.map(log -> log.file().getParent().resolve("claims")), audit.map(AuditLog::file), chain);
  }

  @Override
  public void close() {
    stop();
  }

  /** The gateway cannot start; the message says what to fix. */
  public static final class StartupException extends Exception {
    private static final long serialVersionUID = 1L;

    public StartupException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
