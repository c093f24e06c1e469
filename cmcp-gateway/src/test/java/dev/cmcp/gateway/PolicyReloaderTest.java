package dev.cmcp.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.gateway.PolicyReloader.Outcome;
import dev.cmcp.gateway.attest.CurrentEvidence;
import dev.cmcp.gateway.attest.SoftwareProvider;
import dev.cmcp.gateway.audit.AuditFixtures;
import dev.cmcp.gateway.audit.AuditLog;
import dev.cmcp.gateway.catalog.Catalog;
import dev.cmcp.gateway.catalog.CatalogLoader;
import dev.cmcp.gateway.claim.ClaimIssuer;
import dev.cmcp.gateway.config.EnforcementMode;
import dev.cmcp.gateway.config.StalenessPolicy;
import dev.cmcp.gateway.mcp.JsonRpcException;
import dev.cmcp.gateway.mcp.ToolCallPipeline;
import dev.cmcp.gateway.policy.ActivePolicy;
import dev.cmcp.gateway.policy.PolicyBundle;
import dev.cmcp.gateway.policy.PolicyBundleLoader;
import dev.cmcp.gateway.upstream.UpstreamSettings;
import dev.cmcp.gateway.upstream.Upstreams;
import dev.cmcp.verify.audit.AuditLogReplay;
import dev.cmcp.verify.base.StrictJson;
import dev.cmcp.verify.claim.Binding;
import dev.cmcp.verify.claim.ClaimSigner;
import dev.cmcp.verify.claim.SoftwareEvidence;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Wired as {@code Gateway.start} wires it, with the reload check driven by hand instead of by the timer. */
class PolicyReloaderTest {

  /** crm.search always; any tool the catalog rates low-sensitivity. */
  private static final String EXPORTS_FORBIDDEN = """
      @id("read-only") permit (principal, action == Action::"call_tool", resource == Tool::"crm.search");
      @id("low-sensitivity") permit (principal, action == Action::"call_tool", resource)
        when { resource has sensitivity_level && resource.sensitivity_level == "low" };
      """;
  private static final String EXPORTS_ALLOWED = EXPORTS_FORBIDDEN + """
      @id("exports") permit (principal, action == Action::"call_tool", resource == Tool::"crm.export");
      """;
  private static final String CRM = "\"crm\": {\"transport\": \"stdio\", \"command\": \"node\", \"args\": [\"absent.mjs\"]}";

  @TempDir Path dir;

  private final StrictJson json = new StrictJson();
  private final Clock clock = Clock.systemUTC();
  private Path bundleDir;
  private Path catalogFile;
  private AuditLog audit;
  private CurrentEvidence evidence;
  private Upstreams upstreams;
  private PolicyReloader reloader;
  private ToolCallPipeline pipeline;
  private ClaimIssuer claims;
  private PolicyBundle first;
  private Catalog firstCatalog;
  private Function<ActivePolicy, Binding> bindingFor;
  private String thumbprint;

  @BeforeEach
  void start() throws Exception {
    bundleDir = Files.createDirectories(dir.resolve("bundle"));
    Files.writeString(bundleDir.resolve("manifest.json"),
        "{\"version\": \"1.0.0\", \"authored_at\": \"2026-01-01T00:00:00Z\", \"author_identity\": \"t@example.com\", \"commit_sha\": \"t\"}");
    writePolicies(EXPORTS_FORBIDDEN);
    first = PolicyBundleLoader.load(bundleDir);
    catalogFile = dir.resolve("catalog.json");
    writeCatalog(CRM, tool("crm.search", "low") + ", " + tool("crm.export", "high"));
    firstCatalog = CatalogLoader.load(catalogFile, Map.of());
    ClaimSigner signer = new ClaimSigner(KeyPairGenerator.getInstance("Ed25519").generateKeyPair());
    thumbprint = signer.jwk().thumbprint();
    bindingFor = active -> Binding.of(
        active.bundle().bundleHash(), active.catalog().catalogHash(), "enforcing", thumbprint);
    ActivePolicy active = ActivePolicy.compile(first, firstCatalog);
    evidence = CurrentEvidence.start(new SoftwareProvider(AuditFixtures.MEASUREMENT, clock),
        bindingFor.apply(active), Optional.empty(), Duration.ofMinutes(5), StalenessPolicy.FAIL_CLOSED, clock);
    audit = AuditLog.open(dir.resolve("audit"), AuditFixtures.genesis(signer.jwk().thumbprint()), clock);
    reloader = new PolicyReloader(bundleDir, PolicyReloader.CatalogFile.read(catalogFile), Map.of(), active,
        bindingFor, evidence, Optional.of(audit));
    // The upstream is never started: an allowed call is decided and audited, then fails to forward.
    upstreams = new Upstreams(firstCatalog, new UpstreamSettings(Duration.ofMillis(200), 1024 * 1024));
    pipeline = new ToolCallPipeline(reloader::current, EnforcementMode.ENFORCING, upstreams, Optional.of(audit),
        session -> { }, evidence::refusal, clock, Optional.empty());
    claims = new ClaimIssuer(signer, reloader::attested, "enforcing", 300, audit, dir.resolve("claims"), clock);
  }

