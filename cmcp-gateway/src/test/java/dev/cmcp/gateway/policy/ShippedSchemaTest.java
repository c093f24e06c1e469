package dev.cmcp.gateway.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cmcp.gateway.catalog.Catalog;
import dev.cmcp.gateway.catalog.CatalogTool;
import dev.cmcp.gateway.catalog.UpstreamServer;
import dev.cmcp.verify.base.StrictJson;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** examples/schema/cmcp.cedarschema: what it catches at load, and that the engine sends what it declares. */
class ShippedSchemaTest {

  @TempDir Path dir;

  @Test
  void misspelledContextAttributeIsAnErrorNamingFileAndLine() {
    assertRefused(
        """
        // Bounded searches only.
        @id("bounded")
        permit (principal, action == Action::"call_tool", resource)
        when { context.argumnts has limit };
        """,
        "policies/p.cedar:4:",
        "attribute `argumnts` in context for Action::\"call_tool\" not found",
        "did you mean `arguments`?");
  }

  @Test
  void undeclaredArgumentIsAnError() {
    assertRefused(
        """
        permit (principal, action == Action::"call_tool", resource)
        when { context.arguments has limit && context.arguments.limt <= 100 };
        """,
        "policies/p.cedar:2:",
        "limt");
  }

  @Test
  void optionalArgumentReadWithoutHasIsAnError() {
    assertRefused(
        """
        permit (principal, action == Action::"call_tool", resource)
        when { context.arguments.limit <= 100 };
        """,
        "policies/p.cedar:2:",
        "unable to guarantee safety of access to optional attribute `arguments.limit`");
  }

  @Test
  void argumentComparedAsTheWrongTypeIsAnError() {
    assertRefused(
        """
        permit (principal, action == Action::"call_tool", resource)
        when { context.arguments has limit && context.arguments.limit like "1*" };
        """,
        "policies/p.cedar:2:",
        "String");
  }

  @Test
  void hasOfAMisspelledArgumentMakesThePolicyImpossibleAndIsRefused() {
    // `has` of an undeclared attribute is false, not an error, so this forbid could never fire.
    assertRefused(
        """
        @id("no-big-pages")
        forbid (principal, action == Action::"call_tool", resource)
        when { context.arguments has limt && context.arguments.limt > 100 };
        """,
        "policies/p.cedar:1:1:",
        "policy is impossible",
        "is a name after `has` misspelled, or missing from schema.cedarschema?");
  }

  @Test
  void catalogAttributeReadWithoutHasIsAnError() {
    assertRefused(
        """
        permit (principal, action == Action::"call_tool", resource)
        when { resource.sensitivity_level == "public" };
        """,
        "policies/p.cedar:2:",
        "sensitivity_level");
  }

  @Test
  void toolAttributeReadInAPolicyForEveryActionIsAnError() {
    // Resources and prompts have no tool_name: a policy that names no action must suit all three.
    assertRefused(
        "permit (principal, action, resource) when { resource.tool_name == \"crm.search\" };\n",
        "policies/p.cedar:1:",
        "tool_name");
  }

  @Test
  void referenceStyleInOverStringsIsRefused() {
    assertRefused(
        """
        permit (principal, action == Action::"call_tool", resource)
        when { resource.tool_name in ["crm.search"] };
        """,
        "policies/p.cedar:2:");
  }

  @Test
  void bidirectionalControlCharactersAreRefused() {
    assertRefused(
        "permit (principal, action == Action::\"call_tool\", resource) when { context.workflow_id == \"ops\u202e\" };\n",
        "policies/p.cedar:1:",
        "BIDI");
  }

  @Test
  void mixedScriptTextIsAccepted() throws PolicyException {
    load("permit (principal, action == Action::\"call_tool\", resource) when { context.workflow_id == \"Acme株式会社\" };\n");
  }

  @Test
  void openRecordsAreNotAvailableSoArgumentsMustBeDeclared() {
    // Why Arguments lists names (docs/spec/cedar-policy.md, "Typing tool arguments"): Cedar's one
    // open-record switch is refused. Should cedar-java start accepting it, revisit that choice.
    String openRecordSchema =
        """
        {"": {"entityTypes": {"Agent": {}, "Tool": {}},
              "actions": {"call_tool": {"appliesTo": {"principalTypes": ["Agent"], "resourceTypes": ["Tool"],
                "context": {"type": "Record", "attributes": {
                  "arguments": {"type": "Record", "attributes": {}, "additionalAttributes": true}}}}}}}}
        """;
    TestBundles.write(dir, Map.of("p.cedar", "permit (principal, action, resource);\n", "schema.cedarschema", openRecordSchema));

    assertThatThrownBy(() -> PolicyBundleLoader.load(dir)).isInstanceOf(PolicyException.class).hasMessageContaining("unsupported feature");
  }

