package dev.cmcp.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The launcher's exit codes and messages, as documented in the README: 0 ok, 1 invalid input, 2 usage. */
class CliTest {

  @TempDir Path tmp;

  record Run(int exit, String output) {}

  static Run cmcp(String... args) throws IOException, InterruptedException {
    return cmcp(java.util.Map.of(), args);
  }

  /** As above, with extra environment variables for the command. */
  static Run cmcp(java.util.Map<String, String> environment, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(Repo.root().resolve("cmcp").toString()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().put("CMCP_SKIP_BUILD", "1");
    builder.environment().putAll(environment);
    Process process = builder.start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Run(process.exitValue(), output);
  }

  @Test
  void validateBundlePrintsTheHashAndChecksIt() throws Exception {
    Path bundle = Repo.quickstart().resolve("policies");
    Run run = cmcp("validate-bundle", "--bundle-path", bundle.toString());
    assertThat(run.exit()).isZero();
    String hash = run.output().lines().filter(l -> l.startsWith("bundle_hash: ")).findFirst().orElseThrow().substring(13);
    assertThat(hash).matches("sha256:[0-9a-f]{64}");

    assertThat(cmcp("validate-bundle", "--bundle-path", bundle.toString(), "--expected-hash", hash).exit()).isZero();
    Run mismatch = cmcp("validate-bundle", "--bundle-path", bundle.toString(), "--expected-hash", "sha256:" + "0".repeat(64));
    assertThat(mismatch.exit()).isEqualTo(1);
    assertThat(mismatch.output()).contains("mismatch");
  }

  @Test
  void aBrokenPolicyFileIsNamedWithItsLine() throws Exception {
    Path bundle = Files.createDirectories(tmp.resolve("bundle"));
    Files.copy(Repo.quickstart().resolve("policies/manifest.json"), bundle.resolve("manifest.json"));
    Files.writeString(bundle.resolve("broken.cedar"), "permit (principal, action, resource);\n\nforbid (principal action, resource);\n");
    Run run = cmcp("validate-bundle", "--bundle-path", bundle.toString());
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.output()).contains("broken.cedar").contains("3");
  }

  @Test
  void aBadConfigValueIsNamedWithItsLineAndAllowedValues() throws Exception {
    Path config = tmp.resolve("cmcp-config.yaml");
    Files.writeString(config, "attestation:\n  provider: auto\n  enforcement_mode: enforce\n");
    Run run = cmcp("validate-config", "--config", config.toString());
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.output()).contains("enforcement_mode").contains(":3").contains("enforcing, advisory, silent");
  }

  @Test
  void theQuickstartConfigValidatesWhereItStartsAndNotWhereItDoesNot() throws Exception {
    String config = Repo.quickstart().resolve("cmcp-config.yaml").toString();
    Run run = cmcp(java.util.Map.of("CMCP_DEV_MODE", "1"), "validate-config", "--config", config);
    assertThat(run.exit()).as(run.output()).isZero();
    assertThat(run.output()).contains("advisory").contains("attestation provider: software-only");

    // Without development mode and without hardware, start refuses it, and so does validate-config, with the same words.
    Run refused = cmcp(java.util.Map.of("CMCP_DEV_MODE", "0"), "validate-config", "--config", config);
    assertThat(refused.exit()).isEqualTo(1);
    assertThat(refused.output()).contains("attestation.provider auto").contains("CMCP_DEV_MODE=1");
  }

  @Test
  void validateConfigRefusesWhatStartRefuses() throws Exception {
    Path config = tmp.resolve("cmcp-config.yaml");
    Files.writeString(config, "listen_addr: \"0.0.0.0:8443\"\npolicy_bundle_path: " + Repo.quickstart().resolve("policies")
        + "\ncatalog_path: " + Repo.quickstart().resolve("catalog.json") + "\n");
    java.util.Map<String, String> env = java.util.Map.of("CMCP_DEV_MODE", "1");
    Run validated = cmcp(env, "validate-config", "--config", config.toString());
    Run started = cmcp(env, "start", "--config", config.toString());

    assertThat(validated.exit()).isEqualTo(1);
    assertThat(started.exit()).isEqualTo(1);
    assertThat(validated.output()).contains("listen_addr: 0.0.0.0:8443 is reachable from other machines");
    assertThat(started.output()).contains("listen_addr: 0.0.0.0:8443 is reachable from other machines");
  }

  @Test
  void everyCommandAnswersHelpThroughTheLauncherAndSoDoesTheDeveloperScript() throws Exception {
    for (String[] command : List.of(new String[] {"start", "--help"}, new String[] {"catalog", "pin", "-h"},
        new String[] {"validate-config", "--help"})) {
      Run run = cmcp(command);
      assertThat(run.exit()).as(String.join(" ", command) + "\n" + run.output()).isZero();
      assertThat(run.output()).startsWith("Usage: cmcp");
    }
    Process dev = new ProcessBuilder(Repo.root().resolve("cmcp-dev").toString(), "--help").redirectErrorStream(true).start();
    String said = new String(dev.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(dev.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(dev.exitValue()).as(said).isZero();
    assertThat(said).contains("./cmcp-dev test");
  }

  @Test
  void usageErrorsExitWithTwoAndVersionAndHelpWithZero() throws Exception {
    assertThat(cmcp("start").exit()).isEqualTo(2);
    assertThat(cmcp("frobnicate").exit()).isEqualTo(2);
    Run version = cmcp("--version");
    assertThat(version.exit()).isZero();
    assertThat(version.output()).startsWith("cmcp ");
    Run help = cmcp("--help");
    assertThat(help.exit()).isZero();
    assertThat(help.output()).contains("validate-bundle").contains("Exit codes");
  }

  @Test
  void withoutDevModeAndWithoutHardwareTheGatewayRefusesToStart() throws Exception {
    Run run = cmcp("start", "--config", Repo.quickstart().resolve("cmcp-config.yaml").toString());
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.output()).contains("CMCP_DEV_MODE=1");
  }
}