  @AfterEach
  void stop() {
    reloader.close();
    // upstreams is not closed: it was never started, and closing an unstarted stdio connection fails.
    audit.close();
    evidence.close();
  }

  @Test
  void aChangedBundleDecidesTheNextCallAndIsAuditedAndAttested() throws Exception {
    call("crm.export", "s1");
    assertThat(lastDecision().path("decision").asText()).isEqualTo("deny");

    writePolicies(EXPORTS_ALLOWED);
    String newHash = PolicyBundleLoader.computeHash(bundleDir);
    assertThat(reloader.checkNow()).isEqualTo(Outcome.RELOADED);

    call("crm.export", "s2");
    JsonNode allowed = lastDecision();
    assertThat(allowed.path("decision").asText()).isEqualTo("allow");
    assertThat(allowed.path("bundle_hash").asText()).isEqualTo(newHash);

    JsonNode reload = entriesOfType("bundle_reload").get(0);
    assertThat(reload.path("previous_bundle_hash").asText()).isEqualTo(first.bundleHash());
    assertThat(reload.path("bundle_hash").asText()).isEqualTo(newHash);
    assertThat(AuditLogReplay.replay(audit.file())).isInstanceOf(AuditLogReplay.Intact.class);

    ObjectNode claim = claims.issue("s2");
    assertThat(claim.at("/trace/policy/bundle_hash").asText()).isEqualTo(newHash);
    // The claim's evidence binds the bundle that decided: the verifier recomputes this from the claim.
    assertThat(reportData(claim)).isEqualTo(bindingFor.apply(reloader.current()).hex());
  }

  @Test
  void aBrokenBundleIsRefusedOnceAndTheOldOneKeepsDeciding() throws Exception {
    writePolicies(EXPORTS_ALLOWED + "permit (principal, action, resource) when { ;\n");
    long entriesBefore = entries().size();

    assertThat(reloader.checkNow()).isEqualTo(Outcome.REJECTED);
    assertThat(reloader.lastRejection()).hasValueSatisfying(why -> assertThat(why).contains("p.cedar"));
    assertThat(reloader.current().bundle().bundleHash()).isEqualTo(first.bundleHash());
    call("crm.export", "s1");
    assertThat(lastDecision().path("decision").asText()).isEqualTo("deny");
    assertThat(lastDecision().path("bundle_hash").asText()).isEqualTo(first.bundleHash());

    // The same broken files are not tried again; a fix is.
    assertThat(reloader.checkNow()).isEqualTo(Outcome.UNCHANGED);
    writePolicies(EXPORTS_ALLOWED);
    assertThat(reloader.checkNow()).isEqualTo(Outcome.RELOADED);
    assertThat(reloader.lastRejection()).isEmpty();
    assertThat(entries().size()).isEqualTo(entriesBefore + 2); // the denied call's decision, then the reload
  }

  @Test
  void onlyASwapIsToldToWhoListensForReloadsWithTheOldAndNewPolicy() throws Exception {
    List<String> told = new ArrayList<>();
    reloader.onReload((old, next) -> told.add(old.bundle().bundleHash() + " -> " + next.bundle().bundleHash()));

    writePolicies(EXPORTS_ALLOWED + "permit (principal, action, resource) when { ;\n");
    assertThat(reloader.checkNow()).isEqualTo(Outcome.REJECTED);
    assertThat(told).as("a refused bundle changes nothing an agent sees").isEmpty();

    writePolicies(EXPORTS_ALLOWED);
    String newHash = PolicyBundleLoader.computeHash(bundleDir);
    assertThat(reloader.checkNow()).isEqualTo(Outcome.RELOADED);
    assertThat(told).containsExactly(first.bundleHash() + " -> " + newHash);
    assertThat(reloader.checkNow()).isEqualTo(Outcome.UNCHANGED);
    assertThat(told).hasSize(1);
  }

  @Test
  void unchangedFilesChangeNothing() throws Exception {
    long entriesBefore = entries().size();
    var evidenceBefore = evidence.evidence();
    // Written again with other spacing: new bytes, the same catalog.
    writeCatalog(CRM, tool("crm.search", "low") + ",\n    " + tool("crm.export", "high"));

    assertThat(reloader.checkNow()).isEqualTo(Outcome.UNCHANGED);

    assertThat(reloader.current().bundle()).isSameAs(first);
    assertThat(reloader.current().catalog().catalogHash()).isEqualTo(firstCatalog.catalogHash());
    assertThat(evidence.evidence()).isSameAs(evidenceBefore);
    assertThat(entries()).hasSize((int) entriesBefore);
  }