  @Test
  void quickstartBundleCarriesTheShippedSchemaAndValidates() throws Exception {
    Path quickstart = TestBundles.repositoryFile("examples/quickstart/policies");

    assertThat(Files.readString(quickstart.resolve("schema.cedarschema"))).isEqualTo(TestBundles.shippedSchema());
    assertThat(PolicyBundleLoader.load(quickstart).policyCount()).isEqualTo(2);
  }

  @Test
  void everythingTheEngineSendsHasTheDeclaredType() throws Exception {
    // Validated against the schema at load, and only true at run time when each value the engine
    // sends has the type the schema gives it: a wrong type would be an error, and deny.
    PolicyBundle bundle =
        load(
            """
            @id("typed")
            permit (principal, action == Action::"call_tool", resource in Server::"crm")
            when {
              context.session_id like "s-*" && context.workflow_id like "*" &&
              context.server == resource.server && context.tool == resource.tool_name &&
              context.time.epoch_seconds > 0 && context.time.hour_utc == 10 && context.time.minute_utc == 15 &&
              context.time.day_of_week == "wednesday" &&
              resource.server_domain == "localhost" && Server::"crm".name == "crm" && Server::"crm".domain == "localhost" &&
              context.arguments has limit && context.arguments.limit + 1 > 0 &&
              context.arguments has query && context.arguments.query like "*" &&
              resource has sensitivity_level && resource.sensitivity_level like "*" &&
              resource has compliance_domain && resource.compliance_domain like "*" &&
              resource has tags && resource.tags.contains("read_only") &&
              resource has requires_baa && !resource.requires_baa &&
              resource has approved_by && resource.approved_by like "*@*" &&
              resource has added_at && resource.added_at like "2026-*" &&
              resource has description && resource.description like "*" &&
              resource has definition_hash && resource.definition_hash like "sha256:*"
            };
            """);
    Map<String, JsonNode> attributes =
        Map.of(
            "sensitivity_level", json("\"pii\""),
            "compliance_domain", json("\"gdpr\""),
            "tags", json("[\"crm\", \"read_only\"]"),
            "requires_baa", json("false"),
            "approved_by", json("\"security@example.com\""),
            "added_at", json("\"2026-06-05T00:00:00Z\""),
            "description", json("\"Search contacts\""),
            "definition_hash", json("\"sha256:" + "a".repeat(64) + "\""),
            "approved_definition", json("{\"name\": \"search\", \"inputSchema\": {\"type\": \"object\"}}"));
    Catalog catalog =
        new Catalog(
            Map.of("crm", new UpstreamServer.Stdio("crm", "java", List.of(), Map.of(), Path.of("."))),
            Map.of("crm.search", new CatalogTool("crm.search", "crm", "search", attributes)),
            "sha256:" + "0".repeat(64));
    ToolCallRequest request =
        new ToolCallRequest(
            "agent", "s-1", "support", "crm.search", json("{\"limit\": 10, \"query\": \"Acme\", \"extra\": [1]}"),
            Instant.parse("2026-03-04T10:15:00Z"));

    assertThat(new PolicyEngine(bundle, catalog).decide(request)).isEqualTo(new PolicyDecision.Allow(List.of("typed")));
  }

  private PolicyBundle load(String policies) throws PolicyException {
    return PolicyBundleLoader.load(
        TestBundles.write(dir, Map.of("policies/p.cedar", policies, "schema.cedarschema", TestBundles.shippedSchema())));
  }

  private void assertRefused(String policies, String... messageParts) {
    var thrown = assertThatThrownBy(() -> load(policies)).isInstanceOf(PolicyException.class);
    for (String part : messageParts) {
      thrown.hasMessageContaining(part);
    }
  }

  private static JsonNode json(String text) {
    try {
      return new StrictJson().parse(text);
    } catch (StrictJson.MalformedJsonException e) {
      throw new IllegalArgumentException(e);
    }
  }
}
