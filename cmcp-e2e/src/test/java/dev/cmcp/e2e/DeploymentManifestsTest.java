package dev.cmcp.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * deploy/: the Kubernetes manifests pass the Kubernetes schemas, and the container image, the
 * manifests and the gateway config agree on where everything is.
 */
class DeploymentManifestsTest {

  private static final YAMLMapper YAML = new YAMLMapper();
  /** Present in every test run: the gateway's tests need them anyway. */
  private static final Map<String, String> SECRETS =
      Map.of("CMCP_BEARER_TOKEN", "test-token-0123456789abcdef", "CRM_MCP_TOKEN", "test-upstream-token");

  @TempDir Path tmp;

  record Run(int exit, String output) {}

  static Path k8s() {
    return Repo.root().resolve("deploy/k8s");
  }

  static Run run(List<String> command) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command).directory(Repo.root().toFile()).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
    return new Run(process.exitValue(), output);
  }

  static Run checkManifests(Path... paths) throws IOException, InterruptedException {
    Path script = Repo.root().resolve("interop/k8s-manifest-check.mjs");
    if (!Files.isDirectory(Repo.root().resolve("interop/node_modules/kubernetes-models"))) {
      throw new IllegalStateException("the Kubernetes schemas are not installed: run ./cmcp-dev test (it runs npm ci in interop/)");
    }
    List<String> command = new ArrayList<>(List.of("node", script.toString()));
    for (Path path : paths) {
      command.add(path.toString());
    }
    return run(command);
  }

  @Test
  void shippedManifestsPassTheKubernetesSchemas() throws Exception {
    Run run = checkManifests(k8s());

    assertThat(run.exit()).as(run.output()).isZero();
    assertThat(run.output()).contains(", 0 problems");
  }

  /** The check itself can fail: each deliberate break of a copy is reported by file and field. */
  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
    // A misspelt field would silently switch the setting off; only the type map catches it.
    "readOnlyRootFilesystem: true | readOnlyRootFileSystem: true | readOnlyRootFileSystem: unknown field",
    "containerPort: 8443 | containerPort: \"8443\" | containerPort must be integer",
    "- name: gateway | - image-name: gateway | must have required property name",
  })
  void aBrokenCopyOfTheDeploymentIsRejected(String original, String broken, String expected) throws Exception {
    Path copy = copyOfK8s();
    Path deployment = copy.resolve("base/deployment.yaml");
    String text = Files.readString(deployment);
    assertThat(text).contains(original);
    Files.writeString(deployment, text.replace(original, broken));

    Run run = checkManifests(copy);

    assertThat(run.exit()).as(run.output()).isEqualTo(1);
    assertThat(run.output()).contains("deployment.yaml: Deployment/cmcp-gateway").contains(expected);
  }

  @Test
  void aKustomizationNamingAMissingFileIsRejected() throws Exception {
    Path copy = copyOfK8s();
    Files.delete(copy.resolve("base/gateway/policy-bundle/crm.cedar"));

    Run run = checkManifests(copy);

    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.output()).contains("base/kustomization.yaml").contains("gateway/policy-bundle/crm.cedar, which does not exist");
  }

  /** kubectl's built-in kustomize is not on every machine; where it is, the overlays' output is checked too. */
  @ParameterizedTest
  @CsvSource({"sev-snp, kata-qemu-snp, sev-snp", "tdx, kata-qemu-tdx, tdx"})
  void eachOverlayRendersToValidManifestsForItsPlatform(String overlay, String runtimeClass, String provider) throws Exception {
    assumeTrue(onPath("kubectl"), "kubectl is not installed: the rendered overlays are not checked here");
    Run rendered = run(List.of("kubectl", "kustomize", k8s().resolve("overlays/" + overlay).toString()));
    assertThat(rendered.exit()).as(rendered.output()).isZero();
    Path out = tmp.resolve(overlay + ".yaml");
    Files.writeString(out, rendered.output());

    Run run = checkManifests(out);
    assertThat(run.exit()).as(run.output()).isZero();

    List<JsonNode> objects = YAML.readValues(YAML.createParser(rendered.output()), JsonNode.class).readAll();
    JsonNode deployment = only(objects, "Deployment");
    assertThat(deployment.at("/spec/template/spec/runtimeClassName").asText()).isEqualTo(runtimeClass);
    String configMap = deployment.at("/spec/template/spec/volumes/0/configMap/name").asText();
    JsonNode config = objects.stream().filter(o -> o.at("/metadata/name").asText().equals(configMap)).findFirst().orElseThrow();
    assertThat(YAML.readTree(config.at("/data/cmcp-config.yaml").asText()).at("/attestation/provider").asText()).isEqualTo(provider);
    assertThat(config.at("/data/catalog.json").asText()).contains("\"servers\"");
  }

  @Test
  void theGatewayContainerIsLockedDown() throws Exception {
    JsonNode pod = YAML.readTree(k8s().resolve("base/deployment.yaml").toFile()).at("/spec/template/spec");
    JsonNode container = pod.at("/containers/0");

    assertThat(pod.at("/securityContext/runAsNonRoot").asBoolean()).isTrue();
    assertThat(pod.at("/automountServiceAccountToken").isBoolean() && !pod.at("/automountServiceAccountToken").asBoolean()).isTrue();
    JsonNode security = container.get("securityContext");
    assertThat(security.at("/readOnlyRootFilesystem").asBoolean()).isTrue();
    assertThat(security.at("/allowPrivilegeEscalation").isBoolean() && !security.at("/allowPrivilegeEscalation").asBoolean()).isTrue();
    assertThat(security.at("/capabilities/drop").toString()).isEqualTo("[\"ALL\"]");
    assertThat(security.at("/seccompProfile/type").asText()).isEqualTo("RuntimeDefault");
    assertThat(container.at("/livenessProbe/httpGet/path").asText()).isEqualTo("/healthz");
    assertThat(container.at("/readinessProbe/httpGet/path").asText()).isEqualTo("/readyz");
    assertThat(container.at("/resources/limits/memory").isMissingNode()).isFalse();
  }

  /**
   * The image's CMD, the Deployment's args and mounts, and the config's paths name the same
   * places: the config and bundle on read-only mounts, the audit log on the one writable volume,
   * and every file of the config and bundle folders in the ConfigMaps that are mounted.
   */
  @Test
  void imageManifestsAndConfigAgreeOnEveryPath() throws Exception {
    List<String> cmd = containerfileList("CMD");
    JsonNode container = YAML.readTree(k8s().resolve("base/deployment.yaml").toFile()).at("/spec/template/spec/containers/0");
    assertThat(strings(container.get("args"))).isEqualTo(cmd);
    Path configInContainer = Path.of(cmd.get(cmd.indexOf("--config") + 1));

    Map<String, JsonNode> mounts = new java.util.HashMap<>();
    container.get("volumeMounts").forEach(m -> mounts.put(m.get("mountPath").asText(), m));
    JsonNode configMount = mounts.get(configInContainer.getParent().toString());
    assertThat(configMount).as("a mount at the folder of " + configInContainer).isNotNull();
    assertThat(configMount.path("readOnly").asBoolean()).isTrue();

    JsonNode config = YAML.readTree(k8s().resolve("base/gateway/config/cmcp-config.yaml").toFile());
    Path bundleInContainer = configInContainer.getParent().resolve(config.get("policy_bundle_path").asText()).normalize();
    assertThat(mounts.get(bundleInContainer.toString())).as("a mount at " + bundleInContainer).isNotNull();
    assertThat(mounts.get(bundleInContainer.toString()).path("readOnly").asBoolean()).isTrue();
    assertThat(configInContainer.getParent().resolve(config.get("catalog_path").asText()).getParent())
        .isEqualTo(configInContainer.getParent());

    String auditDir = Path.of(config.get("audit_dir").asText()).toString();
    assertThat(mounts.get(auditDir)).as("a volume at audit_dir " + auditDir).isNotNull();
    assertThat(mounts.get(auditDir).path("readOnly").asBoolean()).isFalse();
    assertThat(containerfileList("VOLUME")).containsExactly(auditDir);

    // What the ConfigMaps carry is what the repository's folders hold, file for file.
    JsonNode kustomization = YAML.readTree(k8s().resolve("base/kustomization.yaml").toFile());
    for (JsonNode generator : kustomization.get("configMapGenerator")) {
      List<String> files = strings(generator.get("files"));
      Path folder = k8s().resolve("base").resolve(files.get(0)).getParent();
      try (Stream<Path> inFolder = Files.list(folder)) {
        assertThat(files).as(generator.get("name").asText())
            .containsExactlyInAnyOrderElementsOf(inFolder.map(p -> "gateway/" + folder.getFileName() + "/" + p.getFileName()).toList());
      }
    }
    JsonNode volumes = YAML.readTree(k8s().resolve("base/deployment.yaml").toFile()).at("/spec/template/spec/volumes");
    assertThat(configMapMountedAt(container, volumes, configInContainer.getParent().toString())).isEqualTo("cmcp-config");
    assertThat(configMapMountedAt(container, volumes, bundleInContainer.toString())).isEqualTo("cmcp-policy-bundle");
  }

  @Test
  void theBaseConfigPassesValidateConfig() throws Exception {
    Run run = cmcpValidateConfig(k8s().resolve("base/gateway/config/cmcp-config.yaml"));

    assertThat(run.exit()).as(run.output()).isZero();
    assertThat(run.output()).contains("enforcement_mode: enforcing");
  }

  /** Mounted as in the pod: the overlay's config in place of the base's, beside the same catalog and bundle. */
  @ParameterizedTest
  @ValueSource(strings = {"sev-snp", "tdx"})
  void eachOverlayConfigPassesValidateConfigAndDiffersOnlyInItsProvider(String overlay) throws Exception {
    Path gateway = tmp.resolve("gateway");
    copyTree(k8s().resolve("base/gateway"), gateway);
    Path overlayConfig = k8s().resolve("overlays/" + overlay + "/cmcp-config.yaml");
    Files.copy(overlayConfig, gateway.resolve("config/cmcp-config.yaml"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);

    Run run = cmcpValidateConfig(gateway.resolve("config/cmcp-config.yaml"));
    assertThat(run.exit()).as(run.output()).isZero();

    ObjectMapper json = new ObjectMapper();
    JsonNode base = YAML.readTree(k8s().resolve("base/gateway/config/cmcp-config.yaml").toFile());
    JsonNode mine = YAML.readTree(overlayConfig.toFile());
    assertThat(mine.at("/attestation/provider").asText()).isEqualTo(overlay);
    ((com.fasterxml.jackson.databind.node.ObjectNode) base.get("attestation")).remove("provider");
    ((com.fasterxml.jackson.databind.node.ObjectNode) mine.get("attestation")).remove(List.of("provider", "expected_measurement"));
    assertThat(json.writeValueAsString(mine)).isEqualTo(json.writeValueAsString(base));
  }

  private static Run cmcpValidateConfig(Path config) throws Exception {
    // The configs are for a TEE host or a pod, not for the machine running the tests.
    CliTest.Run run = CliTest.cmcp(SECRETS, "validate-config", "--config-only", "--config", config.toString());
    return new Run(run.exit(), run.output());
  }

  private static String configMapMountedAt(JsonNode container, JsonNode volumes, String mountPath) {
    String volume = null;
    for (JsonNode mount : container.get("volumeMounts")) {
      if (mount.get("mountPath").asText().equals(mountPath)) {
        volume = mount.get("name").asText();
      }
    }
    for (JsonNode v : volumes) {
      if (v.get("name").asText().equals(volume)) {
        return v.at("/configMap/name").asText();
      }
    }
    return null;
  }

  /** A JSON-form instruction of deploy/Containerfile, such as {@code CMD ["start", ...]}. */
  private static List<String> containerfileList(String instruction) throws IOException {
    String text = Files.readString(Repo.root().resolve("deploy/Containerfile")).replace("\\\n", " ");
    Matcher m = Pattern.compile("(?m)^" + instruction + "\\s+(\\[.*])\\s*$").matcher(text);
    assertThat(m.find()).as(instruction + " in deploy/Containerfile").isTrue();
    return strings(new ObjectMapper().readTree(m.group(1)));
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  private static JsonNode only(List<JsonNode> objects, String kind) {
    List<JsonNode> found = objects.stream().filter(o -> o.path("kind").asText().equals(kind)).toList();
    assertThat(found).hasSize(1);
    return found.get(0);
  }

  private Path copyOfK8s() throws IOException {
    Path copy = tmp.resolve("k8s");
    copyTree(k8s(), copy);
    return copy;
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> walk = Files.walk(from)) {
      for (Path source : walk.toList()) {
        Path target = to.resolve(from.relativize(source).toString());
        if (Files.isDirectory(source)) {
          Files.createDirectories(target);
        } else {
          Files.copy(source, target);
        }
      }
    }
  }

  private static boolean onPath(String program) {
    String path = System.getenv().getOrDefault("PATH", "");
    return Stream.of(path.split(java.io.File.pathSeparator)).anyMatch(dir -> Files.isExecutable(Path.of(dir, program)));
  }
}
