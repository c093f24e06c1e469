package dev.cmcp.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cmcp.gateway.audit.CheckpointPolicy;
import dev.cmcp.gateway.audit.RotationPolicy;
import dev.cmcp.gateway.ratelimit.RateLimit;
import dev.cmcp.gateway.ratelimit.RateLimits;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

  @TempDir Path folder;

  private Path write(String yaml) throws IOException {
    Path file = folder.resolve("cmcp-config.yaml");
    Files.writeString(file, yaml);
    return file;
  }

  private GatewayConfig load(String yaml) throws Exception {
    return ConfigLoader.load(write(yaml));
  }

  /** The message of the ConfigException that loading {@code yaml} throws. */
  private String errorOf(String yaml) throws IOException {
    Path file = write(yaml);
    try {
      ConfigLoader.load(file);
    } catch (ConfigException e) {
      return e.getMessage();
    }
    throw new AssertionError("expected a ConfigException for:\n" + yaml);
  }

  private String prefix(int line) {
    return folder.resolve("cmcp-config.yaml") + ":" + line + ": ";
  }

  @Test
  void minimalFileGetsEveryDefault() throws Exception {
    GatewayConfig config = load("attestation:\n  provider: auto\n");

    assertThat(config.configFile()).isEqualTo(folder.resolve("cmcp-config.yaml").toAbsolutePath());
    assertThat(config.provider()).isEqualTo(AttestationProviderKind.AUTO);
    assertThat(config.enforcementMode()).isEqualTo(EnforcementMode.ENFORCING);
    assertThat(config.validitySeconds()).isEqualTo(86_400);
    assertThat(config.stalenessPolicy()).isEqualTo(StalenessPolicy.FAIL_CLOSED);
    assertThat(config.expectedMeasurement()).isEmpty();
    assertThat(config.policyBundlePath()).isEqualTo(folder.resolve("policies"));
    assertThat(config.catalogPath()).isEqualTo(folder.resolve("catalog.json"));
    assertThat(config.listenAddress()).isEqualTo(new ListenAddress("0.0.0.0", 8443, false));
    assertThat(config.maxResponseSizeBytes()).isEqualTo(2_097_152);
    assertThat(config.policyReloadIntervalSeconds()).isZero();
    assertThat(config.auditDir()).isEqualTo(folder.resolve("cmcp-audit"));
    assertThat(config.upstreamTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(config.allowedOrigins()).isEmpty();
    assertThat(config.claimGranularity()).isEqualTo(ClaimGranularity.SESSION);
    assertThat(config.metricsRequireToken()).isTrue();
    assertThat(config.tsmReportPath()).isEqualTo(Path.of("/sys/kernel/config/tsm/report"));
    assertThat(config.tpmDevice()).isEqualTo(new TpmDevice.Device(Path.of("/dev/tpmrm0")));
    assertThat(config.pcrSelection()).isEqualTo(new PcrSelection("sha256", List.of(0, 1, 2, 3, 4, 5, 6, 7)));
    assertThat(config.limits()).isEqualTo(GatewayLimits.DEFAULTS);
  }

  @Test
  void rateLimitsAndTheApprovalTimeoutAreReadAndBadRatesNamed() throws Exception {
    GatewayConfig config = load("""
        rate_limits:
          per_principal: 100/minute
          per_tool: 5/second
          max_tracked_keys: 500
        approval_timeout_seconds: 30
        """);

    assertThat(config.rateLimits()).isEqualTo(new RateLimits.Settings(
        Optional.of(new RateLimit(100, Duration.ofMinutes(1))), Optional.of(new RateLimit(5, Duration.ofSeconds(1))), 500));
    assertThat(config.approvalTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(load("attestation:\n  provider: auto\n").rateLimits()).isEqualTo(RateLimits.NONE);
    assertThat(errorOf("rate_limits:\n  per_tool: 10 per minute\n"))
        .startsWith(prefix(2) + "rate_limits.per_tool: \"10 per minute\" is not a rate; write calls per period, like \"10/minute\"");
    assertThat(errorOf("rate_limits:\n  per_agent: 1/second\n")).contains("unknown key");
  }

  @Test
  void auditCheckpointIntervalsAreReadAndBadOnesNamed() throws Exception {
    assertThat(load("attestation:\n  provider: auto\n").auditCheckpoints()).isEqualTo(CheckpointPolicy.DEFAULT);
    assertThat(load("audit:\n  checkpoint_every_entries: 10\n  checkpoint_every_seconds: 0\n").auditCheckpoints())
        .isEqualTo(new CheckpointPolicy(10, Duration.ZERO));
    assertThat(errorOf("audit:\n  checkpoint_every_entries: -1\n")).contains("audit.checkpoint_every_entries");
    assertThat(errorOf("audit:\n  checkpoint_every_seconds: 86401\n"))
        .contains("audit.checkpoint_every_seconds").contains("at most 86400");
    assertThat(errorOf("audit:\n  checkpoint_every: 5\n")).contains("unknown key");
    assertThat(load("audit:\n  retention_days: 30\n").auditRetention()).isEqualTo(Duration.ofDays(30));
    assertThat(load("attestation:\n  provider: auto\n").auditRetention()).isEqualTo(Duration.ZERO);
    assertThat(errorOf("audit:\n  retention_days: 99999\n")).contains("audit.retention_days").contains("at most 36500");
  }

  @Test
  void auditRotationThresholdsAreReadOffByDefaultAndBrokenOnesRefusedNamingTheField() throws Exception {
    assertThat(load("attestation:\n  provider: auto\n").auditRotation()).isEqualTo(RotationPolicy.OFF);
    assertThat(load("audit:\n  rotate_max_bytes: 67108864\n  rotate_max_age_seconds: 86400\n").auditRotation())
        .isEqualTo(new RotationPolicy(67_108_864, Duration.ofDays(1)));
    assertThat(load("audit:\n  rotate_max_bytes: 0\n  rotate_max_age_seconds: 0\n").auditRotation()).isEqualTo(RotationPolicy.OFF);
    assertThat(errorOf("audit:\n  rotate_max_bytes: 100\n")).contains("audit.rotate_max_bytes").contains("between 65536");
    assertThat(errorOf("audit:\n  rotate_max_bytes: -1\n")).contains("audit.rotate_max_bytes");
    assertThat(errorOf("audit:\n  rotate_max_bytes: 64MB\n")).contains("audit.rotate_max_bytes");
    assertThat(errorOf("audit:\n  rotate_max_age_seconds: 5\n")).contains("audit.rotate_max_age_seconds").contains("between 60");
    assertThat(errorOf("audit:\n  rotate_max_age_seconds: 99999999999\n")).contains("audit.rotate_max_age_seconds");
    assertThat(errorOf("audit:\n  rotate_every: 5\n")).contains("unknown key");
  }

  @Test
  void limitsAreReadAndOutOfRangeOnesNamed() throws Exception {
    GatewayConfig config = load("""
        limits:
          session_idle_timeout_seconds: 60
          max_sessions: 50
          max_sessions_per_principal: 5
          max_connections: 100
          max_connections_per_address: 0
          min_request_body_bytes_per_second: 0
          max_request_bytes_in_flight: 1048576
          max_json_values: 1000
        """);

    assertThat(config.limits()).isEqualTo(new GatewayLimits(Duration.ofSeconds(60), 50, 5, 100, 0, 0, 1_048_576, 1000));
    assertThat(errorOf("limits:\n  max_sessions: 0\n")).startsWith(prefix(2) + "limits.max_sessions: 0 is out of range");
    assertThat(errorOf("limits:\n  max_sessions: 9999999999\n")).contains("out of range");
    assertThat(errorOf("limits:\n  session_idle_timeout: 5\n")).contains("unknown key");
  }

  @Test
  void theHardwareProviderSettingsAreRead() throws Exception {
    GatewayConfig config = load("""
        attestation:
          tsm_report_path: fake-tsm
          tpm_device: "[::1]:2321"
          pcr_selection: "sha384:7, 0,4"
          tpm_enrollment: tpm-enrollment
        """);

    assertThat(config.tsmReportPath()).isEqualTo(folder.resolve("fake-tsm"));
    assertThat(config.tpmDevice()).isEqualTo(new TpmDevice.Socket("::1", 2321));
    assertThat(config.pcrSelection()).isEqualTo(new PcrSelection("sha384", List.of(0, 4, 7)));
    assertThat(config.pcrSelection()).hasToString("sha384:0,4,7");
    assertThat(config.tpmEnrollment()).contains(folder.resolve("tpm-enrollment"));
    assertThat(load("attestation:\n  tpm_device: /dev/tpm0\n").tpmEnrollment()).isEmpty();
    assertThat(load("attestation:\n  tpm_device: /dev/tpm0\n").tpmDevice()).isEqualTo(new TpmDevice.Device(Path.of("/dev/tpm0")));
  }

  @Test
  void badHardwareProviderSettingsAreNamedWithTheirLine() throws IOException {
    assertThat(errorOf("attestation:\n  provider: tpm\n  tpm_device: tpmrm0\n"))
        .startsWith(prefix(3) + "attestation.tpm_device: \"tpmrm0\" is neither an absolute device path like /dev/tpmrm0");
    assertThat(errorOf("attestation:\n  tpm_device: \"127.0.0.1:0\"\n")).contains("port 0 names no TPM simulator");
    assertThat(errorOf("attestation:\n  pcr_selection: \"0,1,2\"\n"))
        .startsWith(prefix(2) + "attestation.pcr_selection: \"0,1,2\" names no PCR bank");
    assertThat(errorOf("attestation:\n  pcr_selection: \"md5:0\"\n")).contains("\"md5\" is not a PCR bank; use one of sha1, sha256, sha384, sha512");
    assertThat(errorOf("attestation:\n  pcr_selection: \"sha256:0,24\"\n")).contains("\"24\" is not a PCR number (0-23)");
    assertThat(errorOf("attestation:\n  pcr_selection: \"sha256:1,1\"\n")).contains("PCR 1 is listed twice");
    assertThat(errorOf("attestation:\n  pcr_selection: \"sha256:\"\n")).contains("\"\" is not a PCR number");
    assertThat(errorOf("attestation:\n  tsm_reprt_path: /x\n")).contains("did you mean tsm_report_path?");
  }

  @Test
  void expectedMeasurementIsReadAsLowerCaseHexWithAnOptionalMatchingPrefix() throws Exception {
    String snp = "B07AF9620F3B839B47996422DDEC6058338951D984E312115131EA82705EAF5B6BDF8A9ECE31A5A608EB0CF2E4872B01";
    String sha256 = "ab".repeat(32);

    assertThat(load("attestation:\n  expected_measurement: \"" + snp + "\"\n").expectedMeasurement())
        .contains(snp.toLowerCase(java.util.Locale.ROOT));
    assertThat(load("attestation:\n  expected_measurement: \"sha384:" + snp + "\"\n").expectedMeasurement())
        .contains(snp.toLowerCase(java.util.Locale.ROOT));
    assertThat(load("attestation:\n  expected_measurement: \"sha256:" + sha256 + "\"\n").expectedMeasurement())
        .contains(sha256);
    assertThat(errorOf("attestation:\n  expected_measurement: \"sha256:" + snp + "\"\n"))
        .startsWith(prefix(2) + "attestation.expected_measurement: ")
        .contains("has 96 hex digits, but its prefix calls for 64");
    assertThat(errorOf("attestation:\n  expected_measurement: \"sha512:" + sha256 + "\"\n")).contains("is not a hex measurement");
    assertThat(errorOf("attestation:\n  expected_measurement: \"abc\"\n")).contains("is not a hex measurement");
  }

  @Test
  void everyFieldIsRead() throws Exception {
    GatewayConfig config =
        load(
            """
            attestation:
              provider: sev-snp
              validity_seconds: 600
              staleness_policy: warn_only
              expected_measurement: "abc123"
            enforcement_mode: advisory
            policy_bundle_path: /etc/cmcp/bundle
            catalog_path: conf/catalog.json
            listen_addr: "[::1]:9000"
            max_response_size_bytes: 1024
            policy_reload_interval_seconds: 60
            audit_dir: audit
            upstream_timeout_seconds: 5
            allowed_origins: ["https://app.example.com", "http://localhost:3000"]
            claim_granularity: call
            """);

    assertThat(config.provider()).isEqualTo(AttestationProviderKind.SEV_SNP);
    assertThat(config.enforcementMode()).isEqualTo(EnforcementMode.ADVISORY);
    assertThat(config.validitySeconds()).isEqualTo(600);
    assertThat(config.stalenessPolicy()).isEqualTo(StalenessPolicy.WARN_ONLY);
    assertThat(config.expectedMeasurement()).contains("abc123");
    assertThat(config.policyBundlePath()).isEqualTo(Path.of("/etc/cmcp/bundle"));
    assertThat(config.catalogPath()).isEqualTo(folder.resolve("conf/catalog.json"));
    assertThat(config.listenAddress()).isEqualTo(new ListenAddress("::1", 9000, true));
    assertThat(config.maxResponseSizeBytes()).isEqualTo(1024);
    assertThat(config.policyReloadIntervalSeconds()).isEqualTo(60);
    assertThat(config.auditDir()).isEqualTo(folder.resolve("audit"));
    assertThat(config.upstreamTimeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(config.allowedOrigins()).containsExactly("https://app.example.com", "http://localhost:3000");
    assertThat(config.claimGranularity()).isEqualTo(ClaimGranularity.CALL);
  }

  @Test
  void everyProviderSpellingIsAccepted() throws Exception {
    for (AttestationProviderKind kind : AttestationProviderKind.values()) {
      assertThat(load("attestation:\n  provider: " + kind.configName() + "\n").provider()).isEqualTo(kind);
    }
    assertThat(AttestationProviderKind.SEV_SNP.configName()).isEqualTo("sev-snp");
    assertThat(AttestationProviderKind.SOFTWARE_ONLY.configName()).isEqualTo("software-only");
    assertThat(AttestationProviderKind.GPU_CC.configName()).isEqualTo("gpu-cc");
  }

  @Test
  void relativePathsResolveAgainstTheConfigFolderNotTheWorkingDirectory() throws Exception {
    Path nested = Files.createDirectories(folder.resolve("deploy/conf"));
    Path file = nested.resolve("cmcp-config.yaml");
    Files.writeString(file, "policy_bundle_path: ./policies/\ncatalog_path: ../catalog.json\naudit_dir: ../../audit\n");

    GatewayConfig config = ConfigLoader.load(file);

    assertThat(config.policyBundlePath()).isEqualTo(nested.resolve("policies"));
    assertThat(config.catalogPath()).isEqualTo(folder.resolve("deploy/catalog.json"));
    assertThat(config.auditDir()).isEqualTo(folder.resolve("audit"));
    assertThat(config.policyBundlePath()).isAbsolute();
  }

  @Test
  void missingBundleAndCatalogAreLeftToTheirLoaders() throws Exception {
    GatewayConfig config = load("policy_bundle_path: nowhere/\ncatalog_path: none.json\n");

    assertThat(config.policyBundlePath()).doesNotExist();
    assertThat(config.catalogPath()).doesNotExist();
  }

  @Test
  void enforcementModeIsAcceptedUnderAttestationOrAtTopLevel() throws Exception {
    assertThat(load("attestation:\n  enforcement_mode: silent\n").enforcementMode()).isEqualTo(EnforcementMode.SILENT);
    assertThat(load("enforcement_mode: advisory\n").enforcementMode()).isEqualTo(EnforcementMode.ADVISORY);
  }

  @Test
  void enforcementModeInBothPlacesIsRefused() throws IOException {
    String message = errorOf("attestation:\n  enforcement_mode: enforcing\nenforcement_mode: advisory\n");

    assertThat(message).isEqualTo(prefix(3) + "enforcement_mode: also set as attestation.enforcement_mode on line 2; keep one");
  }

  @Test
  void badEnumValueNamesKeyLineAndAllowedValues() throws IOException {
    String message = errorOf("# gateway\nattestation:\n  enforcement_mode: enforce\n");

    assertThat(message).isEqualTo(prefix(3) + "attestation.enforcement_mode: \"enforce\" is not allowed; use one of enforcing, advisory, silent");
  }

  @Test
  void badProviderListsEveryProvider() throws IOException {
    assertThat(errorOf("attestation:\n  provider: azure-cvm\n"))
        .isEqualTo(prefix(2) + "attestation.provider: \"azure-cvm\" is not allowed; use one of auto, tpm, sev-snp, tdx, opaque, software-only, gpu-cc");
    assertThat(errorOf("attestation:\n  staleness_policy: fail-closed\n"))
        .contains("use one of fail_closed, warn_only");
    assertThat(errorOf("claim_granularity: tool\n")).contains("use one of session, call");
  }

  @Test
  void unknownKeySuggestsTheClosestKnownOne() throws IOException {
    assertThat(errorOf("attestation:\n  provider: tpm\n  enforcment_mode: enforcing\n"))
        .isEqualTo(prefix(3) + "attestation.enforcment_mode: unknown key; did you mean enforcement_mode?");
    assertThat(errorOf("catalog: catalog.json\n"))
        .isEqualTo(prefix(1) + "catalog: unknown key; did you mean catalog_path?");
  }

  @Test
  void unknownKeyFarFromAnyListsTheAllowedKeys() throws IOException {
    assertThat(errorOf("attestation:\n  colour: blue\n"))
        .isEqualTo(prefix(2) + "attestation.colour: unknown key; allowed here: enforcement_mode, expected_measurement, pcr_selection, provider, staleness_policy, tpm_device, tpm_enrollment, tsm_report_path, validity_seconds");
  }

  @Test
  void attestationKeyAtTopLevelIsPointedToItsSection() throws IOException {
    assertThat(errorOf("catalog_path: c.json\nprovider: tpm\n"))
        .isEqualTo(prefix(2) + "provider: belongs under attestation:; move it there");
  }

  @Test
  void wrongTypesAreRefusedWithKeyAndLine() throws IOException {
    assertThat(errorOf("attestation:\n  validity_seconds: \"600\"\n"))
        .isEqualTo(prefix(2) + "attestation.validity_seconds: expected a whole number, got the string \"600\" (write it without quotes)");
    assertThat(errorOf("max_response_size_bytes: 1.5\n"))
        .isEqualTo(prefix(1) + "max_response_size_bytes: expected a whole number, got the number 1.5");
    assertThat(errorOf("attestation:\n  - provider: tpm\n"))
        .isEqualTo(prefix(1) + "attestation: expected a map of settings, got a list");
    assertThat(errorOf("catalog_path: true\n"))
        .startsWith(prefix(1) + "catalog_path: expected a string, got the boolean true");
    assertThat(errorOf("listen_addr: [a, b]\n"))
        .isEqualTo(prefix(1) + "listen_addr: expected a string, got a list");
    assertThat(errorOf("attestation:\n  expected_measurement: 1234\n"))
        .isEqualTo(prefix(2) + "attestation.expected_measurement: expected a string, got the number 1234 (put it in quotes)");
    assertThat(errorOf("allowed_origins: https://a.example\n"))
        .isEqualTo(prefix(1) + "allowed_origins: expected a list of strings, got the string \"https://a.example\"");
    assertThat(errorOf("allowed_origins:\n  - https://a.example\n  - 8080\n"))
        .isEqualTo(prefix(3) + "allowed_origins[1]: expected a string, got the number 8080");
  }

  @Test
  void metricsRequireTokenIsABooleanWithItsLine() throws Exception {
    assertThat(load("metrics_require_token: false\n").metricsRequireToken()).isFalse();
    assertThat(errorOf("attestation:\n  provider: auto\nmetrics_require_token: \"no\"\n"))
        .startsWith(prefix(3) + "metrics_require_token: expected true or false, got the string \"no\"");
  }

  @Test
  void tracingIsOffUnlessTelemetryNamesACollector() throws Exception {
    assertThat(load("log_level: info\n").telemetry()).isEqualTo(Telemetry.OFF);
    GatewayConfig traced = load("telemetry:\n  traces_endpoint: http://collector:4318/v1/traces\n  sampling_ratio: 0.25\n"
        + "  resource_attributes:\n    deployment.environment.name: prod\n");
    assertThat(traced.telemetry().tracesEndpoint()).contains(java.net.URI.create("http://collector:4318/v1/traces"));
    assertThat(traced.telemetry().samplingRatio()).isEqualTo(0.25);
    assertThat(traced.telemetry().resourceAttributes()).containsExactly(java.util.Map.entry("deployment.environment.name", "prod"));
    assertThat(load("telemetry:\n  traces_endpoint: https://c.example/v1/traces\n").telemetry().samplingRatio()).isEqualTo(1.0);
  }

  @Test
  void badTelemetrySettingsAreNamedWithTheirLine() throws IOException {
    assertThat(errorOf("telemetry:\n  traces_endpoint: collector:4318\n"))
        .startsWith(prefix(2) + "telemetry.traces_endpoint:").contains("http://otel-collector:4318/v1/traces");
    assertThat(errorOf("telemetry:\n  traces_endpoint: http://c:4318/v1/traces\n  sampling_ratio: 1.5\n"))
        .startsWith(prefix(3) + "telemetry.sampling_ratio: must be from 0 to 1");
    assertThat(errorOf("telemetry:\n  sampling_ratio: 0.5\n"))
        .startsWith(prefix(2) + "telemetry.sampling_ratio: has no effect without telemetry.traces_endpoint");
    assertThat(errorOf("telemetry:\n  traces_endpoint: http://c:4318/v1/traces\n  resource_attributes:\n    team: 7\n"))
        .startsWith(prefix(4) + "telemetry.resource_attributes.team: expected a string");
    assertThat(errorOf("telemetry:\n  endpoint: http://c:4318\n")).startsWith(prefix(2) + "telemetry.endpoint: unknown key");
  }

  @Test
  void logFormatAndLevelAreChoicesWithDefaults() throws Exception {
    GatewayConfig defaults = load("metrics_require_token: true\n");
    assertThat(defaults.logFormat()).isEmpty();
    assertThat(defaults.logLevel()).isEqualTo(LogLevel.INFO);
    GatewayConfig chosen = load("log_format: text\nlog_level: debug\n");
    assertThat(chosen.logFormat()).contains(LogFormat.TEXT);
    assertThat(chosen.logLevel()).isEqualTo(LogLevel.DEBUG);
    assertThat(errorOf("log_format: xml\n")).startsWith(prefix(1) + "log_format:").contains("json").contains("text");
    assertThat(errorOf("log_level: verbose\n")).startsWith(prefix(1) + "log_level:").contains("debug");
  }

  @Test
  void yamlBooleanLookalikesAreNotStrings() throws IOException {
    assertThat(errorOf("claim_granularity: on\n")).contains("claim_granularity: expected a string, got the boolean true");
  }

  @Test
  void nonPositiveNumbersAreRefused() throws IOException {
    assertThat(errorOf("attestation:\n  validity_seconds: 0\n"))
        .isEqualTo(prefix(2) + "attestation.validity_seconds: must be greater than 0, not 0");
    assertThat(errorOf("max_response_size_bytes: -1\n")).contains("max_response_size_bytes: must be greater than 0, not -1");
    assertThat(errorOf("upstream_timeout_seconds: 0\n")).contains("upstream_timeout_seconds: must be greater than 0");
    assertThat(errorOf("policy_reload_interval_seconds: -5\n"))
        .isEqualTo(prefix(1) + "policy_reload_interval_seconds: must be 0 or more, not -5");
    assertThat(errorOf("max_response_size_bytes: 99999999999999999999999\n")).contains("is too large");
  }

  @Test
  void keyWithoutValueIsRefused() throws IOException {
    assertThat(errorOf("attestation:\n  expected_measurement:\n"))
        .isEqualTo(prefix(2) + "attestation.expected_measurement: has no value; write one or remove the key to use the default");
    assertThat(errorOf("catalog_path: \"\"\n")).isEqualTo(prefix(1) + "catalog_path: must not be empty; write a value or remove the key");
  }

  @Test
  void duplicateKeyNamesBothLines() throws IOException {
    assertThat(errorOf("attestation:\n  provider: tpm\n  validity_seconds: 5\n  provider: auto\n"))
        .isEqualTo(prefix(4) + "attestation.provider: written twice (first on line 2); keep one");
    assertThat(errorOf("catalog_path: a.json\ncatalog_path: b.json\n"))
        .isEqualTo(prefix(2) + "catalog_path: written twice (first on line 1); keep one");
  }

  @Test
  void sameKeyInTwoSectionsIsNotADuplicate() throws Exception {
    assertThat(load("attestation:\n  provider: tpm\nclaim_granularity: call\n").provider()).isEqualTo(AttestationProviderKind.TPM);
  }

  @Test
  void emptyOrCommentOnlyFileIsRefused() throws IOException {
    String file = folder.resolve("cmcp-config.yaml").toString();
    assertThat(errorOf("")).isEqualTo(file + ": the file is empty; write at least one setting, such as attestation.provider");
    assertThat(errorOf("# nothing yet\n")).startsWith(file + ": the file is empty");
    assertThat(errorOf("---\n")).startsWith(file + ": the file is empty");
  }

  @Test
  void missingFileIsRefused() {
    Path missing = folder.resolve("absent.yaml");

    assertThatThrownBy(() -> ConfigLoader.load(missing))
        .isInstanceOf(ConfigException.class)
        .hasMessage(missing + ": file not found");
  }

  @Test
  void fileThatIsNotAMapIsRefused() throws IOException {
    assertThat(errorOf("- a\n- b\n")).isEqualTo(prefix(1) + "the file must be a map of settings (key: value), not a list");
  }

  @Test
  void malformedYamlReportsItsLine() throws IOException {
    assertThat(errorOf("attestation:\n  provider: tpm\n    oops: 1\n")).startsWith(prefix(3) + "not valid YAML: ");
  }

  @Test
  void secondYamlDocumentIsRefused() throws IOException {
    assertThat(errorOf("catalog_path: a.json\n---\ncatalog_path: b.json\n"))
        .isEqualTo(prefix(3) + "a second YAML document starts here; the config is one document");
  }

  @Test
  void listenAddressForms() throws Exception {
    assertThat(load("listen_addr: 127.0.0.1:9443\n").listenAddress()).isEqualTo(new ListenAddress("127.0.0.1", 9443, true));
    assertThat(load("listen_addr: localhost:0\n").listenAddress()).isEqualTo(new ListenAddress("localhost", 0, true));
    assertThat(load("listen_addr: \"[::]:8443\"\n").listenAddress().toString()).isEqualTo("[::]:8443");
    assertThat(errorOf("listen_addr: 8443\n")).isEqualTo(prefix(1) + "listen_addr: expected a string, got the number 8443 (put it in quotes)");
    assertThat(errorOf("listen_addr: localhost\n")).contains("listen_addr: \"localhost\" has no port");
    assertThat(errorOf("listen_addr: \"::1:8443\"\n")).contains("write IPv6 addresses in brackets");
    assertThat(errorOf("listen_addr: 127.0.0.1:70000\n")).contains("\"70000\" is not a port number");
    assertThat(errorOf("listen_addr: 300.1.1.1:80\n")).contains("\"300.1.1.1\" is not an IP address or host name");
    assertThat(errorOf("listen_addr: \"[zz]:80\"\n")).contains("is not an IPv6 address");
  }

  @Test
  void allowedOriginsMustBeBareOrigins() throws IOException {
    assertThat(errorOf("allowed_origins: [\"https://app.example.com/\"]\n"))
        .isEqualTo(prefix(1) + "allowed_origins[0]: \"https://app.example.com/\" is not an origin; write scheme://host or scheme://host:port, like https://app.example.com, with no path and no wildcard");
    assertThat(errorOf("allowed_origins: [\"*\"]\n")).contains("\"*\" is not an origin");
    assertThat(errorOf("allowed_origins: [\"file:///tmp\"]\n")).contains("is not an origin");
  }

  @Test
  void softwareOnlyNeedsDevMode() throws Exception {
    GatewayConfig config = load("attestation:\n  provider: software-only\nlisten_addr: 127.0.0.1:8443\n");
    RuntimeEnvironment production = RuntimeEnvironment.from(Map.of());
    RuntimeEnvironment development = RuntimeEnvironment.from(Map.of("CMCP_DEV_MODE", "1"));

    assertThatThrownBy(() -> ConfigLoader.checkAgainst(config, production))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("attestation.provider: software-only")
        .hasMessageContaining("CMCP_DEV_MODE=1");
    ConfigLoader.checkAgainst(config, development);
  }

  @Test
  void opaqueNeedsItsServiceUrl() throws Exception {
    GatewayConfig config = load("attestation:\n  provider: opaque\n");

    assertThatThrownBy(() -> ConfigLoader.checkAgainst(config, RuntimeEnvironment.from(Map.of())))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("OPAQUE_ATTESTATION_URL");
    ConfigLoader.checkAgainst(config, RuntimeEnvironment.from(Map.of("OPAQUE_ATTESTATION_URL", "https://attest.example")));
  }

  @Test
  void checkAgainstAppliesTheListenRule() throws Exception {
    GatewayConfig config = load("listen_addr: 0.0.0.0:8443\n");

    assertThatThrownBy(() -> ConfigLoader.checkAgainst(config, RuntimeEnvironment.from(Map.of())))
        .hasMessage("listen_addr: 0.0.0.0:8443 is reachable from other machines; set CMCP_BEARER_TOKEN, add an auth section, or listen on 127.0.0.1");
  }

  @Test
  void devModeForcesSoftwareAttestation() throws Exception {
    GatewayConfig config = load("attestation:\n  provider: tpm\n");

    assertThat(config.effectiveProvider(RuntimeEnvironment.from(Map.of("CMCP_DEV_MODE", "1"))))
        .isEqualTo(AttestationProviderKind.SOFTWARE_ONLY);
    assertThat(config.effectiveProvider(RuntimeEnvironment.from(Map.of()))).isEqualTo(AttestationProviderKind.TPM);
  }

  @Test
  void notUtf8IsRefused() throws IOException {
    Path file = folder.resolve("cmcp-config.yaml");
    Files.write(file, new byte[] {'a', ':', ' ', (byte) 0xff, '\n'});

    assertThatThrownBy(() -> ConfigLoader.load(file)).hasMessage(file + ": not UTF-8 text; save the file as UTF-8");
  }
}
