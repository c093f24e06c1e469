package dev.cmcp.gateway.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cmcp.gateway.catalog.Catalog;
import dev.cmcp.gateway.catalog.CatalogTool;
import dev.cmcp.gateway.catalog.UpstreamServer;
import dev.cmcp.verify.base.StrictJson;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each policy of the cookbook in docs/spec/cedar-policy.md (the files under
 * test/resources/policy/cookbook/) deciding both ways, loaded with the shipped schema and run
 * through the real engine. Guardrails (forbids) are tested over a permit-everything baseline,
 * since a forbid alone allows nothing.
 */
class CookbookTest {

  private static final Instant WEDNESDAY_10_15 = Instant.parse("2026-03-04T10:15:00Z");
  private static final String BASELINE =
      "@id(\"test-baseline\")\npermit (principal, action == Action::\"call_tool\", resource);\n";

  private static final Catalog CATALOG = catalog();

  @TempDir Path dir;

  @Test
  void workflowAllowListsGiveEachWorkflowItsOwnTools() {
    PolicyEngine engine = cookbook("01-workflow-tool-allow-lists.cedar");

    assertThat(engine.decide(call("customer-onboarding", "crm.create_contact"))).isEqualTo(allowedBy("onboarding-tools"));
    assertThat(engine.decide(call("market-research", "web.fetch"))).isEqualTo(allowedBy("research-tools"));
    assertNoPermit(engine.decide(call("customer-onboarding", "web.fetch")));
    assertNoPermit(engine.decide(call("market-research", "crm.create_contact")));
    assertNoPermit(engine.decide(call("default", "web.search")));
  }

  @Test
  void argumentLimitsAllowBoundedAcmeSearchesOnly() {
    PolicyEngine engine = cookbook("02-argument-limits.cedar");

    assertThat(engine.decide(call("acme-sales", "crm.search_contacts", "{\"query\": \"Acme Corp\", \"limit\": 100}")))
        .isEqualTo(allowedBy("acme-contact-search"));
    assertThat(engine.decide(call("acme-sales", "crm.search_contacts", "{\"query\": \"Acme\", \"limit\": 50.0}")))
        .isEqualTo(allowedBy("acme-contact-search"));
    assertNoPermit(engine.decide(call("acme-sales", "crm.search_contacts", "{\"query\": \"Acme Corp\", \"limit\": 101}")));
    assertNoPermit(engine.decide(call("acme-sales", "crm.search_contacts", "{\"query\": \"Globex\", \"limit\": 10}")));
    assertNoPermit(engine.decide(call("acme-sales", "crm.search_contacts", "{\"query\": \"Acme Corp\"}")));
    assertNoPermit(engine.decide(call("support", "crm.search_contacts", "{\"query\": \"Acme Corp\", \"limit\": 10}")));
  }

  @Test
  void argumentOfAnotherTypeCannotSatisfyTheLimit() {
    PolicyEngine engine = cookbook("02-argument-limits.cedar");

    for (String limit : List.of("50.5", "\"50\"", "[50]")) {
      PolicyDecision decision =
          engine.decide(call("acme-sales", "crm.search_contacts", "{\"query\": \"Acme\", \"limit\": " + limit + "}"));
      assertThat(decision).isInstanceOf(PolicyDecision.Deny.class);
      assertThat(((PolicyDecision.Deny) decision).cause()).isEqualTo(DenialCause.EVALUATION_ERROR);
    }
  }

  @Test
  void refundsOnlyInBusinessHours() {
    PolicyEngine engine = cookbook("03-business-hours.cedar", BASELINE);
    String reason = "Refunds can only be issued Monday to Friday, 08:00-18:00 UTC.";

    assertThat(engine.decide(callAt("payments.refund", WEDNESDAY_10_15))).isEqualTo(allowedBy("test-baseline"));
    assertThat(engine.decide(callAt("payments.refund", Instant.parse("2026-03-04T17:59:00Z")))).isEqualTo(allowedBy("test-baseline"));
    assertForbidden(engine.decide(callAt("payments.refund", Instant.parse("2026-03-04T18:00:00Z"))), "refunds-in-business-hours", reason);
    assertForbidden(engine.decide(callAt("payments.refund", Instant.parse("2026-03-04T07:59:00Z"))), "refunds-in-business-hours", reason);
    assertForbidden(engine.decide(callAt("payments.refund", Instant.parse("2026-03-07T10:15:00Z"))), "refunds-in-business-hours", reason);
    assertThat(engine.decide(callAt("crm.search_contacts", Instant.parse("2026-03-07T10:15:00Z")))).isEqualTo(allowedBy("test-baseline"));
  }