  @Test
  void aToolAttributeChangedInTheCatalogFlipsTheDecisionAfterReload() throws Exception {
    call("crm.export", "s1");
    assertThat(lastDecision().path("decision").asText()).isEqualTo("deny");
    call("crm.notes", "s1");
    assertThat(lastDecision().path("cause").asText()).isEqualTo("unsanctioned_tool");

    writeCatalog(CRM, tool("crm.search", "low") + ", " + tool("crm.export", "low") + ", " + tool("crm.notes", "low"));
    String newCatalogHash = CatalogLoader.load(catalogFile, Map.of()).catalogHash();
    assertThat(reloader.checkNow()).isEqualTo(Outcome.RELOADED);

    call("crm.export", "s2");
    assertThat(lastDecision().path("decision").asText()).isEqualTo("allow");
    assertThat(lastDecision().path("policies").toString()).contains("low-sensitivity");
    call("crm.notes", "s2");
    assertThat(lastDecision().path("decision").asText()).isEqualTo("allow");
    assertThat(lastDecision().path("bundle_hash").asText()).isEqualTo(first.bundleHash());

    List<JsonNode> reloads = entriesOfType("catalog_reload");
    assertThat(reloads).hasSize(1);
    assertThat(reloads.get(0).path("previous_catalog_hash").asText()).isEqualTo(firstCatalog.catalogHash());
    assertThat(reloads.get(0).path("catalog_hash").asText()).isEqualTo(newCatalogHash);
    assertThat(reloads.get(0).path("bundle_hash").asText()).isEqualTo(first.bundleHash());
    assertThat(AuditLogReplay.replay(audit.file())).isInstanceOf(AuditLogReplay.Intact.class);

    // Fresh evidence binds the new catalog hash, and the claim names it.
    ObjectNode claim = claims.issue("s2");
    assertThat(claim.at("/trace/policy/catalog_hash").asText()).isEqualTo(newCatalogHash);
    Binding newBinding = Binding.of(first.bundleHash(), newCatalogHash, "enforcing", thumbprint);
    assertThat(reportData(claim)).isEqualTo(newBinding.hex());
    assertThat(newBinding).isNotEqualTo(bindingFor.apply(ActivePolicy.compile(first, firstCatalog)));
  }

  @Test
  void aCatalogThatIsNotJsonOrNamesAnUnknownServerIsRefusedAndTheOldOneKeepsServing() throws Exception {
    String goodCatalog = Files.readString(catalogFile);
    Files.writeString(catalogFile, "{\"servers\": {" + CRM + "}, \"tools\": [");

    assertThat(reloader.checkNow()).isEqualTo(Outcome.REJECTED);
    assertThat(reloader.lastRejection()).hasValueSatisfying(why -> assertThat(why)
        .contains("catalog_path").contains("not valid JSON").contains(firstCatalog.catalogHash() + " keeps serving"));
    assertThat(reloader.current().catalog()).isSameAs(firstCatalog);
    call("crm.export", "s1");
    assertThat(lastDecision().path("decision").asText()).isEqualTo("deny");
    assertThat(reloader.checkNow()).isEqualTo(Outcome.UNCHANGED);

    writeCatalog(CRM, tool("crm.search", "low") + ", {\"tool_name\": \"mail.send\", \"server\": \"mail\"}");
    assertThat(reloader.checkNow()).isEqualTo(Outcome.REJECTED);
    assertThat(reloader.lastRejection()).hasValueSatisfying(why -> assertThat(why).contains("\"mail\" is not a server of this catalog"));

    List<JsonNode> rejected = entriesOfType("catalog_rejected");
    assertThat(rejected).hasSize(2);
    assertThat(rejected.get(0).path("catalog_hash").asText()).isEqualTo(firstCatalog.catalogHash());
    assertThat(rejected.get(1).path("reason").asText()).contains("is not a server of this catalog");

    Files.writeString(catalogFile, goodCatalog);
    assertThat(reloader.checkNow()).isEqualTo(Outcome.UNCHANGED);
    assertThat(reloader.lastRejection()).isEmpty();
  }

