package dev.cmcp.gateway.config;

import dev.cmcp.gateway.audit.CheckpointPolicy;
import dev.cmcp.gateway.audit.RotationPolicy;
import dev.cmcp.gateway.ratelimit.RateLimits;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The settings of cmcp-config.yaml, checked and with defaults filled in. Read it with {@link
 * ConfigLoader#load}; docs/configuration.md describes each field.
 *
 * @param configFile the file these settings came from, absolute
 * @param provider attestation.provider
 * @param enforcementMode enforcement_mode, written under attestation: or at the top level
 * @param validitySeconds attestation.validity_seconds: how long evidence counts as fresh
 * @param stalenessPolicy attestation.staleness_policy
 * @param expectedMeasurement attestation.expected_measurement, lower-case hex without prefix: the gateway
 *     refuses to start on any other
 * @param tsmReportPath attestation.tsm_report_path: the configfs-tsm report folder (SEV-SNP, TDX), absolute
 * @param tpmDevice attestation.tpm_device
 * @param pcrSelection attestation.pcr_selection: the PCRs a TPM quote covers
 * @param tpmEnrollment attestation.tpm_enrollment: the folder {@code cmcp tpm enroll} wrote (AK and EK
 *     certificates, the AK's persistent handle), absolute; empty: the gateway makes an uncertified AK at start
 * @param policyBundlePath policy_bundle_path, absolute
 * @param catalogPath catalog_path, absolute
 * @param listenAddress listen_addr as written, or the default; see {@link #effectiveListenAddress}
 * @param maxResponseSizeBytes max_response_size_bytes: larger upstream answers are refused
 * @param policyReloadIntervalSeconds policy_reload_interval_seconds; 0 never reloads
 * @param auditDir audit_dir, absolute
 * @param auditCheckpoints audit.checkpoint_every_entries and audit.checkpoint_every_seconds
 * @param auditRetention audit.retention_days; zero keeps every epoch
 * @param auditRotation audit.rotate_max_bytes and audit.rotate_max_age_seconds; {@link RotationPolicy#OFF} without them
 * @param upstreamTimeout upstream_timeout_seconds: how long one upstream call may take
 * @param allowedOrigins allowed_origins: browser origins accepted besides loopback ones
 * @param claimGranularity claim_granularity
 * @param metricsRequireToken metrics_require_token: whether /readyz and /metrics need the bearer token
 * @param logFormat log_format; empty: text on a terminal, JSON otherwise
 * @param logLevel log_level
 * @param limits limits: sessions, connections, request bodies
 * @param denyResponse deny_response: how a policy denial is answered
 * @param telemetry telemetry: where traces go; {@link Telemetry#OFF} without the section
 * @param rateLimits rate_limits: the gateway-wide limits on calls, per principal and per tool
 * @param approvalTimeout approval_timeout_seconds: how long a person has to answer an approval question
 * @param auth the auth section: per-agent tokens, OAuth; empty when the file has none
 * @param tls the tls: section
 */
public record GatewayConfig(
    Path configFile,
    AttestationProviderKind provider,
    EnforcementMode enforcementMode,
    long validitySeconds,
    StalenessPolicy stalenessPolicy,
    Optional<String> expectedMeasurement,
    Path tsmReportPath,
    TpmDevice tpmDevice,
    PcrSelection pcrSelection,
    Optional<Path> tpmEnrollment,
    Path policyBundlePath,
    Path catalogPath,
    ListenAddress listenAddress,
    long maxResponseSizeBytes,
    long policyReloadIntervalSeconds,
    Path auditDir,
    CheckpointPolicy auditCheckpoints,
    Duration auditRetention,
    RotationPolicy auditRotation,
    Duration upstreamTimeout,
    List<String> allowedOrigins,
    ClaimGranularity claimGranularity,
    boolean metricsRequireToken,
    Optional<LogFormat> logFormat,
    LogLevel logLevel,
    GatewayLimits limits,
    DenyResponse denyResponse,
    Telemetry telemetry,
    RateLimits.Settings rateLimits,
    Duration approvalTimeout,
    Optional<AuthSettings> auth,
    TlsSettings tls) {

  public GatewayConfig {
    Objects.requireNonNull(configFile);
    Objects.requireNonNull(provider);
    Objects.requireNonNull(enforcementMode);
    Objects.requireNonNull(stalenessPolicy);
    Objects.requireNonNull(expectedMeasurement);
    Objects.requireNonNull(tsmReportPath);
    Objects.requireNonNull(tpmDevice);
    Objects.requireNonNull(pcrSelection);
    Objects.requireNonNull(tpmEnrollment);
    Objects.requireNonNull(policyBundlePath);
    Objects.requireNonNull(catalogPath);
    Objects.requireNonNull(listenAddress);
    Objects.requireNonNull(auditDir);
    Objects.requireNonNull(auditCheckpoints);
    Objects.requireNonNull(auditRetention);
    Objects.requireNonNull(auditRotation);
    Objects.requireNonNull(upstreamTimeout);
    Objects.requireNonNull(claimGranularity);
    Objects.requireNonNull(logFormat);
    Objects.requireNonNull(logLevel);
    Objects.requireNonNull(limits);
    Objects.requireNonNull(denyResponse);
    Objects.requireNonNull(telemetry);
    Objects.requireNonNull(rateLimits);
    Objects.requireNonNull(approvalTimeout);
    Objects.requireNonNull(auth);
    Objects.requireNonNull(tls);
    allowedOrigins = List.copyOf(allowedOrigins);
  }

  /**
   * The address to bind, given the environment. A gateway without authentication (an {@code auth}
   * section or a bearer token) accepts anyone who can connect, so it listens on loopback unless the
   * file explicitly says otherwise, and an explicit non-loopback address without it is refused.
   */
  public ListenAddress effectiveListenAddress(RuntimeEnvironment env) throws ConfigException {
    if (env.bearerToken().isPresent() || auth.isPresent() || listenAddress.isLoopback()) {
      return listenAddress;
    }
    if (!listenAddress.explicit()) {
      return new ListenAddress("127.0.0.1", listenAddress.port(), false);
    }
    throw new ConfigException(
        "listen_addr: " + listenAddress + " is reachable from other machines; set "
            + RuntimeEnvironment.BEARER_TOKEN + ", add an auth section, or listen on 127.0.0.1");
  }

  /** The provider to use: CMCP_DEV_MODE=1 forces software attestation, whatever the file says. */
  public AttestationProviderKind effectiveProvider(RuntimeEnvironment env) {
    return env.devMode() ? AttestationProviderKind.SOFTWARE_ONLY : provider;
  }
}
