package dev.cmcp.gateway.attest;

import static dev.cmcp.gateway.attest.Fixtures.BINDING;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cmcp.gateway.config.ConfigLoader;
import dev.cmcp.gateway.config.GatewayConfig;
import dev.cmcp.gateway.config.PcrSelection;
import dev.cmcp.gateway.config.RuntimeEnvironment;
import dev.cmcp.gateway.config.TpmDevice;
import dev.cmcp.verify.base.Digests;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AttestationProvidersTest {

  /** A machine without a TPM: opening one fails as the real opener does. */
  static final TpmAttester.Opener NO_TPM = (device, pcrs, enrollment) -> {
    throw new AttestationException("tpm: " + device + " not found (test: no TPM)");
  };


  @TempDir Path dir;
  private final TestClock clock = new TestClock(Instant.parse("2026-11-25T10:00:00Z"));

  private GatewayConfig config(String attestation) throws Exception {
    Path file = dir.resolve("cmcp-config.yaml");
    Files.writeString(file, "attestation:\n" + attestation.indent(2));
    return ConfigLoader.load(file);
  }

  /** No configfs-tsm and no TPM device, wherever the test runs. */
  private GatewayConfig autoWithoutHardware() throws Exception {
    return config("provider: auto\ntsm_report_path: " + dir.resolve("tsm") + "\ntpm_device: " + dir.resolve("tpmrm0"));
  }

  private static RuntimeEnvironment devMode() throws Exception {
    return RuntimeEnvironment.from(Map.of("CMCP_DEV_MODE", "1"));
  }

  private static RuntimeEnvironment production() throws Exception {
    return RuntimeEnvironment.from(Map.of());
  }

  private AttestationProviders.Selection select(GatewayConfig config, RuntimeEnvironment env, ConfigfsTsm.Filesystem files)
      throws AttestationException {
    return AttestationProviders.select(config, env, NO_TPM, files, clock);
  }

  @Test
  void autoInDevModePicksSoftwareAndSaysWhyEachHardwareProviderWasSkipped() throws Exception {
    AttestationProviders.Selection selection = select(autoWithoutHardware(), devMode(), ConfigfsTsm.CONFIGFS);

    assertThat(selection.provider()).isInstanceOf(SoftwareProvider.class);
    assertThat(selection.notes()).hasSize(4);
    assertThat(selection.notes().get(0)).startsWith("sev-snp skipped: " + dir.resolve("tsm") + " not found");
    assertThat(selection.notes().get(1)).startsWith("tdx skipped: " + dir.resolve("tsm") + " not found");
    assertThat(selection.notes().get(2)).startsWith("tpm skipped: " + dir.resolve("tpmrm0") + " not found");
    assertThat(selection.notes().get(3)).startsWith("software chosen: CMCP_DEV_MODE=1");
  }

  @Test
  void autoOnThisMachineInDevModePicksSoftwareAndAccountsForEachHardwareProvider() throws Exception {
    AttestationProviders.Selection selection = AttestationProviders.select(
        config("provider: auto"), devMode(), NO_TPM, clock);

    assertThat(selection.provider()).isInstanceOf(SoftwareProvider.class);
    assertThat(selection.notes()).satisfiesExactly(
        sevSnp -> assertThat(sevSnp).startsWith("sev-snp "),
        tdx -> assertThat(tdx).startsWith("tdx "),
        tpm -> assertThat(tpm).startsWith("tpm "),
        software -> assertThat(software).startsWith("software chosen"));
  }

  @Test
  void autoWithoutDevModeRefusesAndListsTheReasons() throws Exception {
    GatewayConfig config = autoWithoutHardware();

    assertThatThrownBy(() -> select(config, production(), ConfigfsTsm.CONFIGFS))
        .isInstanceOf(AttestationException.class)
        .hasMessageStartingWith("attestation.provider auto: no hardware attestation is available on this machine")
        .hasMessageContaining("sev-snp skipped: " + dir.resolve("tsm") + " not found")
        .hasMessageContaining("tdx skipped: " + dir.resolve("tsm") + " not found")
        .hasMessageContaining("tpm skipped: " + dir.resolve("tpmrm0") + " not found")
        .hasMessageContaining("CMCP_DEV_MODE=1");
  }

  @Test
  void autoPicksSevSnpWhenConfigfsOffersIt() throws Exception {
    Path tsm = Files.createDirectory(dir.resolve("tsm"));
    GatewayConfig config = config("provider: auto\ntsm_report_path: " + tsm);

    AttestationProviders.Selection selection =
        select(config, production(), new LaidOutConfigfs("sev_guest", Fixtures.snpReport(), Optional.empty()));

    assertThat(selection.provider()).isInstanceOf(SevSnpProvider.class);
    assertThat(selection.notes()).isEmpty();
  }

  @Test
  void autoSkipsSevSnpInATdxGuestAndPicksTdx() throws Exception {
    Path tsm = Files.createDirectory(dir.resolve("tsm"));
    GatewayConfig config = config("provider: auto\ntsm_report_path: " + tsm);

    AttestationProviders.Selection selection =
        select(config, production(), new LaidOutConfigfs("tdx_guest", Fixtures.tdxQuote(), Optional.empty()));

    assertThat(selection.provider()).isInstanceOf(TdxProvider.class);
    assertThat(selection.notes()).containsExactly("sev-snp skipped: " + tsm + " offers tdx_guest reports, not sev_guest");
    assertThat(selection.provider().attest(BINDING).measurement()).isEqualTo(Fixtures.TDX_MRTD);
  }

  @Test
  void autoUsesATpmThatIsPresentAndStopsWhenItCannotBeOpened() throws Exception {
    Path device = Files.writeString(dir.resolve("tpmrm0"), "");
    GatewayConfig config = config("provider: auto\ntsm_report_path: " + dir.resolve("tsm") + "\ntpm_device: " + device);

    assertThatThrownBy(() -> select(config, production(), ConfigfsTsm.CONFIGFS))
        .isInstanceOf(AttestationException.class)
        .hasMessageStartingWith("tpm: " + device + " not found");
  }

  @Test
  void aPluggedInTpmAttesterQuotesSha256OfTheBindingOverTheConfiguredPcrs() throws Exception {
    GatewayConfig config = config("provider: tpm\ntpm_device: \"127.0.0.1:2321\"\npcr_selection: \"sha256:0,7\"");
    ScriptedTpm tpm = new ScriptedTpm();
    List<Object> opened = new ArrayList<>();
    TpmAttester.Opener opener = (device, pcrs, enrollment) -> {
      opened.add(device);
      opened.add(pcrs);
      return tpm;
    };

    AttestationProvider provider = AttestationProviders.select(config, production(), opener, clock).provider();
    RuntimeEvidence evidence = provider.attest(BINDING);

    assertThat(opened).containsExactly(new TpmDevice.Socket("127.0.0.1", 2321), PcrSelection.parse("sha256:0,7"));
    assertThat(tpm.qualifyingData()).singleElement().isEqualTo(BINDING.bytes());
    assertThat(evidence.measurement()).isEqualTo(Digests.sha256Hex(new byte[] {1}));
    assertThat(evidence.toJson().get("platform").asText()).isEqualTo("tpm");
    provider.close();
    assertThat(tpm.closed()).isTrue();
  }

  @Test
  void aNamedHardwareProviderThatIsAbsentFailsWithTheReason() throws Exception {
    GatewayConfig config = config("provider: sev-snp\ntsm_report_path: " + dir.resolve("tsm"));

    assertThatThrownBy(() -> select(config, production(), ConfigfsTsm.CONFIGFS))
        .isInstanceOf(AttestationException.class)
        .hasMessageStartingWith("attestation.provider sev-snp: " + dir.resolve("tsm") + " not found");
  }

  @Test
  void gpuCcIsPlannedForV02() throws Exception {
    assertThatThrownBy(() -> select(config("provider: gpu-cc"), production(), ConfigfsTsm.CONFIGFS))
        .isInstanceOf(AttestationException.class)
        .hasMessageContaining("gpu-cc")
        .hasMessageContaining("planned for v0.2");
  }

  @Test
  void devModeOverridesANamedProvider() throws Exception {
    AttestationProviders.Selection selection = select(config("provider: tdx"), devMode(), ConfigfsTsm.CONFIGFS);

    assertThat(selection.provider()).isInstanceOf(SoftwareProvider.class);
    assertThat(selection.notes()).containsExactly("CMCP_DEV_MODE=1 overrides attestation.provider tdx: using the software provider");
  }

  @Test
  void opaqueIsNeverChosenByAuto() throws Exception {
    RuntimeEnvironment withOpaque = RuntimeEnvironment.from(Map.of("OPAQUE_ATTESTATION_URL", "https://attest.example"));

    assertThatThrownBy(() -> select(autoWithoutHardware(), withOpaque, ConfigfsTsm.CONFIGFS))
        .hasMessageStartingWith("attestation.provider auto: no hardware attestation");
    assertThat(select(config("provider: opaque"), withOpaque, ConfigfsTsm.CONFIGFS).provider())
        .isInstanceOf(OpaqueProvider.class);
  }
}
