package dev.cmcp.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cmcp.gateway.config.AttestationProviderKind;
import dev.cmcp.gateway.config.ConfigLoader;
import dev.cmcp.gateway.config.ListenAddress;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What start checks before it makes or starts anything, which validate-config runs too: each refusal names its key. */
class PreflightTest {

  private static final Map<String, String> DEV_MODE = Map.of("CMCP_DEV_MODE", "1");

  @TempDir Path dir;

  @BeforeEach
  void layOutBundleAndCatalog() throws Exception {
    Path policies = Files.createDirectory(dir.resolve("policies"));
    Files.writeString(policies.resolve("manifest.json"),
        "{\"version\":\"1.0.0\",\"authored_at\":\"2026-01-01T00:00:00Z\",\"author_identity\":\"t@example.com\",\"commit_sha\":\"t\"}");
    Files.writeString(policies.resolve("all.cedar"), "permit (principal, action, resource);\n");
    Files.writeString(dir.resolve("catalog.json"), "{\"servers\": {}, \"tools\": []}");
  }

  private Preflight check(String yaml, Map<String, String> env) throws Exception {
    Path config = Files.writeString(dir.resolve("cmcp-config.yaml"), yaml);
    return Preflight.check(ConfigLoader.load(config), env);
  }

  private static String noHardware(Path dir) {
    return "attestation:\n  provider: auto\n  tsm_report_path: " + dir.resolve("no-tsm") + "\n  tpm_device: " + dir.resolve("no-tpm") + "\n";
  }

  @Test
  void aGoodConfigPassesAndSaysWhichProviderStartWouldUse() throws Exception {
    Preflight checked = check(noHardware(dir) + "listen_addr: \"127.0.0.1:0\"\n", DEV_MODE);

    assertThat(checked.attestation().provider()).isEqualTo(AttestationProviderKind.SOFTWARE_ONLY);
    assertThat(checked.attestation().notes()).anyMatch(note -> note.startsWith("sev-snp skipped"));
    assertThat(checked.bundle().policyCount()).isEqualTo(1);
    assertThat(dir.resolve("cmcp-audit")).as("nothing is made").doesNotExist();
  }

  @Test
  void aConfigForAnotherMachineIsCheckedWithoutItsHardwareAndSaysSo() throws Exception {
    Path config = Files.writeString(dir.resolve("cmcp-config.yaml"),
        "attestation:\n  provider: sev-snp\n  tsm_report_path: " + dir.resolve("no-tsm") + "\n");

    assertThatThrownBy(() -> Preflight.check(ConfigLoader.load(config), Map.of()))
        .as("on this machine").hasMessageContaining("sev-snp");
    Preflight checked = Preflight.check(ConfigLoader.load(config), Map.of(), Preflight.Scope.CONFIG_ONLY);
    assertThat(checked.attestation().provider()).isEqualTo(AttestationProviderKind.SEV_SNP);
    assertThat(checked.attestation().notes()).singleElement().asString().contains("not checked on this machine");
  }

  @Test
  void anOperatorsCertificateThatCannotBeReadIsRefusedNamingItsKey() {
    assertThatThrownBy(() -> check("listen_addr: \"127.0.0.1:0\"\ntls:\n  mode: files\n  cert_file: ./no-cert.pem\n  key_file: ./no-key.pem\n",
        DEV_MODE))
        .isInstanceOf(Gateway.StartupException.class)
        .hasMessageStartingWith("tls.cert_file");
  }

  @Test
  void aWildcardAddressWithoutATokenIsRefusedAsStartRefusesIt() {
    assertThatThrownBy(() -> check("listen_addr: \"0.0.0.0:8443\"\n", DEV_MODE))
        .isInstanceOf(Gateway.StartupException.class)
        .hasMessageStartingWith("listen_addr: 0.0.0.0:8443")
        .hasMessageContaining("CMCP_BEARER_TOKEN");
  }

  @Test
  void autoWithoutHardwareOrDevModeIsRefusedWithWhatToDo() {
    assertThatThrownBy(() -> check(noHardware(dir), Map.of()))
        .isInstanceOf(Gateway.StartupException.class)
        .hasMessageStartingWith("attestation.provider auto")
        .hasMessageContaining("CMCP_DEV_MODE=1");
  }

  @Test
  void aMissingBundleNamesPolicyBundlePath() {
    assertThatThrownBy(() -> check("policy_bundle_path: ./nowhere/\n", DEV_MODE))
        .isInstanceOf(Gateway.StartupException.class)
        .hasMessageStartingWith("policy_bundle_path: " + dir.resolve("nowhere"))
        .hasMessageContaining("does not exist");
  }

  @Test
  void aBrokenBundleNamesPolicyBundlePathAndTheFile() throws Exception {
    Files.writeString(dir.resolve("policies/all.cedar"), "permit (principal, action, resource)\n");

    assertThatThrownBy(() -> check("policy_bundle_path: ./policies/\n", DEV_MODE))
        .isInstanceOf(Gateway.StartupException.class)
        .hasMessageStartingWith("policy_bundle_path " + dir.resolve("policies"))
        .hasMessageContaining("all.cedar");
  }

  @Test
  void aMissingCatalogNamesCatalogPath() {
    assertThatThrownBy(() -> check("catalog_path: ./nothing.json\n", DEV_MODE))
        .isInstanceOf(Gateway.StartupException.class)
        .hasMessageStartingWith("catalog_path: " + dir.resolve("nothing.json"))
        .hasMessageContaining("does not exist");
  }

  @Test
  void anAuditDirThatIsAFileIsRefused() throws Exception {
    Files.writeString(dir.resolve("a-file"), "");

    assertThatThrownBy(() -> check("audit_dir: ./a-file/audit\n", DEV_MODE))
        .isInstanceOf(Gateway.StartupException.class)
        .hasMessageStartingWith("audit_dir: " + dir.resolve("a-file") + " is a file");
  }

  @Test
  void aPortAnotherProgramHoldsIsNamedWithTheWaysOut() throws Exception {
    try (ServerSocket held = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      ListenAddress address = new ListenAddress("127.0.0.1", held.getLocalPort(), true);

      assertThat(Preflight.portProblem(address)).hasValueSatisfying(problem -> assertThat(problem)
          .startsWith("listen_addr 127.0.0.1:" + held.getLocalPort() + ": port " + held.getLocalPort() + " is already in use")
          .contains("ss -ltnp")
          .contains("set listen_addr to a free port"));
    }
    assertThat(Preflight.portProblem(new ListenAddress("127.0.0.1", 0, true))).isEmpty();
  }
}