  @Test
  void exportToolsAreDeniedWhateverElseIsPermitted() {
    PolicyEngine engine = cookbook("04-deny-export-tools.cedar", BASELINE);

    assertForbidden(
        engine.decide(call("support", "crm.export_contacts")),
        "no-bulk-export",
        "Bulk export is not available to agents; ask the data team for an extract.");
    assertThat(engine.decide(call("support", "crm.search_contacts"))).isEqualTo(allowedBy("test-baseline"));
  }

  @Test
  void supportReadsContactsThroughTheRedactingPermit() {
    PolicyBundle bundle = bundle("05-redact-crm-pii.cedar");
    PolicyEngine engine = engine(bundle);

    PolicyDecision lookup = engine.decide(call("support", "crm.get_contact"));
    assertThat(lookup).isInstanceOf(PolicyDecision.Redact.class);
    assertThat(lookup.policyIds()).containsExactly("support-contact-lookup");
    assertThat(lookup.redaction().fieldNames()).containsExactlyInAnyOrder("email", "phone", "tax_id");
    assertThat(lookup.redaction().detectors()).hasSize(2);
    assertThat(bundle.policy("support-contact-lookup").orElseThrow().annotations())
        .containsEntry("redact", "email,phone,tax_id")
        .containsEntry("redact_pattern", "email|phone");
    assertNoPermit(engine.decide(call("support", "crm.delete_contact")));
    assertNoPermit(engine.decide(call("support", "warehouse.query")));
    assertNoPermit(engine.decide(call("acme-sales", "crm.get_contact")));
  }

  @Test
  void warehouseCanBeQueriedButNotChanged() {
    PolicyEngine engine = cookbook("06-read-only-database.cedar");
    PolicyEngine overBroad = cookbook("06-read-only-database.cedar", BASELINE);
    String reason = "The data warehouse is read-only for agents.";

    assertThat(engine.decide(call("analytics", "warehouse.query"))).isEqualTo(allowedBy("analytics-warehouse-reads"));
    assertForbidden(engine.decide(call("analytics", "warehouse.execute")), "warehouse-is-read-only", reason);
    assertNoPermit(engine.decide(call("support", "warehouse.query")));
    assertForbidden(overBroad.decide(call("support", "warehouse.execute")), "warehouse-is-read-only", reason);
  }

  @Test
  void sensitiveOrUnratedToolsNeedAClearedWorkflow() {
    PolicyEngine engine = cookbook("07-sensitivity-levels.cedar", BASELINE);
    String reason = "This workflow is not cleared for tools that handle personal or restricted data.";

    assertForbidden(engine.decide(call("market-research", "crm.search_contacts")), "sensitive-tools-need-clearance", reason);
    assertForbidden(engine.decide(call("market-research", "mail.send")), "sensitive-tools-need-clearance", reason);
    assertThat(engine.decide(call("market-research", "warehouse.query"))).isEqualTo(allowedBy("test-baseline"));
    assertThat(engine.decide(call("market-research", "web.search"))).isEqualTo(allowedBy("test-baseline"));
    assertThat(engine.decide(call("support", "crm.search_contacts"))).isEqualTo(allowedBy("test-baseline"));
    assertThat(engine.decide(call("customer-onboarding", "payments.refund"))).isEqualTo(allowedBy("test-baseline"));
  }

  @Test
  void onlyCompanyServersMayBeCalled() {
    PolicyEngine engine = cookbook("08-server-allow-list.cedar", BASELINE);
    String reason = "Only servers run by the company may be called.";

    assertThat(engine.decide(call("analytics", "warehouse.query"))).isEqualTo(allowedBy("test-baseline"));
    assertThat(engine.decide(call("support", "crm.get_contact"))).isEqualTo(allowedBy("test-baseline"));
    assertForbidden(engine.decide(call("market-research", "web.search")), "company-servers-only", reason);
    assertForbidden(engine.decide(call("market-research", "lookalike.fetch")), "company-servers-only", reason);
  }

  @Test
  void quarantinedSessionIsStoppedAndOthersAreNot() {
    PolicyEngine engine = cookbook("09-session-quarantine.cedar", BASELINE);
    ToolCallRequest quarantined =
        new ToolCallRequest("support", "7b1e4c9a53d24f08a6c12e9d0f8b7a64", "support", "crm.get_contact", null, WEDNESDAY_10_15);

    assertForbidden(engine.decide(quarantined), "quarantined-sessions", "This session has been suspended by the security team.");
    assertThat(engine.decide(call("support", "crm.get_contact"))).isEqualTo(allowedBy("test-baseline"));
  }

  @Test
  void defaultWorkflowGetsPublicReadOnlyToolsAndNothingElse() {
    PolicyEngine engine = cookbook("10-default-deny.cedar");

    assertThat(engine.decide(call("default", "web.search"))).isEqualTo(allowedBy("default-workflow-public-reads"));
    assertNoPermit(engine.decide(call("default", "crm.search_contacts")));
    assertNoPermit(engine.decide(call("default", "warehouse.query")));
    assertNoPermit(engine.decide(call("market-research", "web.search")));
  }

