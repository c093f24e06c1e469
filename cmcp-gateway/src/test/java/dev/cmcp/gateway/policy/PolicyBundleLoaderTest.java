package dev.cmcp.gateway.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PolicyBundleLoaderTest {

  /**
   * Computed independently with python3 (hashlib, json.dumps(sort_keys=True, separators=(",",
   * ":"))), which equals RFC 8785 for this ASCII-only, string-only bundle; policy_files keys are
   * paths relative to the bundle folder, as in the reference implementation.
   */
  private static final String PINNED_HASH = "sha256:f073452426e0c77c2861e3400a6e5031c138d7e86829a3714c6aafe351184d27";

  @TempDir Path dir;

  @Test
  void bundleHashOfTheFixtureIsPinned() throws Exception {
    Path bundle = TestBundles.fixture("pinned");

    assertThat(PolicyBundleLoader.load(bundle).bundleHash()).isEqualTo(PINNED_HASH);
    assertThat(PolicyBundleLoader.computeHash(bundle)).isEqualTo(PINNED_HASH);
  }

  @ParameterizedTest
  @ValueSource(strings = {"policies/allow.cedar", "policies/deny.cedar", "schema.cedarschema"})
  void oneMoreByteInAnyMeasuredFileChangesTheHash(String file) throws Exception {
    Path bundle = TestBundles.copy("pinned", dir);
    Files.writeString(bundle.resolve(file), "\n", java.nio.file.StandardOpenOption.APPEND);

    assertThat(PolicyBundleLoader.computeHash(bundle)).isNotEqualTo(PINNED_HASH);
  }

  @Test
  void changedManifestValueChangesTheHashButReformattingDoesNot() throws Exception {
    Path bundle = TestBundles.copy("pinned", dir);
    Path manifest = bundle.resolve("manifest.json");
    String original = Files.readString(manifest);

    Files.writeString(manifest, original.replace("\n", "").replace("  ", " "));
    assertThat(PolicyBundleLoader.computeHash(bundle)).isEqualTo(PINNED_HASH);

    Files.writeString(manifest, original.replace("1.2.0", "1.2.1"));
    assertThat(PolicyBundleLoader.computeHash(bundle)).isNotEqualTo(PINNED_HASH);
  }

  @Test
  void addedOrRemovedFilesChangeTheHash() throws Exception {
    Path bundle = TestBundles.copy("pinned", dir);
    Files.writeString(bundle.resolve("policies/extra.cedar"), "// nothing yet\n");
    String withExtra = PolicyBundleLoader.computeHash(bundle);
    Files.delete(bundle.resolve("policies/extra.cedar"));
    Files.delete(bundle.resolve("schema.cedarschema"));
    String withoutSchema = PolicyBundleLoader.computeHash(bundle);

    assertThat(withExtra).isNotEqualTo(PINNED_HASH);
    assertThat(withoutSchema).isNotEqualTo(PINNED_HASH).isNotEqualTo(withExtra);
  }

  @Test
  void bundleMountedFromAKubernetesConfigMapHashesLikeTheFolderItCameFrom() throws Exception {
    // The kubelet's layout: the files in a time-stamped ..folder, ..data linking to it, and one
    // link per file beside them. Only the links are the bundle.
    Path source = TestBundles.write(dir.resolve("source"), Map.of(
        "manifest.json", TestBundles.MANIFEST,
        "allow.cedar", "@id(\"crm-search\")\npermit(principal, action, resource);\n"));
    Path mounted = Files.createDirectories(dir.resolve("mounted"));
    Path version = Files.createDirectories(mounted.resolve("..2026_11_26_03_30_00.000000001"));
    for (String name : new String[] {"manifest.json", "allow.cedar"}) {
      Files.copy(source.resolve(name), version.resolve(name));
      Files.createSymbolicLink(mounted.resolve(name), Path.of("..data", name));
    }
    Files.createSymbolicLink(mounted.resolve("..data"), version.getFileName());

    PolicyBundle bundle = PolicyBundleLoader.load(mounted);

    assertThat(bundle.bundleHash()).isEqualTo(PolicyBundleLoader.computeHash(source));
    assertThat(bundle.policies()).extracting(BundlePolicy::file).containsExactly("allow.cedar");
  }

  @Test
  void policiesSubfolderIsLoadedWithIdsAnnotationsAndLines() throws Exception {
    PolicyBundle bundle = PolicyBundleLoader.load(TestBundles.fixture("pinned"));

    assertThat(bundle.version()).isEqualTo("1.2.0");
    assertThat(bundle.manifest().path("approval_chain").get(0).path("approver").asText())
        .isEqualTo("security-lead@example.com");
    assertThat(bundle.policies())
        .extracting(BundlePolicy::id, BundlePolicy::file, BundlePolicy::line)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("crm-search", "policies/allow.cedar", 2),
            org.assertj.core.groups.Tuple.tuple("no-deletes", "policies/deny.cedar", 1));
    assertThat(bundle.policy("no-deletes").orElseThrow().annotation("reason"))
        .contains("Deleting CRM records needs a human.");
  }

  @Test
  void flatFolderIsLoadedAndUnnamedPoliciesGetFileAndIndex() throws Exception {
    PolicyBundle bundle = PolicyBundleLoader.load(TestBundles.fixture("engine"));

    assertThat(bundle.policyCount()).isEqualTo(7);
    assertThat(bundle.policies()).extracting(BundlePolicy::id).contains("crm.cedar#1", "web-fetch-example");
    assertThat(bundle.policy("crm.cedar#1").orElseThrow().line()).isEqualTo(11);
  }

  @Test
  void parseErrorNamesFileLineAndCedarsMessage() {
    TestBundles.write(
        dir,
        Map.of(
            "policies/good.cedar", "permit(principal, action, resource);\n",
            "policies/bad.cedar",
                """
                // first policy is fine; note the ; inside this comment
                permit(principal, action, resource)
                when { context.arguments.note == "a;b" };

                forbid(principal, action, resource)
                when { context.arguments.limit > };
                """));

    assertThatThrownBy(() -> PolicyBundleLoader.load(dir))
        .isInstanceOf(PolicyException.class)
        .hasMessageContaining("policies/bad.cedar:6:")
        .hasMessageContaining("unexpected token");
  }

  @Test
  void parseErrorColumnCountsCharactersNotBytes() {
    TestBundles.write(dir, Map.of("p.cedar", "permit(principal, action, resource) when { \"é\" == ü };\n"));

    assertThatThrownBy(() -> PolicyBundleLoader.load(dir)).hasMessageContaining("p.cedar:1:51:");
  }

  @Test
  void missingSemicolonAtTheEndNamesTheLine() {
    TestBundles.write(dir, Map.of("p.cedar", "permit(principal, action, resource);\n\npermit(principal, action, resource)\n"));

    assertThatThrownBy(() -> PolicyBundleLoader.load(dir))
        .hasMessageContaining("p.cedar:")
        .hasMessageContaining("unexpected end of input");
  }

  @Test
  void schemaTypoNamesFileLineAndWhatCedarSuggests() throws IOException {
    Path bundle = TestBundles.copy("pinned", dir);
    Files.writeString(
        bundle.resolve("policies/typo.cedar"),
        """
        @id("typo")
        permit(principal, action == Action::"call_tool", resource)
        when {
          context.argumnts.limit < 10
        };
        """);

    assertThatThrownBy(() -> PolicyBundleLoader.load(bundle))
        .isInstanceOf(PolicyException.class)
        .hasMessageContaining("policies/typo.cedar:4:3:")
        .hasMessageContaining("argumnts")
        .hasMessageContaining("did you mean `arguments`?");
  }

  @Test
  void schemaInCedarsJsonFormatIsAccepted() throws Exception {
    TestBundles.write(
        dir,
        Map.of(
            "policies/p.cedar", "permit(principal, action == Action::\"call_tool\", resource);\n",
            "schema.cedarschema",
                """
                {"": {"entityTypes": {"Agent": {}, "Tool": {}},
                      "actions": {"call_tool": {"appliesTo": {"principalTypes": ["Agent"], "resourceTypes": ["Tool"]}}}}}
                """));

    assertThat(PolicyBundleLoader.load(dir).policyCount()).isEqualTo(1);
  }

  @Test
  void brokenSchemaIsRefused() {
    TestBundles.write(
        dir, Map.of("p.cedar", "permit(principal, action, resource);\n", "schema.cedarschema", "entity Tool { x: Strin };\n"));

    assertThatThrownBy(() -> PolicyBundleLoader.load(dir)).hasMessageContaining("schema.cedarschema").hasMessageContaining("Strin");
  }

  @Test
  void duplicateIdsNameBothFiles() {
    TestBundles.write(
        dir,
        Map.of(
            "policies/a.cedar", "@id(\"same\")\npermit(principal, action, resource);\n",
            "policies/b.cedar", "\n\n@id(\"same\")\nforbid(principal, action, resource);\n"));

    assertThatThrownBy(() -> PolicyBundleLoader.load(dir))
        .hasMessageContaining("duplicate policy id \"same\"")
        .hasMessageContaining("policies/a.cedar:1")
        .hasMessageContaining("policies/b.cedar:3");
  }

  @Test
  void missingManifestIsRefused() throws IOException {
    Files.writeString(dir.resolve("p.cedar"), "permit(principal, action, resource);\n");

    assertThatThrownBy(() -> PolicyBundleLoader.load(dir))
        .hasMessageContaining("manifest.json not found")
        .hasMessageContaining("commit_sha");
  }

  @Test
  void manifestWithoutARequiredFieldIsRefused() {
    TestBundles.write(
        dir,
        Map.of(
            "manifest.json", "{\"version\": \"1\", \"authored_at\": \"x\", \"author_identity\": \"y\"}",
            "p.cedar", "permit(principal, action, resource);\n"));

    assertThatThrownBy(() -> PolicyBundleLoader.computeHash(dir)).hasMessageContaining("\"commit_sha\"");
  }

  @Test
  void manifestWithDuplicateKeysIsRefused() {
    TestBundles.write(
        dir,
        Map.of(
            "manifest.json",
                "{\"version\": \"1\", \"version\": \"2\", \"authored_at\": \"x\", \"author_identity\": \"y\", \"commit_sha\": \"z\"}",
            "p.cedar", "permit(principal, action, resource);\n"));

    assertThatThrownBy(() -> PolicyBundleLoader.load(dir)).hasMessageContaining("manifest.json is not valid JSON");
  }

  @Test
  void folderWithoutPolicyFilesIsRefused() {
    TestBundles.write(dir, Map.of("README.md", "no policies here"));

    assertThatThrownBy(() -> PolicyBundleLoader.load(dir)).hasMessageContaining("no .cedar policy files");
  }

  @Test
  void policyFilesWithOnlyCommentsAreRefused() {
    TestBundles.write(dir, Map.of("p.cedar", "// to do\n"));

    assertThatThrownBy(() -> PolicyBundleLoader.load(dir)).hasMessageContaining("hold no policies");
  }

  @Test
  void missingDirectoryIsRefused() {
    assertThatThrownBy(() -> PolicyBundleLoader.load(dir.resolve("nope")))
        .hasMessageContaining("directory " + dir.resolve("nope") + " not found");
  }

  @Test
  void templatesAreRefused() {
    TestBundles.write(dir, Map.of("p.cedar", "permit(principal == ?principal, action, resource);\n"));

    assertThatThrownBy(() -> PolicyBundleLoader.load(dir)).hasMessageContaining("templates");
  }

  @Test
  void policyFileThatIsNotUtf8IsRefused() throws IOException {
    TestBundles.write(dir, Map.of());
    Files.write(dir.resolve("p.cedar"), "permit(principal, action, resource); // \u00e9".getBytes(StandardCharsets.ISO_8859_1));

    assertThatThrownBy(() -> PolicyBundleLoader.load(dir)).hasMessageContaining("p.cedar: not valid UTF-8");
  }
}
