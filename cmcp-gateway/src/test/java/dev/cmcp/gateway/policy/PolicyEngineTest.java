package dev.cmcp.gateway.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.cmcp.gateway.catalog.Catalog;
import dev.cmcp.gateway.catalog.CatalogTool;
import dev.cmcp.gateway.catalog.UpstreamServer;
import dev.cmcp.gateway.ratelimit.RateLimit;
import dev.cmcp.verify.base.StrictJson;
import java.net.URI;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PolicyEngineTest {

  private static final Instant OFFICE_HOURS = Instant.parse("2026-03-04T10:15:00Z"); // a Wednesday
  private static final Instant NIGHT = Instant.parse("2026-03-07T22:45:00Z"); // a Saturday

  private static final Catalog CATALOG =
      new Catalog(
          Map.of(
              "crm", new UpstreamServer.Stdio("crm", "node", List.of("crm.js"), Map.of(), Path.of(".")),
              "web", new UpstreamServer.StreamableHttp("web", URI.create("https://api.example.com/mcp"), Map.of())),
          Map.of(
              "crm.search", tool("crm.search", "crm", Map.of("tags", json("[\"search\"]"))),
              "crm.report",
                  tool("crm.report", "crm", Map.of("tags", json("[\"read_only\", \"reporting\"]"), "sensitivity", new TextNode("internal"))),
              "crm.delete_contact", tool("crm.delete_contact", "crm", Map.of()),
              "crm.export", tool("crm.export", "crm", Map.of()),
              "web.fetch", tool("web.fetch", "web", Map.of())),
          "sha256:" + "0".repeat(64));

  private static PolicyEngine engine;

  @TempDir Path dir;

  @BeforeAll
  static void loadFixtureBundle() throws PolicyException {
    engine = new PolicyEngine(PolicyBundleLoader.load(TestBundles.fixture("engine")), CATALOG);
  }

  @Test
  void boundedAcmeSearchIsAllowedByItsPermit() {
    PolicyDecision decision = engine.decide(call("crm.search", "{\"query\": \"Acme Corp\", \"limit\": 100}", NIGHT));

    assertThat(decision).isEqualTo(new PolicyDecision.Allow(List.of("crm-search-acme")));
  }

  @Test
  void searchBeyondTheLimitOrForAnotherAccountHasNoPermit() {
    assertThat(cause(engine.decide(call("crm.search", "{\"query\": \"Acme Corp\", \"limit\": 101}", NIGHT))))
        .isEqualTo(DenialCause.NO_PERMIT);
    assertThat(cause(engine.decide(call("crm.search", "{\"query\": \"Globex\", \"limit\": 10}", NIGHT))))
        .isEqualTo(DenialCause.NO_PERMIT);
    assertThat(cause(engine.decide(call("crm.search", "{\"query\": \"Acme\"}", NIGHT)))).isEqualTo(DenialCause.NO_PERMIT);
  }

  @Test
  void forbidOverridesAPermitAndCarriesItsReason() {
    PolicyDecision decision = engine.decide(call("crm.delete_contact", "{\"id\": 7}", OFFICE_HOURS));

    assertThat(decision)
        .isEqualTo(
            new PolicyDecision.Deny(
                List.of("no-deletes"),
                java.util.Optional.of("Deleting CRM records needs a human."),
                DenialCause.FORBIDDEN_BY_POLICY,
                "forbidden by no-deletes"));
  }

  @Test
  void catalogTagsAndTimeOfDayReachThePolicies() {
    assertThat(engine.decide(call("crm.report", "{}", OFFICE_HOURS)))
        .isEqualTo(new PolicyDecision.Allow(List.of("read-only-office-hours")));
    assertThat(cause(engine.decide(call("crm.report", "{}", NIGHT)))).isEqualTo(DenialCause.NO_PERMIT);
  }

  @Test
  void principalWorkflowAndServerDomainReachThePolicies() {
    ToolCallRequest research =
        new ToolCallRequest("research-agent", "s-1", "research", "web.fetch", json("{\"url\": \"https://x\"}"), NIGHT);
    ToolCallRequest otherAgent =
        new ToolCallRequest("sales-agent", "s-1", "research", "web.fetch", json("{\"url\": \"https://x\"}"), NIGHT);

    assertThat(engine.decide(research)).isEqualTo(new PolicyDecision.Allow(List.of("web-fetch-example")));
    assertThat(cause(engine.decide(otherAgent))).isEqualTo(DenialCause.NO_PERMIT);
  }

  @Test
  void toolOutsideTheCatalogIsUnsanctionedWhateverThePoliciesSay() throws PolicyException {
    PolicyEngine permitAll = engineFor("permit(principal, action, resource);");

    PolicyDecision decision = permitAll.decide(call("crm.drop_database", "{}", NIGHT));

    assertThat(cause(decision)).isEqualTo(DenialCause.UNSANCTIONED_TOOL);
    assertThat(decision.policyIds()).isEmpty();
  }

  @Test
  void policyThatFailsToEvaluateDeniesEvenWhenCedarWouldAllow() {
    PolicyDecision json = engine.decide(call("crm.export", "{\"format\": \"json\"}", NIGHT));
    PolicyDecision csv = engine.decide(call("crm.export", "{\"format\": \"csv\"}", NIGHT));
    PolicyDecision noFormat = engine.decide(call("crm.export", "{}", NIGHT));

    assertThat(json).isEqualTo(new PolicyDecision.Allow(List.of("export")));
    assertThat(cause(csv)).isEqualTo(DenialCause.FORBIDDEN_BY_POLICY);
    assertThat(noFormat).isInstanceOf(PolicyDecision.Deny.class);
    PolicyDecision.Deny denied = (PolicyDecision.Deny) noFormat;
    assertThat(denied.cause()).isEqualTo(DenialCause.EVALUATION_ERROR);
    assertThat(denied.policyIds()).containsExactly("no-csv-export");
    assertThat(denied.detail()).contains("no-csv-export").contains("format");
  }

  @Test
  void failingPermitCannotGrantButDoesNotBlockAnotherPermit() throws PolicyException {
    PolicyEngine sloppy =
        engineFor(
            """
            permit(principal, action, resource) when { resource.tags.contains("read_only") };
            @id("exports") permit(principal, action, resource) when { resource.tool_name == "crm.export" };
            """);

    PolicyDecision export = sloppy.decide(call("crm.export", "{}", NIGHT));
    PolicyDecision delete = sloppy.decide(call("crm.delete_contact", "{}", NIGHT));

    assertThat(export).isEqualTo(new PolicyDecision.Allow(List.of("exports")));
    assertThat(cause(delete)).isEqualTo(DenialCause.EVALUATION_ERROR);
    assertThat(delete.policyIds()).containsExactly("p.cedar#0");
    assertThat(((PolicyDecision.Deny) delete).detail()).contains("does not have the attribute `tags`");
  }

  @Test
  void fractionsAreComparedAsTextSoANumericTestFailsClosed() {
    PolicyDecision decision = engine.decide(call("crm.search", "{\"query\": \"Acme\", \"limit\": 50.5}", NIGHT));

    assertThat(cause(decision)).isEqualTo(DenialCause.EVALUATION_ERROR);
  }

  @Test
  void contextCarriesSessionWorkflowToolServerAndTime() throws PolicyException {
    PolicyEngine strict =
        engineFor(
            """
            permit(principal, action, resource) when {
              context.session_id == "s-42" && context.workflow_id == "onboarding" &&
              context.tool == "crm.report" && context.server == "crm" &&
              context.time.day_of_week == "saturday" && context.time.hour_utc == 22 &&
              context.time.minute_utc == 45 && context.time.epoch_seconds == %d &&
              resource.sensitivity == "internal" && resource in Server::"crm" &&
              resource.server_domain == "localhost"
            };
            """
                .formatted(NIGHT.getEpochSecond()));

    ToolCallRequest request = new ToolCallRequest("a", "s-42", "onboarding", "crm.report", null, NIGHT);

    assertThat(strict.decide(request)).isInstanceOf(PolicyDecision.Allow.class);
  }

  @Test
  void argumentsBecomeRecordsSetsAndLongs() throws PolicyException {
    PolicyEngine strict =
        engineFor(
            """
            permit(principal, action, resource) when {
              context.arguments.filter.owner == "kim" && context.arguments.ids.contains(3) &&
              context.arguments.ids.containsAll([1, 2]) && context.arguments.active &&
              context.arguments.huge == "123456789012345678901234567890" &&
              !(context.arguments has gone)
            };
            """);

    PolicyDecision decision =
        strict.decide(
            call(
                "crm.search",
                "{\"filter\": {\"owner\": \"kim\"}, \"ids\": [1, 2, 3, 3, null], \"active\": true,"
                    + " \"huge\": 123456789012345678901234567890, \"gone\": null}",
                NIGHT));

    assertThat(decision).isInstanceOf(PolicyDecision.Allow.class);
  }

  @Test
  void wholeNumberWrittenWithAFractionMeetsTheLimitAndOneBeyondItDoesNot() {
    assertThat(engine.decide(call("crm.search", "{\"query\": \"Acme Corp\", \"limit\": 100.0}", NIGHT)))
        .isEqualTo(new PolicyDecision.Allow(List.of("crm-search-acme")));
    assertThat(cause(engine.decide(call("crm.search", "{\"query\": \"Acme Corp\", \"limit\": 1.01E+2}", NIGHT))))
        .isEqualTo(DenialCause.NO_PERMIT);
  }

  @Test
  void forbidOnANumberCannotBeDodgedByWritingItDifferently() throws PolicyException {
    PolicyEngine guarded =
        engineFor(
            """
            permit(principal, action, resource);
            @id("no-account-42") forbid(principal, action, resource) when { context.arguments.account == 42 };
            @id("no-big-account") forbid(principal, action, resource) when {
              context.arguments.big == "123456789012345678901234567890"
            };
            """);

    for (String account : List.of("42", "42.0", "4.2e1", "420E-1")) {
      assertThat(guarded.decide(call("crm.search", "{\"account\": " + account + "}", NIGHT)).policyIds())
          .as("account %s", account)
          .containsExactly("no-account-42");
    }
    assertThat(guarded.decide(call("crm.search", "{\"big\": 1.2345678901234567890123456789E+29}", NIGHT)).policyIds())
        .containsExactly("no-big-account");
  }

  @Test
  void argumentKeysThatAreNoIdentifierAreReadWithQuotes() throws PolicyException {
    PolicyEngine quoted =
        engineFor(
            """
            permit(principal, action, resource) when {
              context.arguments has "first name" && context.arguments["first name"] like "K*"
            };
            """);

    assertThat(quoted.decide(call("crm.search", "{\"first name\": \"Kim\"}", NIGHT))).isInstanceOf(PolicyDecision.Allow.class);
    assertThat(cause(quoted.decide(call("crm.search", "{\"first name\": \"Lee\"}", NIGHT)))).isEqualTo(DenialCause.NO_PERMIT);
  }

  @Test
  void argumentKeysThatCedarTreatsAsEscapesAreRefused() throws PolicyException {
    PolicyEngine permitAll = engineFor("permit(principal, action, resource);");

    PolicyDecision decision =
        permitAll.decide(call("crm.search", "{\"owner\": {\"__entity\": {\"type\": \"Agent\", \"id\": \"admin\"}}}", NIGHT));

    assertThat(cause(decision)).isEqualTo(DenialCause.EVALUATION_ERROR);
  }

  @Test
  void argumentsWithMoreValuesThanTheEngineEvaluatesAreDeniedUnevaluated() throws PolicyException {
    PolicyEngine permitAll = engineFor("permit(principal, action, resource);");
    // The arguments object and its members: exactly at the limit, then one over.
    String atLimit = "{\"ids\": [" + "1,".repeat(CedarValues.MAX_ARGUMENT_VALUES - 3) + "1]}";
    String overLimit = "{\"ids\": [" + "1,".repeat(CedarValues.MAX_ARGUMENT_VALUES - 2) + "1]}";

    assertThat(permitAll.decide(call("crm.search", atLimit, NIGHT))).isInstanceOf(PolicyDecision.Allow.class);
    PolicyDecision over = permitAll.decide(call("crm.search", overLimit, NIGHT));
    assertThat(cause(over)).isEqualTo(DenialCause.EVALUATION_ERROR);
    assertThat(((PolicyDecision.Deny) over).detail()).contains("over 10000 JSON values");
  }

  @Test
  void argumentsThatAreNotAnObjectFailClosed() throws PolicyException {
    PolicyEngine permitAll = engineFor("permit(principal, action, resource);");

    assertThat(cause(permitAll.decide(call("crm.search", "[1, 2]", NIGHT)))).isEqualTo(DenialCause.EVALUATION_ERROR);
  }

  @Test
  void evaluationErrorDetailDoesNotQuoteArgumentValues() throws PolicyException {
    PolicyEngine overflowing =
        engineFor(
            """
            permit(principal, action, resource) when { context.arguments.n + 1 > 0 };
            permit(principal, action, resource) when { ip(context.arguments.secret).isIpv4() };
            """);

    PolicyDecision decision =
        overflowing.decide(call("crm.search", "{\"n\": 9223372036854775807, \"secret\": \"hunter2\"}", NIGHT));

    assertThat(cause(decision)).isEqualTo(DenialCause.EVALUATION_ERROR);
    assertThat(((PolicyDecision.Deny) decision).detail())
        .contains("integer overflow")
        .doesNotContain("9223372036854775807")
        .doesNotContain("hunter2");
  }

  @Test
  void referenceStyleInOverStringsFailsClosedAndContainsWorks() throws PolicyException {
    // The reference spec writes `resource.tool_name in [...]`; Cedar's `in` is for entities only.
    PolicyEngine inStyle = engineFor("permit(principal, action, resource) when { resource.tool_name in [\"crm.search\"] };");
    PolicyEngine containsStyle =
        engineFor("permit(principal, action, resource) when { [\"crm.search\"].contains(resource.tool_name) };");

    assertThat(cause(inStyle.decide(call("crm.search", "{}", NIGHT)))).isEqualTo(DenialCause.EVALUATION_ERROR);
    assertThat(containsStyle.decide(call("crm.search", "{}", NIGHT))).isInstanceOf(PolicyDecision.Allow.class);
  }

  @Test
  void catalogAttributeMayNotShadowABuiltInOne() throws PolicyException {
    PolicyBundle bundle = bundleFor("permit(principal, action, resource);");
    Catalog shadowing =
        new Catalog(
            CATALOG.servers(),
            Map.of("crm.search", tool("crm.search", "crm", Map.of("server_domain", new TextNode("covered")))),
            CATALOG.catalogHash());

    assertThatThrownBy(() -> new PolicyEngine(bundle, shadowing))
        .isInstanceOf(PolicyException.class)
        .hasMessageContaining("server_domain");
  }

  @Test
  void rateLimitsAreReadFromPermitsAndRefusedOnForbidsOrWhenMiswritten() throws PolicyException {
    PolicyEngine limited = engineFor("""
        @id("a") @rate_limit("10/minute") permit (principal, action, resource);
        @id("b") permit (principal, action, resource);
        """);

    assertThat(limited.rateLimits(List.of("a", "b"))).isEqualTo(Map.of("a", RateLimit.parse("10/minute")));
    assertThat(limited.rateLimits(List.of("b"))).isEmpty();
    assertThatThrownBy(() -> engineFor("@id(\"f\") @rate_limit(\"1/second\") forbid (principal, action, resource);"))
        .hasMessageContaining("policy f is a forbid; @rate_limit belongs on a permit");
    assertThatThrownBy(() -> engineFor("@id(\"m\") @rate_limit(\"ten a minute\") permit (principal, action, resource);"))
        .hasMessageContaining("policy m: @rate_limit: \"ten a minute\" is not a rate");
  }

  @Test
  void approvalReasonsComeFromTheAllowingPermitsAndAreRefusedOnForbids() throws PolicyException {
    PolicyEngine engine = engineFor("""
        @id("a") @require_approval("exports leave the company") permit (principal, action, resource);
        @id("b") @require_approval("finance must know") permit (principal, action, resource);
        @id("c") permit (principal, action, resource);
        """);

    assertThat(engine.approvalReason(List.of("b", "a", "c"))).contains("exports leave the company; finance must know");
    assertThat(engine.approvalReason(List.of("c"))).isEmpty();
    assertThatThrownBy(() -> engineFor("@id(\"f\") @require_approval(\"x\") forbid (principal, action, resource);"))
        .hasMessageContaining("policy f is a forbid; @require_approval belongs on a permit");
    assertThatThrownBy(() -> engineFor("@id(\"e\") @require_approval(\" \") permit (principal, action, resource);"))
        .hasMessageContaining("@require_approval needs the reason shown to the person");
  }

  @Test
  void catalogToolOfAnUndefinedServerIsRefused() throws PolicyException {
    PolicyBundle bundle = bundleFor("permit(principal, action, resource);");
    Catalog broken = new Catalog(Map.of(), Map.of("x.y", tool("x.y", "x", Map.of())), CATALOG.catalogHash());

    assertThatThrownBy(() -> new PolicyEngine(bundle, broken)).hasMessageContaining("names server x");
  }

  @Test
  void manyThreadsDecidingAtOnceGetTheSameAnswers() throws Exception {
    List<ToolCallRequest> requests =
        List.of(
            call("crm.search", "{\"query\": \"Acme Corp\", \"limit\": 10}", NIGHT),
            call("crm.search", "{\"query\": \"Globex\", \"limit\": 10}", NIGHT),
            call("crm.delete_contact", "{}", NIGHT),
            call("crm.export", "{}", NIGHT),
            call("crm.report", "{}", OFFICE_HOURS),
            call("nope.nothing", "{}", NIGHT));
    List<PolicyDecision> expected = requests.stream().map(engine::decide).toList();

    List<Future<List<PolicyDecision>>> results = new ArrayList<>();
    try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int t = 0; t < 64; t++) {
        results.add(
            threads.submit(
                () -> {
                  List<PolicyDecision> decisions = new ArrayList<>();
                  for (int round = 0; round < 25; round++) {
                    requests.forEach(r -> decisions.add(engine.decide(r)));
                  }
                  return decisions;
                }));
      }
    }
    for (Future<List<PolicyDecision>> result : results) {
      List<PolicyDecision> decisions = result.get();
      for (int i = 0; i < decisions.size(); i++) {
        assertThat(decisions.get(i)).isEqualTo(expected.get(i % requests.size()));
      }
    }
  }

  private PolicyBundle bundleFor(String policies) throws PolicyException {
    return PolicyBundleLoader.load(TestBundles.write(dir, Map.of("p.cedar", policies)));
  }

  private PolicyEngine engineFor(String policies) throws PolicyException {
    return new PolicyEngine(bundleFor(policies), CATALOG);
  }

  private static ToolCallRequest call(String tool, String arguments, Instant time) {
    return new ToolCallRequest("agent-1", "session-1", "default", tool, json(arguments), time);
  }

  private static DenialCause cause(PolicyDecision decision) {
    assertThat(decision).isInstanceOf(PolicyDecision.Deny.class);
    return ((PolicyDecision.Deny) decision).cause();
  }

  private static CatalogTool tool(String name, String server, Map<String, JsonNode> attributes) {
    return new CatalogTool(name, server, name.substring(name.indexOf('.') + 1), attributes);
  }

  private static JsonNode json(String text) {
    try {
      return new StrictJson().parse(text);
    } catch (StrictJson.MalformedJsonException e) {
      throw new IllegalArgumentException(e);
    }
  }
}
