package dev.cmcp.gateway.attest;

import dev.cmcp.gateway.config.AttestationProviderKind;
import dev.cmcp.gateway.config.GatewayConfig;
import dev.cmcp.gateway.config.RuntimeEnvironment;
import dev.cmcp.gateway.config.TpmDevice;
import java.nio.file.Files;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Chooses the attestation provider from {@code attestation.provider} and the environment.
 *
 * <p>{@code auto} tries SEV-SNP, then TDX, then TPM, and takes the first this machine offers;
 * a platform that is present but fails is an error, never a reason to fall back to a weaker
 * one. Software evidence needs {@code CMCP_DEV_MODE=1}, which forces it whatever the config
 * says. {@code opaque} is used only when named.
 */
public final class AttestationProviders {

  /**
   * @param notes one line per provider considered and not chosen, with the reason, for the startup log
   */
  public record Selection(AttestationProvider provider, List<String> notes) {
    public Selection {
      notes = List.copyOf(notes);
    }
  }

  /**
   * The provider {@link #select} would use and why the others were passed over, found without
   * opening anything (no TPM keys made, no report requested): what {@code validate-config} shows.
   */
  public record Plan(AttestationProviderKind provider, List<String> notes) {
    public Plan {
      notes = List.copyOf(notes);
    }
  }

  private final GatewayConfig config;
  private final RuntimeEnvironment env;
  private final TpmAttester.Opener tpm;
  private final ConfigfsTsm tsm;
  private final Clock clock;

  private AttestationProviders(
      GatewayConfig config, RuntimeEnvironment env, TpmAttester.Opener tpm, ConfigfsTsm.Filesystem files, Clock clock) {
    this.config = config;
    this.env = env;
    this.tpm = tpm;
    this.tsm = new ConfigfsTsm(config.tsmReportPath(), files);
    this.clock = clock;
  }

  /**
   * @param tpm opens the TPM for {@code provider: tpm}
   * @throws AttestationException when the configured provider cannot be used here, saying why
   */
  public static Selection select(GatewayConfig config, RuntimeEnvironment env, TpmAttester.Opener tpm, Clock clock)
      throws AttestationException {
    return select(config, env, tpm, ConfigfsTsm.CONFIGFS, clock);
  }

  /**
   * Every check {@link #select} makes before it opens the provider.
   *
   * @throws AttestationException when the configured provider cannot be used here, saying why
   */
  public static Plan plan(GatewayConfig config, RuntimeEnvironment env) throws AttestationException {
    return new AttestationProviders(config, env, (device, pcrs, enrollment) -> {
      throw new IllegalStateException("planning opens no TPM");
    }, ConfigfsTsm.CONFIGFS, Clock.systemUTC()).plan();
  }

  /** As above, with the configfs side replaced by a test's laid-out folder. */
  static Selection select(
      GatewayConfig config, RuntimeEnvironment env, TpmAttester.Opener tpm, ConfigfsTsm.Filesystem files, Clock clock)
      throws AttestationException {
    return new AttestationProviders(config, env, tpm, files, clock).select();
  }

  private Selection select() throws AttestationException {
    Plan plan = plan();
    AttestationProvider provider = switch (plan.provider()) {
      case SOFTWARE_ONLY -> SoftwareProvider.measuringGateway(clock);
      case OPAQUE -> new OpaqueProvider(env.opaqueAttestationUrl().orElseThrow(), clock);
      case SEV_SNP, TDX, TPM -> open(plan.provider());
      case AUTO, GPU_CC -> throw new IllegalStateException("a plan never chooses " + plan.provider().configName());
    };
    return new Selection(provider, plan.notes());
  }

  private Plan plan() throws AttestationException {
    AttestationProviderKind kind = config.provider();
    if (env.devMode()) {
      return developmentPlan(kind);
    }
    return switch (kind) {
      case AUTO -> auto();
      case SEV_SNP, TDX, TPM -> named(kind);
      case OPAQUE -> opaque();
      case SOFTWARE_ONLY -> throw new AttestationException(
          "attestation.provider software-only needs " + RuntimeEnvironment.DEV_MODE + "=1: it has no hardware root of trust");
      case GPU_CC -> throw new AttestationException("attestation.provider gpu-cc: confidential GPU evidence is planned "
          + "for v0.2 and not available in this version; use sev-snp, tdx, tpm or auto");
    };
  }