  @Test
  void aDenyEverythingForbidWouldBlockEvenPermittedCalls() {
    PolicyEngine engine = cookbook("10-default-deny.cedar", "@id(\"deny-all\")\nforbid (principal, action, resource);\n");

    assertForbidden(engine.decide(call("default", "web.search")), "deny-all", null);
  }

  @Test
  void tokenGroupsGrantAndTenantsFence() {
    PolicyEngine groups = cookbook("11-token-groups-and-tenants.cedar");
    PolicyEngine withBaseline = cookbook("11-token-groups-and-tenants.cedar", BASELINE);

    assertThat(groups.decide(byToken("crm.search_contacts", Map.of("groups", json("[\"emea\", \"sales\"]")))))
        .isEqualTo(allowedBy("sales-group-crm"));
    assertNoPermit(groups.decide(byToken("crm.search_contacts", Map.of("groups", json("[\"support\"]")))));
    assertNoPermit(groups.decide(byToken("crm.search_contacts", Map.of())));
    assertThat(withBaseline.decide(byToken("warehouse.query", Map.of("tenant", json("\"acme\"")))))
        .isEqualTo(allowedBy("test-baseline"));
    assertForbidden(withBaseline.decide(byToken("warehouse.query", Map.of("tenant", json("\"globex\"")))),
        "warehouse-tenant", "The warehouse serves tenant acme only.");
    assertForbidden(withBaseline.decide(byToken("warehouse.query", Map.of())), "warehouse-tenant", "The warehouse serves tenant acme only.");
  }

  /** A call by an OAuth-authenticated agent whose token carried {@code claims}. */
  private static AccessRequest byToken(String tool, Map<String, JsonNode> claims) {
    return new AccessRequest("agent-7", "session-1", "agent-7", new PolicyTarget.Tool(tool), json("{}"), WEDNESDAY_10_15, claims);
  }

  @Test
  void specQuotesEveryCookbookFileAsItIs() throws IOException {
    String spec = Files.readString(TestBundles.repositoryFile("docs/spec/cedar-policy.md"));
    List<Path> files;
    try (Stream<Path> listing = Files.list(TestBundles.fixture("cookbook"))) {
      files = listing.filter(p -> p.toString().endsWith(".cedar")).sorted().toList();
    }

    assertThat(files).hasSize(13);
    for (Path file : files) {
      assertThat(spec).as("docs/spec/cedar-policy.md quotes %s", file.getFileName()).contains("```cedar\n" + Files.readString(file) + "```");
    }
  }

  private PolicyEngine cookbook(String file) {
    return engine(bundle(file));
  }

  /** The cookbook file, plus a test-only policy file such as the permit-everything baseline. */
  private PolicyEngine cookbook(String file, String extraPolicies) {
    return engine(bundle(file, Map.of("policies/zz-test.cedar", extraPolicies)));
  }

  private PolicyBundle bundle(String file) {
    return bundle(file, Map.of());
  }

