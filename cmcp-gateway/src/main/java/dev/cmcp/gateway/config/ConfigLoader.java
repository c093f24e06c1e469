package dev.cmcp.gateway.config;

import dev.cmcp.gateway.audit.CheckpointPolicy;
import dev.cmcp.gateway.audit.RotationPolicy;
import dev.cmcp.gateway.ratelimit.RateLimit;
import dev.cmcp.gateway.ratelimit.RateLimits;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/** Reads cmcp-config.yaml into a {@link GatewayConfig}, refusing anything it does not understand. */
public final class ConfigLoader {

  private static final Set<String> TOP_LEVEL_KEYS =
      Set.of(
          "attestation",
          "enforcement_mode",
          "policy_bundle_path",
          "catalog_path",
          "listen_addr",
          "max_response_size_bytes",
          "policy_reload_interval_seconds",
          "audit_dir",
          "audit",
          "upstream_timeout_seconds",
          "allowed_origins",
          "claim_granularity",
          "metrics_require_token",
          "log_format",
          "log_level",
          "limits",
          "deny_response",
          "telemetry",
          "rate_limits",
          "approval_timeout_seconds",
          "auth",
          "tls");

  private static final Set<String> AUDIT_KEYS = Set.of("checkpoint_every_entries", "checkpoint_every_seconds", "retention_days",
      "rotate_max_bytes", "rotate_max_age_seconds");
  private static final long MAX_RETENTION_DAYS = 36_500;
  /** The smallest audit.rotate_max_bytes: smaller files would hold little besides their genesis and checkpoints. */
  static final long MIN_ROTATE_BYTES = 65_536;
  /** The largest audit.rotate_max_bytes: 1 TiB. */
  static final long MAX_ROTATE_BYTES = 1L << 40;
  /** The smallest audit.rotate_max_age_seconds: a minute. */
  static final long MIN_ROTATE_SECONDS = 60;
  /** The largest audit.rotate_max_age_seconds: a year. */
  static final long MAX_ROTATE_SECONDS = 31_536_000;
  private static final long MAX_CHECKPOINT_ENTRIES = 10_000_000;
  private static final long MAX_CHECKPOINT_SECONDS = 86_400;

  private static final Set<String> TELEMETRY_KEYS = Set.of("traces_endpoint", "sampling_ratio", "resource_attributes");

  private static final Set<String> RATE_LIMITS_KEYS = Set.of("per_principal", "per_tool", "max_tracked_keys");

  private static final Set<String> AUTH_KEYS = Set.of("agents", "oauth", "auditors");
  private static final Set<String> AGENT_KEYS = Set.of("id", "token_sha256", "workflows");
  private static final Set<String> OAUTH_KEYS = Set.of(
      "issuer", "audience", "principal_claim", "required_scopes", "attributes", "algorithms", "clock_skew_seconds",
      "jwks_refresh_seconds", "jwks_max_age_seconds", "workflows_claim");
  /** Asymmetric JWS algorithms only: an HMAC key would be a secret the gateway shares with the issuer. */
  static final List<String> SIGNING_ALGORITHMS =
      List.of("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512");
  private static final Pattern PRINCIPAL_ID = Pattern.compile("[\\x21-\\x7e]{1,256}");

  private static final Set<String> ATTESTATION_KEYS =
      Set.of(
          "provider",
          "enforcement_mode",
          "validity_seconds",
          "staleness_policy",
          "expected_measurement",
          "tsm_report_path",
          "tpm_device",
          "pcr_selection",
          "tpm_enrollment");

  private static final Set<String> TLS_KEYS = Set.of("mode", "cert_file", "key_file", "min_version");
  private static final Set<String> LIMITS_KEYS =
      Set.of(
          "session_idle_timeout_seconds",
          "max_sessions",
          "max_sessions_per_principal",
          "max_connections",
          "max_connections_per_address",
          "min_request_body_bytes_per_second",
          "max_request_bytes_in_flight",
          "max_json_values");

  private static final Pattern HEX = Pattern.compile("(?:[0-9a-f]{2})+");

  private ConfigLoader() {}

