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
import dev.cmcp.gateway.catalog.CatalogTool;
import dev.cmcp.gateway.catalog.UpstreamServer;
import dev.cmcp.gateway.claim.ClaimIssuer;
import dev.cmcp.gateway.config.EnforcementMode;
import dev.cmcp.gateway.config.StalenessPolicy;
import dev.cmcp.gateway.mcp.JsonRpcException;
import dev.cmcp.gateway.mcp.ToolCallPipeline;
import dev.cmcp.gateway.policy.ActivePolicy;
import dev.cmcp.gateway.policy.PolicyBundle;
import dev.cmcp.gateway.policy.PolicyBundleLoader;
import dev.cmcp.gateway.policy.PolicyEngine;
import dev.cmcp.gateway.upstream.UpstreamSettings;
import dev.cmcp.gateway.upstream.Upstreams;
import dev.cmcp.verify.StrictJson;
import dev.cmcp.verify.audit.AuditLogReplay;
import dev.cmcp.verify.claim.Binding;
import dev.cmcp.verify.claim.ClaimSigner;
import dev.cmcp.verify.claim.SoftwareEvidence;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Wired as {@code Gateway.start} wires it, with the reload check driven by hand instead of by the timer. */
class PolicyReloaderTest {

  private static final String EXPORTS_FORBIDDEN = """
      @id("read-only") permit (principal, action == Action::"call_tool", resource == Tool::"crm.search");
      """;
  private static final String EXPORTS_ALLOWED = EXPORTS_FORBIDDEN + """
      @id("exports") permit (principal, action == Action::"call_tool", resource == Tool::"crm.export");
      """;

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
  private Function<String, Binding> bindingFor;

  @BeforeEach
  void start() throws Exception {
    bundleDir = Files.createDirectories(dir.resolve("bundle"));
    Files.writeString(bundleDir.resolve("manifest.json"),
        "{\"version\": \"1.0.0\", \"authored_at\": \"2026-01-01T00:00:00Z\", \"author_identity\": \"t@example.com\", \"commit_sha\": \"t\"}");
    writePolicies(EXPORTS_FORBIDDEN);
    first = PolicyBundleLoader.load(bundleDir);
    // The upstream is never started: an allowed call is decided and audited, then fails to forward.
    UpstreamServer crm = new UpstreamServer.Stdio("crm", "node", List.of("absent.mjs"), Map.of(), null);
    Catalog catalog = new Catalog(Map.of("crm", crm), Map.of(
        "crm.search", new CatalogTool("crm.search", "crm", "search", Map.of()),
        "crm.export", new CatalogTool("crm.export", "crm", "export", Map.of())), AuditFixtures.CATALOG_HASH);
    ClaimSigner signer = new ClaimSigner(KeyPairGenerator.getInstance("Ed25519").generateKeyPair());
    bindingFor =
        hash -> Binding.of(hash, AuditFixtures.CATALOG_HASH, "enforcing", signer.jwk().thumbprint());
    evidence = CurrentEvidence.start(new SoftwareProvider(AuditFixtures.MEASUREMENT, clock),
        bindingFor.apply(first.bundleHash()), Optional.empty(), Duration.ofMinutes(5), StalenessPolicy.FAIL_CLOSED, clock);
    audit = AuditLog.open(dir.resolve("audit"), AuditFixtures.genesis(signer.jwk().thumbprint()), clock);
    catalogFile = Files.writeString(dir.resolve("catalog.json"), "{\"servers\": {}}");
    reloader = new PolicyReloader(bundleDir, catalog, PolicyReloader.CatalogFile.read(catalogFile),
        new ActivePolicy(first, new PolicyEngine(first, catalog)),
        bindingFor, evidence, Optional.of(audit));
    upstreams = new Upstreams(catalog, new UpstreamSettings(Duration.ofSeconds(5), 1024 * 1024));
    pipeline = new ToolCallPipeline(catalog, reloader::current, EnforcementMode.ENFORCING, upstreams, Optional.of(audit),
        session -> { }, evidence::refusal, clock);
    claims = new ClaimIssuer(signer, evidence::runtime, () -> reloader.current().bundle().bundleHash(),
        AuditFixtures.CATALOG_HASH, "enforcing", 300, audit, dir.resolve("claims"), clock);
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
    assertThatThrownBy(() -> callExport("s1")).isInstanceOf(JsonRpcException.class);
    assertThat(lastDecision().path("decision").asText()).isEqualTo("deny");

    writePolicies(EXPORTS_ALLOWED);
    String newHash = PolicyBundleLoader.computeHash(bundleDir);
    assertThat(reloader.checkNow()).isEqualTo(Outcome.RELOADED);

    assertThatThrownBy(() -> callExport("s2")).isInstanceOf(JsonRpcException.class); // the upstream is absent
    JsonNode allowed = lastDecision();
    assertThat(allowed.path("decision").asText()).isEqualTo("allow");
    assertThat(allowed.path("bundle_hash").asText()).isEqualTo(newHash);

    JsonNode reload = entries().stream().filter(e -> e.path("type").asText().equals("bundle_reload")).findFirst().orElseThrow();
    assertThat(reload.path("previous_bundle_hash").asText()).isEqualTo(first.bundleHash());
    assertThat(reload.path("bundle_hash").asText()).isEqualTo(newHash);
    assertThat(AuditLogReplay.replay(audit.file())).isInstanceOf(AuditLogReplay.Intact.class);

    ObjectNode claim = claims.issue("s2");
    assertThat(claim.at("/trace/policy/bundle_hash").asText()).isEqualTo(newHash);
    // The claim's evidence binds the bundle that decided: the verifier recomputes this from the claim.
    String reportData = SoftwareEvidence.decode(claim.at("/trace/runtime/evidence").asText()).reportData();
    assertThat(reportData).isEqualTo(bindingFor.apply(newHash).hex());
  }