  /** Development mode: software evidence; for auto, what hardware would have been found, for the log. */
  private Plan developmentPlan(AttestationProviderKind kind) throws AttestationException {
    List<String> notes = new ArrayList<>();
    if (kind == AttestationProviderKind.AUTO) {
      for (AttestationProviderKind hardware : autoOrder()) {
        String finding;
        try {
          finding = absence(hardware).map(reason -> "skipped: " + reason).orElse("available, not used");
        } catch (AttestationException e) {
          finding = "skipped: " + e.getMessage();
        }
        notes.add(hardware.configName() + " " + finding);
      }
      notes.add("software chosen: " + RuntimeEnvironment.DEV_MODE + "=1 (development only, no hardware root of trust)");
    } else if (kind != AttestationProviderKind.SOFTWARE_ONLY) {
      notes.add(RuntimeEnvironment.DEV_MODE + "=1 overrides attestation.provider " + kind.configName()
          + ": using the software provider");
    }
    return new Plan(AttestationProviderKind.SOFTWARE_ONLY, notes);
  }

  private Plan auto() throws AttestationException {
    List<String> notes = new ArrayList<>();
    for (AttestationProviderKind candidate : autoOrder()) {
      Optional<String> absence = absence(candidate);
      if (absence.isEmpty()) {
        return new Plan(candidate, notes);
      }
      notes.add(candidate.configName() + " skipped: " + absence.get());
    }
    throw new AttestationException("attestation.provider auto: no hardware attestation is available on this machine ("
        + String.join("; ", notes) + "); run in an SEV-SNP or TDX guest or on a machine with a TPM, or set "
        + RuntimeEnvironment.DEV_MODE + "=1 to run with the software provider (development only)");
  }

  private static List<AttestationProviderKind> autoOrder() {
    return List.of(AttestationProviderKind.SEV_SNP, AttestationProviderKind.TDX, AttestationProviderKind.TPM);
  }

  /** Why the hardware platform {@code kind} is not offered here; empty when it is. */
  private Optional<String> absence(AttestationProviderKind kind) throws AttestationException {
    return switch (kind) {
      case SEV_SNP -> SevSnpProvider.absence(tsm);
      case TDX -> TdxProvider.absence(tsm);
      case TPM -> config.tpmDevice() instanceof TpmDevice.Device device && !Files.exists(device.path())
          ? Optional.of(device.path() + " not found (set attestation.tpm_device if the TPM is elsewhere)")
          : Optional.empty();
      default -> throw new IllegalArgumentException(kind + " is not a hardware platform auto tries");
    };
  }

  /** A hardware provider the config names must be offered here. */
  private Plan named(AttestationProviderKind kind) throws AttestationException {
    Optional<String> absence = absence(kind);
    if (absence.isPresent()) {
      throw new AttestationException("attestation.provider " + kind.configName() + ": " + absence.get());
    }
    return new Plan(kind, List.of());
  }

  private AttestationProvider open(AttestationProviderKind kind) throws AttestationException {
    return switch (kind) {
      case SEV_SNP -> new SevSnpProvider(tsm, clock);
      case TDX -> new TdxProvider(tsm, clock);
      case TPM -> new TpmProvider(tpm.open(config.tpmDevice(), config.pcrSelection(), config.tpmEnrollment()), clock);
      default -> throw new IllegalArgumentException(kind + " is not a hardware platform");
    };
  }

  private Plan opaque() throws AttestationException {
    if (env.opaqueAttestationUrl().isEmpty()) {
      throw new AttestationException("attestation.provider opaque needs " + RuntimeEnvironment.OPAQUE_ATTESTATION_URL
          + " set to the OPAQUE attestation service URL");
    }
    return new Plan(AttestationProviderKind.OPAQUE, List.of());
  }
}