  /**
   * Reads and checks {@code configFile}. Relative paths in it are taken from the file's folder.
   * Files the config points at (bundle, catalog) are not opened here: their own loaders report on
   * them.
   *
   * @throws ConfigException naming the file, line and key of the first problem
   */
  public static GatewayConfig load(Path configFile) throws ConfigException {
    YamlDocument document = YamlDocument.read(configFile);
    Path folder = configFile.toAbsolutePath().normalize().getParent();

    YamlMap top = YamlMap.root(document);
    for (String key : top.keys()) {
      if (!TOP_LEVEL_KEYS.contains(key) && ATTESTATION_KEYS.contains(key)) {
        throw top.error(key, "belongs under attestation:; move it there");
      }
    }
    top.rejectUnknownKeys(TOP_LEVEL_KEYS);
    YamlMap attestation = top.map("attestation");
    attestation.rejectUnknownKeys(ATTESTATION_KEYS);

    return new GatewayConfig(
        configFile.toAbsolutePath().normalize(),
        attestation
            .choice("provider", AttestationProviderKind.values(), AttestationProviderKind::configName)
            .orElse(AttestationProviderKind.AUTO),
        enforcementMode(top, attestation),
        attestation.positive("validity_seconds").orElse(86_400L),
        attestation
            .choice("staleness_policy", StalenessPolicy.values(), StalenessPolicy::configName)
            .orElse(StalenessPolicy.FAIL_CLOSED),
        expectedMeasurement(attestation),
        path(attestation, "tsm_report_path", "/sys/kernel/config/tsm/report", folder),
        tpmDevice(attestation),
        pcrSelection(attestation),
        attestation.has("tpm_enrollment")
            ? Optional.of(path(attestation, "tpm_enrollment", "", folder))
            : Optional.empty(),
        path(top, "policy_bundle_path", "policies/", folder),
        path(top, "catalog_path", "catalog.json", folder),
        listenAddress(top),
        top.positive("max_response_size_bytes").orElse(2L * 1024 * 1024),
        top.notNegative("policy_reload_interval_seconds").orElse(0L),
        path(top, "audit_dir", "./cmcp-audit/", folder),
        checkpoints(top.map("audit")),
        retention(top.map("audit")),
        rotation(top.map("audit")),
        Duration.ofSeconds(top.positive("upstream_timeout_seconds").orElse(30L)),
        allowedOrigins(top),
        top.choice("claim_granularity", ClaimGranularity.values(), ClaimGranularity::configName)
            .orElse(ClaimGranularity.SESSION),
        top.bool("metrics_require_token").orElse(true),
        top.choice("log_format", LogFormat.values(), LogFormat::configName),
        top.choice("log_level", LogLevel.values(), LogLevel::configName).orElse(LogLevel.INFO),
        limits(top.map("limits")),
        top.choice("deny_response", DenyResponse.values(), DenyResponse::configName).orElse(DenyResponse.HTTP_403),
        telemetry(top),
        rateLimits(top.map("rate_limits")),
        Duration.ofSeconds(top.positive("approval_timeout_seconds").orElse(120L)),
        auth(top),
        tls(top.map("tls"), folder));
  }

  /** The files are read at start, where a missing or unreadable one is reported under its key. */
  private static TlsSettings tls(YamlMap tls, Path folder) throws ConfigException {
    tls.rejectUnknownKeys(TLS_KEYS);
    Optional<TlsSettings.Mode> mode;
    // YAML 1.1 reads an unquoted off as false: the mode the user wrote, not a type error.
    if (tls.isBoolean("mode")) {
      if (tls.bool("mode").orElseThrow()) {
        throw tls.error("mode", "use one of generate, files, off (an unquoted on/yes/true is not a mode)");
      }
      mode = Optional.of(TlsSettings.Mode.OFF);
    } else {
      mode = tls.choice("mode", TlsSettings.Mode.values(), TlsSettings.Mode::configName);
    }
    boolean files = mode.orElse(null) == TlsSettings.Mode.FILES;
    for (String key : List.of("cert_file", "key_file")) {
      if (files && !tls.has(key)) {
        throw tls.error("mode", "files needs tls.cert_file (the PEM certificate chain) and tls.key_file (its PEM private key); "
            + "tls." + key + " is missing");
      }
      if (!files && tls.has(key)) {
        throw tls.error(key, "is read only with tls.mode: files; set the mode or remove the key");
      }
    }
    return new TlsSettings(
        mode,
        files ? Optional.of(path(tls, "cert_file", "", folder)) : Optional.empty(),
        files ? Optional.of(path(tls, "key_file", "", folder)) : Optional.empty(),
        tls.choice("min_version", TlsSettings.MinVersion.values(), TlsSettings.MinVersion::configName)
            .orElse(TlsSettings.MinVersion.TLS_1_3));
  }

