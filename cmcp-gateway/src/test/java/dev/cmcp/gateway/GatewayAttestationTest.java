package dev.cmcp.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How the gateway's start depends on attestation: what it prints, and when it refuses. */
class GatewayAttestationTest {

  private static final Map<String, String> DEV_MODE = Map.of("CMCP_DEV_MODE", "1");

  @TempDir Path dir;
  private final List<String> output = new CopyOnWriteArrayList<>();

  @BeforeEach
  void layOutBundleAndCatalog() throws Exception {
    Path policies = Files.createDirectory(dir.resolve("policies"));
    Files.writeString(policies.resolve("manifest.json"),
        "{\"version\":\"1.0.0\",\"authored_at\":\"2026-01-01T00:00:00Z\",\"author_identity\":\"t@example.com\",\"commit_sha\":\"t\"}");
    Files.writeString(policies.resolve("all.cedar"), "permit (principal, action, resource);\n");
    Files.writeString(dir.resolve("catalog.json"), "{\"servers\": {}, \"tools\": []}");
  }

  private Path config(String attestation) throws Exception {
    return Files.writeString(dir.resolve("cmcp-config.yaml"), "attestation:\n" + attestation.indent(2)
        + "listen_addr: \"127.0.0.1:0\"\naudit_dir: audit\n");
  }

  private Consumer<String> out() {
    return output::add;
  }

  private String printed() {
    return String.join("\n", output);
  }

  @Test
  void autoInDevModeStartsWithSoftwareAndPrintsWhyEachHardwareProviderWasSkipped() throws Exception {
    Path config = config("provider: auto\ntsm_report_path: " + dir.resolve("no-tsm") + "\ntpm_device: " + dir.resolve("no-tpm"));

    try (Gateway gateway = Gateway.start(config, DEV_MODE, out())) {
      assertThat(gateway.port()).isPositive();
    }

    assertThat(printed())
        .contains("attestation: sev-snp skipped: " + dir.resolve("no-tsm") + " not found")
        .contains("attestation: tdx skipped: " + dir.resolve("no-tsm") + " not found")
        .contains("attestation: tpm skipped: " + dir.resolve("no-tpm") + " not found")
        .contains("provider=software-only")
        .containsPattern("attestation: software, measurement [0-9a-f]{64}");
  }

  @Test
  void aMeasurementOtherThanTheExpectedOneRefusesTheStart() throws Exception {
    Path config = config("provider: auto\nexpected_measurement: \"sha256:" + "0".repeat(64) + "\"");

    assertThatThrownBy(() -> Gateway.start(config, DEV_MODE, out()))
        .isInstanceOf(Gateway.StartupException.class)
        .hasMessageContaining("attestation.expected_measurement is " + "0".repeat(64))
        .hasMessageMatching("(?s).*the software-only platform measures [0-9a-f]{64}.*");
    assertThat(printed()).doesNotContain("listening on");
    assertThat(dir.resolve("audit")).doesNotExist();
  }

  @Test
  void withoutDevModeAndWithoutHardwareTheStartIsRefusedWithTheReasons() throws Exception {
    Path config = config("provider: auto\ntsm_report_path: " + dir.resolve("no-tsm") + "\ntpm_device: " + dir.resolve("no-tpm"));

    assertThatThrownBy(() -> Gateway.start(config, Map.of(), out()))
        .isInstanceOf(Gateway.StartupException.class)
        .hasMessageContaining("sev-snp skipped")
        .hasMessageContaining("tdx skipped")
        .hasMessageContaining("tpm skipped")
        .hasMessageContaining("CMCP_DEV_MODE=1");
  }
}