  @Test
  void aBrokenBundleIsRefusedOnceAndTheOldOneKeepsDeciding() throws Exception {
    writePolicies(EXPORTS_ALLOWED + "permit (principal, action, resource) when { ;\n");
    long entriesBefore = entries().size();

    assertThat(reloader.checkNow()).isEqualTo(Outcome.REJECTED);
    assertThat(reloader.lastRejection()).hasValueSatisfying(why -> assertThat(why).contains("p.cedar"));
    assertThat(reloader.current().bundle().bundleHash()).isEqualTo(first.bundleHash());
    assertThatThrownBy(() -> callExport("s1")).isInstanceOf(JsonRpcException.class);
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
  void anUnchangedBundleChangesNothing() throws Exception {
    long entriesBefore = entries().size();
    var evidenceBefore = evidence.evidence();

    assertThat(reloader.checkNow()).isEqualTo(Outcome.UNCHANGED);

    assertThat(reloader.current().bundle()).isSameAs(first);
    assertThat(evidence.evidence()).isSameAs(evidenceBefore);
    assertThat(entries()).hasSize((int) entriesBefore);
  }

  @Test
  void aChangedCatalogFileIsReportedOnceAndNotApplied() throws Exception {
    Files.writeString(catalogFile, "{\"servers\": {\"other\": {}}}");

    assertThat(reloader.checkNow()).isEqualTo(Outcome.UNCHANGED);
    assertThat(reloader.checkNow()).isEqualTo(Outcome.UNCHANGED);

    List<JsonNode> ignored =
        entries().stream().filter(e -> e.path("type").asText().equals("catalog_change_ignored")).toList();
    assertThat(ignored).hasSize(1);
    assertThat(ignored.get(0).path("catalog_hash").asText()).isEqualTo(AuditFixtures.CATALOG_HASH);
    assertThat(AuditLogReplay.replay(audit.file())).isInstanceOf(AuditLogReplay.Intact.class);
  }

  private void writePolicies(String text) throws Exception {
    Files.writeString(bundleDir.resolve("p.cedar"), text);
  }

  private void callExport(String session) throws Exception {
    ObjectNode params = (ObjectNode) json.parse("{\"name\": \"crm.export\", \"arguments\": {}}");
    pipeline.call(json.parse("1"), params, Optional.of(session), Optional.of("wf"));
  }

  private JsonNode lastDecision() throws Exception {
    List<JsonNode> decisions = entries().stream().filter(e -> e.path("type").asText().equals("decision")).toList();
    return decisions.get(decisions.size() - 1);
  }

  private List<JsonNode> entries() throws Exception {
    return AuditFixtures.entries(audit.file());
  }
}