  /** When the audit log signs a checkpoint; 0 turns a trigger off. */
  private static CheckpointPolicy checkpoints(YamlMap audit) throws ConfigException {
    audit.rejectUnknownKeys(AUDIT_KEYS);
    long entries = audit.notNegative("checkpoint_every_entries").orElse(CheckpointPolicy.DEFAULT.everyEntries());
    long seconds = audit.notNegative("checkpoint_every_seconds").orElse(CheckpointPolicy.DEFAULT.every().toSeconds());
    if (entries > MAX_CHECKPOINT_ENTRIES) {
      throw audit.error("checkpoint_every_entries", "at most " + MAX_CHECKPOINT_ENTRIES
          + " (a longer stretch of the log would go without a signed checkpoint); 0 turns the count trigger off");
    }
    if (seconds > MAX_CHECKPOINT_SECONDS) {
      throw audit.error("checkpoint_every_seconds", "at most " + MAX_CHECKPOINT_SECONDS
          + " (one day); 0 turns the time trigger off");
    }
    return new CheckpointPolicy(entries, Duration.ofSeconds(seconds));
  }

  /** How long epochs are kept; 0 keeps them all. */
  private static Duration retention(YamlMap audit) throws ConfigException {
    long days = audit.notNegative("retention_days").orElse(0L);
    if (days > MAX_RETENTION_DAYS) {
      throw audit.error("retention_days", "at most " + MAX_RETENTION_DAYS + "; 0 keeps every epoch");
    }
    return Duration.ofDays(days);
  }

  /** When the audit log rotates within a run; 0 or absent turns a trigger off. */
  private static RotationPolicy rotation(YamlMap audit) throws ConfigException {
    long bytes = audit.notNegative("rotate_max_bytes").orElse(0L);
    if (bytes != 0 && (bytes < MIN_ROTATE_BYTES || bytes > MAX_ROTATE_BYTES)) {
      throw audit.error("rotate_max_bytes", "between " + MIN_ROTATE_BYTES + " (64 KiB) and " + MAX_ROTATE_BYTES
          + " (1 TiB) bytes; 0 or absent turns size rotation off");
    }
    long seconds = audit.notNegative("rotate_max_age_seconds").orElse(0L);
    if (seconds != 0 && (seconds < MIN_ROTATE_SECONDS || seconds > MAX_ROTATE_SECONDS)) {
      throw audit.error("rotate_max_age_seconds", "between " + MIN_ROTATE_SECONDS + " and " + MAX_ROTATE_SECONDS
          + " (a year) seconds; 0 or absent turns age rotation off");
    }
    return new RotationPolicy(bytes, Duration.ofSeconds(seconds));
  }

