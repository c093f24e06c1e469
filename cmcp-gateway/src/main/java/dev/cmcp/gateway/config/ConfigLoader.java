package dev.cmcp.gateway.config;

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
          "upstream_timeout_seconds",
          "allowed_origins",
          "claim_granularity",
          "metrics_require_token",
          "log_format",
          "log_level",
          "tls");

  private static final Set<String> ATTESTATION_KEYS =
      Set.of(
          "provider",
          "enforcement_mode",
          "validity_seconds",
          "staleness_policy",
          "expected_measurement",
          "tsm_report_path",
          "tpm_device",
          "pcr_selection");

  private static final Set<String> TLS_KEYS = Set.of("mode", "cert_file", "key_file", "min_version");

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
        path(top, "policy_bundle_path", "policies/", folder),
        path(top, "catalog_path", "catalog.json", folder),
        listenAddress(top),
        top.positive("max_response_size_bytes").orElse(2L * 1024 * 1024),
        top.notNegative("policy_reload_interval_seconds").orElse(0L),
        path(top, "audit_dir", "./cmcp-audit/", folder),
        Duration.ofSeconds(top.positive("upstream_timeout_seconds").orElse(30L)),
        allowedOrigins(top),
        top.choice("claim_granularity", ClaimGranularity.values(), ClaimGranularity::configName)
            .orElse(ClaimGranularity.SESSION),
        top.bool("metrics_require_token").orElse(true),
        top.choice("log_format", LogFormat.values(), LogFormat::configName),
        top.choice("log_level", LogLevel.values(), LogLevel::configName).orElse(LogLevel.INFO),
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
    config.tls().effectiveMode(config.effectiveListenAddress(env));
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