  private PolicyBundle bundle(String file, Map<String, String> extraFiles) {
    Map<String, String> files = new HashMap<>(extraFiles);
    try {
      files.put("policies/" + file, Files.readString(TestBundles.fixture("cookbook").resolve(file)));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    files.put("schema.cedarschema", TestBundles.shippedSchema());
    try {
      return PolicyBundleLoader.load(TestBundles.write(dir, files));
    } catch (PolicyException e) {
      throw new AssertionError("the cookbook bundle does not load: " + e.getMessage(), e);
    }
  }

  private static PolicyEngine engine(PolicyBundle bundle) {
    try {
      return new PolicyEngine(bundle, CATALOG);
    } catch (PolicyException e) {
      throw new AssertionError(e.getMessage(), e);
    }
  }

  @Test
  void afterAPiiToolNothingExternalInTheSameSession() {
    PolicyEngine engine = cookbook("12-no-external-after-pii.cedar", BASELINE);
    String reason = "This session has used personal data; tools that send data outside are blocked for the rest of it.";
    SessionHistory afterPii = new SessionHistory(1, Set.of("crm.get_contact"), Set.of("pii"), 0);
    SessionHistory afterPublic = new SessionHistory(1, Set.of("web.search"), Set.of("public"), 0);

    assertForbidden(engine.decide(inSession("mail.send", afterPii)), "no-external-after-pii", reason);
    assertThat(engine.decide(inSession("mail.send", afterPublic))).isEqualTo(allowedBy("test-baseline"));
    assertThat(engine.decide(inSession("mail.send", SessionHistory.EMPTY))).isEqualTo(allowedBy("test-baseline"));
    assertThat(engine.decide(inSession("crm.search_contacts", afterPii))).isEqualTo(allowedBy("test-baseline"));
  }

  @Test
  void aSessionRefusedThreeTimesOrWith500CallsGetsNothingMore() {
    PolicyEngine engine = cookbook("13-stop-after-denials.cedar", BASELINE);
    String reason = "This session was refused three times or made 500 calls; open a new session.";

    assertThat(engine.decide(inSession("web.search", new SessionHistory(10, Set.of(), Set.of(), 2))))
        .isEqualTo(allowedBy("test-baseline"));
    assertForbidden(engine.decide(inSession("web.search", new SessionHistory(10, Set.of(), Set.of(), 3))), "stop-after-denials", reason);
    assertForbidden(engine.decide(inSession("web.search", new SessionHistory(500, Set.of(), Set.of(), 0))), "stop-after-denials", reason);
  }

  private static AccessRequest inSession(String tool, SessionHistory history) {
    return new AccessRequest("support", "session-1", "support", new PolicyTarget.Tool(tool), json("{}"), WEDNESDAY_10_15, history);
  }

  private static ToolCallRequest call(String workflow, String tool) {
    return call(workflow, tool, "{}");
  }

  private static ToolCallRequest call(String workflow, String tool, String arguments) {
    return new ToolCallRequest(workflow, "session-1", workflow, tool, json(arguments), WEDNESDAY_10_15);
  }

  private static ToolCallRequest callAt(String tool, Instant time) {
    return new ToolCallRequest("support", "session-1", "support", tool, null, time);
  }

  private static PolicyDecision allowedBy(String policyId) {
    return new PolicyDecision.Allow(List.of(policyId));
  }

  private static void assertNoPermit(PolicyDecision decision) {
    assertThat(decision).isEqualTo(new PolicyDecision.Deny(List.of(), Optional.empty(), DenialCause.NO_PERMIT, "no permit policy matched"));
  }

  private static void assertForbidden(PolicyDecision decision, String policyId, String reason) {
    assertThat(decision)
        .isEqualTo(
            new PolicyDecision.Deny(
                List.of(policyId), Optional.ofNullable(reason), DenialCause.FORBIDDEN_BY_POLICY, "forbidden by " + policyId));
  }

  private static Catalog catalog() {
    Map<String, UpstreamServer> servers = new LinkedHashMap<>();
    servers.put("crm", new UpstreamServer.Stdio("crm", "java", List.of("-jar", "crm.jar"), Map.of(), Path.of(".")));
    servers.put("mail", new UpstreamServer.Stdio("mail", "node", List.of("mail.js"), Map.of(), Path.of(".")));
    servers.put("warehouse", http("warehouse", "https://warehouse.corp.example.com/mcp"));
    servers.put("payments", http("payments", "https://payments.corp.example.com/mcp"));
    servers.put("web", http("web", "https://search.example.net/mcp"));
    servers.put("lookalike", http("lookalike", "https://corp.example.com.example.net/mcp"));
    Map<String, CatalogTool> tools = new LinkedHashMap<>();
    for (CatalogTool tool :
        List.of(
            tool("crm.search_contacts", "pii", "crm", "read_only"),
            tool("crm.get_contact", "pii", "crm", "read_only"),
            tool("crm.create_contact", "pii", "crm", "write"),
            tool("crm.delete_contact", "pii", "crm", "write"),
            tool("crm.export_contacts", "pii", "crm", "export"),
            tool("warehouse.query", "internal", "database", "read_only"),
            tool("warehouse.execute", "internal", "database", "write"),
            tool("payments.refund", "restricted", "payments", "write"),
            tool("web.search", "public", "read_only"),
            tool("web.fetch", "public", "read_only"),
            tool("lookalike.fetch", "public", "read_only"),
            tool("mail.send", null, "write", "external"))) {
      tools.put(tool.toolName(), tool);
    }
    return new Catalog(servers, tools, "sha256:" + "0".repeat(64));
  }

  private static UpstreamServer http(String name, String url) {
    return new UpstreamServer.StreamableHttp(name, URI.create(url), Map.of());
  }

  /** A catalog entry as catalog.json would give it; a null level leaves sensitivity_level out. */
  private static CatalogTool tool(String name, String sensitivityLevel, String... tags) {
    Map<String, JsonNode> attributes = new HashMap<>();
    if (sensitivityLevel != null) {
      attributes.put("sensitivity_level", json("\"" + sensitivityLevel + "\""));
    }
    attributes.put("tags", json("[\"" + String.join("\", \"", tags) + "\"]"));
    String server = name.substring(0, name.indexOf('.'));
    return new CatalogTool(name, server, name.substring(server.length() + 1), attributes);
  }

  private static JsonNode json(String text) {
    try {
      return new StrictJson().parse(text);
    } catch (StrictJson.MalformedJsonException e) {
      throw new IllegalArgumentException(e);
    }
  }
}