  /** Tracing is off unless traces_endpoint names an http(s) URL. */
  private static Telemetry telemetry(YamlMap top) throws ConfigException {
    YamlMap telemetry = top.map("telemetry");
    telemetry.rejectUnknownKeys(TELEMETRY_KEYS);
    Optional<URI> endpoint = Optional.empty();
    Optional<String> written = telemetry.string("traces_endpoint");
    if (written.isPresent()) {
      try {
        URI uri = new URI(written.get());
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null) {
          throw telemetry.error("traces_endpoint", "\"" + written.get() + "\" is not an http(s) URL; write the collector's "
              + "OTLP/HTTP traces URL, like http://otel-collector:4318/v1/traces");
        }
        endpoint = Optional.of(uri);
      } catch (URISyntaxException e) {
        throw telemetry.error("traces_endpoint", "\"" + written.get() + "\" is not a URL: " + e.getReason());
      }
    } else if (telemetry.has("sampling_ratio") || telemetry.has("resource_attributes")) {
      throw telemetry.error(telemetry.has("sampling_ratio") ? "sampling_ratio" : "resource_attributes",
          "has no effect without telemetry.traces_endpoint; set the collector's URL or remove it");
    }
    return new Telemetry(endpoint, telemetry.fraction("sampling_ratio").orElse(1.0), telemetry.stringMap("resource_attributes"));
  }

  /** The auth section, empty when absent; an empty section is refused, since it would authenticate nobody. */
  private static Optional<AuthSettings> auth(YamlMap top) throws ConfigException {
    if (!top.has("auth")) {
      return Optional.empty();
    }
    YamlMap auth = top.map("auth");
    auth.rejectUnknownKeys(AUTH_KEYS);
    List<AuthSettings.AgentToken> agents = new java.util.ArrayList<>();
    Set<String> ids = new java.util.HashSet<>();
    Set<String> digests = new java.util.HashSet<>();
    List<YamlMap> written = auth.maps("agents");
    for (YamlMap agent : written) {
      agent.rejectUnknownKeys(AGENT_KEYS);
      String id = agent.string("id").orElseThrow(() -> agent.error("id", "missing; name the agent (its Cedar principal Agent::\"<id>\")"));
      if (!PRINCIPAL_ID.matcher(id).matches()) {
        throw agent.error("id", "\"" + id + "\" must be 1-256 printable ASCII characters without spaces");
      }
      if (!ids.add(id)) {
        throw agent.error("id", "agent " + id + " is listed twice; keep one");
      }
      String digest = agent.string("token_sha256")
          .orElseThrow(() -> agent.error("token_sha256", "missing; write the output of: cmcp token hash < token-file"))
          .toLowerCase(Locale.ROOT);
      if (digest.length() != 64 || !HEX.matcher(digest).matches()) {
        throw agent.error("token_sha256", "must be the 64 hex digits of the token's SHA-256 (cmcp token hash prints it), not the token itself");
      }
      if (!digests.add(digest)) {
        throw agent.error("token_sha256", "another agent has the same token; give each agent its own");
      }
      List<String> workflows = agent.strings("workflows");
      for (int i = 0; i < workflows.size(); i++) {
        if (!PRINCIPAL_ID.matcher(workflows.get(i)).matches()) {
          throw agent.error("workflows", i, "\"" + workflows.get(i) + "\" must be 1-256 printable ASCII characters without spaces");
        }
      }
      agents.add(new AuthSettings.AgentToken(id, digest, workflows.isEmpty() ? List.of(id) : workflows));
    }
    Optional<AuthSettings.OAuth> oauth = auth.has("oauth") ? Optional.of(oauth(auth.map("oauth"))) : Optional.empty();
    if (agents.isEmpty() && oauth.isEmpty()) {
      throw top.error("auth", "authenticates nobody; list agents under auth.agents, configure auth.oauth, or remove the section");
    }
    return Optional.of(new AuthSettings(agents, oauth, auth.strings("auditors")));
  }

  private static AuthSettings.OAuth oauth(YamlMap oauth) throws ConfigException {
    oauth.rejectUnknownKeys(OAUTH_KEYS);
    URI issuer = absoluteUrl(oauth, "issuer", true);
    URI audience = absoluteUrl(oauth, "audience", false);
    List<String> algorithms = oauth.strings("algorithms");
    for (int i = 0; i < algorithms.size(); i++) {
      if (!SIGNING_ALGORITHMS.contains(algorithms.get(i))) {
        throw oauth.error("algorithms", i, "\"" + algorithms.get(i) + "\" is not allowed; use some of "
            + String.join(", ", SIGNING_ALGORITHMS) + " (never none, never HMAC)");
      }
    }
    long refresh = oauth.positive("jwks_refresh_seconds").orElse(300L);
    long maxAge = oauth.positive("jwks_max_age_seconds").orElse(3600L);
    if (refresh < 10) {
      throw oauth.error("jwks_refresh_seconds", "must be 10 or more: the key set is not fetched more often than every 10 s");
    }
    if (maxAge <= refresh) {
      throw oauth.error("jwks_max_age_seconds", "must be more than jwks_refresh_seconds (" + refresh
          + "), or the keys would expire before they are fetched again");
    }
    return new AuthSettings.OAuth(
        issuer,
        audience,
        oauth.string("principal_claim").orElse("sub"),
        oauth.strings("required_scopes"),
        oauth.strings("attributes"),
        algorithms.isEmpty() ? List.of("RS256", "PS256", "ES256") : algorithms,
        Duration.ofSeconds(oauth.notNegative("clock_skew_seconds").orElse(60L)),
        Duration.ofSeconds(refresh),
        Duration.ofSeconds(maxAge),
        oauth.string("workflows_claim"));
  }

  /**
   * An absolute https URL; plain http only on a loopback host (tests, local development), since a
   * token issuer or resource reached in clear could be impersonated.
   */
  private static URI absoluteUrl(YamlMap map, String key, boolean required) throws ConfigException {
    Optional<String> written = map.string(key);
    if (written.isEmpty()) {
      throw map.error(key, required ? "missing; write the authorization server's issuer URL"
          : "missing; write the gateway's public MCP URL (for example https://gw.example.com/mcp), which tokens must name in aud");
    }
    URI url;
    try {
      url = new URI(written.get());
    } catch (URISyntaxException e) {
      throw map.error(key, "\"" + written.get() + "\" is not a URL");
    }
    String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
    if (url.getHost() == null || url.getRawQuery() != null || url.getRawFragment() != null || url.getRawUserInfo() != null) {
      throw map.error(key, "\"" + written.get() + "\" must be an absolute URL with a host and no query or fragment");
    }
    boolean loopback = ListenAddress.isLoopbackHost(url.getHost());
    if (!scheme.equals("https") && !(scheme.equals("http") && loopback)) {
      throw map.error(key, "\"" + written.get() + "\" must use https (http only on a loopback host, for tests)");
    }
    return url;
  }

  /**
   * Checks the settings that depend on the environment: software attestation only in development
   * mode, OPAQUE only with its service URL, and a listen address that a tokenless gateway may use.
   */
  public static void checkAgainst(GatewayConfig config, RuntimeEnvironment env) throws ConfigException {
    if (config.provider() == AttestationProviderKind.SOFTWARE_ONLY && !env.devMode()) {
      throw new ConfigException(
          "attestation.provider: software-only gives no hardware root of trust and is allowed only with "
              + RuntimeEnvironment.DEV_MODE + "=1; choose a hardware provider or auto");
    }
    if (config.provider() == AttestationProviderKind.OPAQUE && env.opaqueAttestationUrl().isEmpty()) {
      throw new ConfigException(
          "attestation.provider: opaque needs " + RuntimeEnvironment.OPAQUE_ATTESTATION_URL
              + " set to the OPAQUE attestation service URL");
    }
    if (config.auth().isPresent() && env.bearerToken().isPresent()) {
      throw new ConfigException(RuntimeEnvironment.BEARER_TOKEN + " is one token shared by every agent and cannot be used "
          + "with an auth section, which tells agents apart; unset it and give each agent its own entry under auth.agents");
    }
    config.tls().effectiveMode(config.effectiveListenAddress(env));
  }

  private static RateLimits.Settings rateLimits(YamlMap limits) throws ConfigException {
    limits.rejectUnknownKeys(RATE_LIMITS_KEYS);
    return new RateLimits.Settings(rate(limits, "per_principal"), rate(limits, "per_tool"),
        intLimit(limits, "max_tracked_keys", RateLimits.Settings.DEFAULT_MAX_TRACKED_KEYS, 1));
  }

  private static Optional<RateLimit> rate(YamlMap map, String key) throws ConfigException {
    Optional<String> written = map.string(key);
    if (written.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(RateLimit.parse(written.get()));
    } catch (IllegalArgumentException e) {
      throw map.error(key, e.getMessage());
    }
  }

  private static GatewayLimits limits(YamlMap limits) throws ConfigException {
    limits.rejectUnknownKeys(LIMITS_KEYS);
    GatewayLimits d = GatewayLimits.DEFAULTS;
    return new GatewayLimits(
        Duration.ofSeconds(limits.positive("session_idle_timeout_seconds").orElse(d.sessionIdleTimeout().toSeconds())),
        intLimit(limits, "max_sessions", d.maxSessions(), 1),
        intLimit(limits, "max_sessions_per_principal", d.maxSessionsPerPrincipal(), 1),
        intLimit(limits, "max_connections", d.maxConnections(), 1),
        intLimit(limits, "max_connections_per_address", d.maxConnectionsPerAddress(), 0),
        limits.notNegative("min_request_body_bytes_per_second").orElse(d.minRequestBodyBytesPerSecond()),
        limits.positive("max_request_bytes_in_flight").orElse(d.maxRequestBytesInFlight()),
        intLimit(limits, "max_json_values", d.maxJsonValues(), 1));
  }

  private static int intLimit(YamlMap map, String key, int defaultValue, long least) throws ConfigException {
    long value = map.notNegative(key).orElse((long) defaultValue);
    if (value < least || value > Integer.MAX_VALUE) {
      throw map.error(key, value + " is out of range; write a whole number from " + least + " to " + Integer.MAX_VALUE);
    }
    return (int) value;
  }

  /**
   * The reference implementation keeps enforcement_mode under attestation:, while the quickstart
   * writes it at the top level; either is accepted, but not both, so nobody edits the ignored one.
   */
  private static EnforcementMode enforcementMode(YamlMap top, YamlMap attestation) throws ConfigException {
    String key = "enforcement_mode";
    if (top.has(key) && attestation.has(key)) {
      throw top.error(key, "also set as attestation.enforcement_mode on line " + attestation.line(key) + "; keep one");
    }
    YamlMap holder = top.has(key) ? top : attestation;
    return holder.choice(key, EnforcementMode.values(), EnforcementMode::configName).orElse(EnforcementMode.ENFORCING);
  }

  /**
   * Lower-case hex without prefix. A {@code sha384:} or {@code sha256:} prefix is accepted only
   * when the digits have that length (SEV-SNP and TDX measurements are SHA-384, TPM PCR digests
   * and the software measurement SHA-256), so that a prefix never hides a wrong value.
   */
  private static Optional<String> expectedMeasurement(YamlMap attestation) throws ConfigException {
    String key = "expected_measurement";
    Optional<String> written = attestation.string(key);
    if (written.isEmpty()) {
      return Optional.empty();
    }
    String hex = written.get().strip().toLowerCase(Locale.ROOT);
    int digits = 0;
    for (String algorithm : List.of("sha384", "sha256")) {
      if (hex.startsWith(algorithm + ":")) {
        hex = hex.substring(algorithm.length() + 1);
        digits = algorithm.equals("sha384") ? 96 : 64;
      }
    }
    if (!HEX.matcher(hex).matches()) {
      throw attestation.error(key, "\"" + written.get() + "\" is not a hex measurement; write the hex digits the "
          + "gateway prints at start, optionally after sha384: or sha256:");
    }
    if (digits != 0 && hex.length() != digits) {
      throw attestation.error(key, "\"" + written.get() + "\" has " + hex.length() + " hex digits, but its prefix calls for "
          + digits + "; check the value or drop the prefix");
    }
    return Optional.of(hex);
  }

  private static TpmDevice tpmDevice(YamlMap attestation) throws ConfigException {
    String key = "tpm_device";
    try {
      return TpmDevice.parse(attestation.string(key).orElse("/dev/tpmrm0"));
    } catch (IllegalArgumentException e) {
      throw attestation.error(key, e.getMessage());
    }
  }

  private static PcrSelection pcrSelection(YamlMap attestation) throws ConfigException {
    String key = "pcr_selection";
    try {
      return attestation.string(key).map(PcrSelection::parse).orElse(PcrSelection.DEFAULT);
    } catch (IllegalArgumentException e) {
      throw attestation.error(key, e.getMessage());
    }
  }

  private static Path path(YamlMap map, String key, String defaultValue, Path folder) throws ConfigException {
    String written = map.string(key).orElse(defaultValue);
    try {
      return folder.resolve(written).normalize();
    } catch (InvalidPathException e) {
      throw map.error(key, "\"" + written + "\" is not a valid path (" + e.getReason() + ")");
    }
  }

  private static ListenAddress listenAddress(YamlMap top) throws ConfigException {
    String key = "listen_addr";
    if (!top.has(key)) {
      return new ListenAddress("0.0.0.0", 8443, false);
    }
    try {
      return ListenAddress.parse(top.string(key).orElseThrow(), true);
    } catch (IllegalArgumentException e) {
      throw top.error(key, e.getMessage());
    }
  }

  /** Browser origins: scheme, host and optional port, nothing more, since that is what Origin carries. */
  private static List<String> allowedOrigins(YamlMap top) throws ConfigException {
    String key = "allowed_origins";
    List<String> origins = top.strings(key);
    for (int i = 0; i < origins.size(); i++) {
      String origin = origins.get(i);
      if (!isOrigin(origin)) {
        throw top.error(key, i, "\"" + origin + "\" is not an origin; write scheme://host or scheme://host:port, like https://app.example.com, with no path and no wildcard");
      }
    }
    return origins;
  }

  private static boolean isOrigin(String text) {
    try {
      URI uri = new URI(text);
      String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
      return (scheme.equals("http") || scheme.equals("https"))
          && uri.getHost() != null
          && uri.getRawUserInfo() == null
          && uri.getRawPath().isEmpty()
          && uri.getRawQuery() == null
          && uri.getRawFragment() == null;
    } catch (URISyntaxException e) {
      return false;
    }
  }
}