  @Test
  void aCatalogThatChangesServersIsRefusedOnceWithARestartRequest() throws Exception {
    String mail = "\"mail\": {\"transport\": \"streamable-http\", \"url\": \"http://127.0.0.1:9/mcp\"}";
    writeCatalog(CRM + ", " + mail, tool("crm.search", "low") + ", " + tool("crm.export", "low"));

    assertThat(reloader.checkNow()).isEqualTo(Outcome.REJECTED);
    assertThat(reloader.checkNow()).isEqualTo(Outcome.UNCHANGED);
    assertThat(reloader.lastRejection()).hasValueSatisfying(why -> assertThat(why)
        .contains("catalog servers changed (server mail added): restart the gateway to apply"));
    assertThat(reloader.current().catalog()).isSameAs(firstCatalog);
    call("crm.export", "s1");
    assertThat(lastDecision().path("decision").asText()).isEqualTo("deny");
    assertThat(entriesOfType("catalog_rejected")).hasSize(1);

    String otherCommand = CRM.replace("absent.mjs", "other.mjs");
    writeCatalog(otherCommand, tool("crm.search", "low"));
    assertThat(reloader.checkNow()).isEqualTo(Outcome.REJECTED);
    assertThat(reloader.lastRejection()).hasValueSatisfying(why -> assertThat(why).contains("(server crm changed)"));
  }

  @Test
  void aBundleAndCatalogChangedTogetherTakeOverTogether() throws Exception {
    writePolicies(EXPORTS_ALLOWED);
    writeCatalog(CRM, tool("crm.search", "high"));

    assertThat(reloader.checkNow()).isEqualTo(Outcome.RELOADED);

    ActivePolicy now = reloader.current();
    assertThat(now.bundle().bundleHash()).isEqualTo(PolicyBundleLoader.computeHash(bundleDir));
    assertThat(now.catalog().tools()).containsOnlyKeys("crm.search");
    assertThat(entriesOfType("bundle_reload")).isEmpty();
    JsonNode reload = entriesOfType("catalog_reload").get(0);
    assertThat(reload.path("previous_bundle_hash").asText()).isEqualTo(first.bundleHash());
    assertThat(reload.path("bundle_hash").asText()).isEqualTo(now.bundle().bundleHash());
    call("crm.export", "s1");
    assertThat(lastDecision().path("cause").asText()).isEqualTo("unsanctioned_tool");
  }

  @Test
  void aClaimIssuedDuringReloadsCarriesEvidenceBoundToTheHashesItNames() throws Exception {
    call("crm.search", "s1");
    AtomicBoolean reloading = new AtomicBoolean(true);
    CompletableFuture<List<ObjectNode>> issued = CompletableFuture.supplyAsync(() -> {
      List<ObjectNode> all = new ArrayList<>();
      try {
        while (reloading.get() || all.isEmpty()) {
          all.add(claims.issue("s1"));
        }
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
      return all;
    });
    try {
      for (int i = 0; i < 20; i++) {
        writeCatalog(CRM, tool("crm.search", "low") + ", " + tool("crm.export", i % 2 == 0 ? "low" : "high"));
        assertThat(reloader.checkNow()).isEqualTo(Outcome.RELOADED);
      }
    } finally {
      reloading.set(false);
    }
    for (ObjectNode claim : issued.get()) {
      Binding named = Binding.of(claim.at("/trace/policy/bundle_hash").asText(),
          claim.at("/trace/policy/catalog_hash").asText(), "enforcing", thumbprint);
      assertThat(reportData(claim)).isEqualTo(named.hex());
    }
  }

  private void writePolicies(String text) throws Exception {
    Files.writeString(bundleDir.resolve("p.cedar"), text);
  }

  private void writeCatalog(String servers, String tools) throws Exception {
    Files.writeString(catalogFile, "{\"servers\": {" + servers + "}, \"tools\": [" + tools + "]}");
  }

  private static String tool(String name, String sensitivity) {
    return "{\"tool_name\": \"" + name + "\", \"server\": \"crm\", \"sensitivity_level\": \"" + sensitivity + "\"}";
  }

  /** Decides and audits the call; an allowed one then fails to forward, since the upstream is absent. */
  private void call(String tool, String session) throws Exception {
    ObjectNode params = (ObjectNode) json.parse("{\"name\": \"" + tool + "\", \"arguments\": {}}");
    assertThatThrownBy(() -> pipeline.call(json.parse("1"), params, Optional.of(session), Optional.of("wf")))
        .isInstanceOf(JsonRpcException.class);
  }

  private static String reportData(ObjectNode claim) throws Exception {
    return SoftwareEvidence.decode(claim.at("/trace/runtime/evidence").asText()).reportData();
  }

  private JsonNode lastDecision() throws Exception {
    List<JsonNode> decisions = entriesOfType("decision");
    return decisions.get(decisions.size() - 1);
  }

  private List<JsonNode> entriesOfType(String type) throws Exception {
    return entries().stream().filter(e -> e.path("type").asText().equals(type)).toList();
  }

  private List<JsonNode> entries() throws Exception {
    return AuditFixtures.entries(audit.file());
  }
}
