package dev.cmcp.gateway.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cmcp.verify.base.StrictJson;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Listing with Cedar's partial evaluation, and the read_resource and get_prompt actions. */
class DiscoveryAndOtherActionsTest {

  private static final Instant NOON = Instant.parse("2026-03-04T12:00:00Z");
  private static final Instant NIGHT = Instant.parse("2026-03-04T23:00:00Z");
  private static final PolicyTarget CONTACTS = new PolicyTarget.Tool("crm.contacts");
  private static final PolicyTarget EXPORT = new PolicyTarget.Tool("crm.export");

  @TempDir Path dir;

  @Test
  void aToolWhosePermitDependsOnArgumentsIsListed() throws Exception {
    PolicyEngine engine = engine("""
        permit (principal == Agent::"sales", action == Action::"call_tool", resource == Tool::"crm.contacts")
          when { context.arguments.limit <= 100 };
        """);

    assertThat(engine.couldPermit("sales", "s", "sales", CONTACTS, NOON)).isTrue();
    assertThat(engine.couldPermit("support", "s", "support", CONTACTS, NOON)).isFalse();
    assertThat(engine.couldPermit("sales", "s", "sales", EXPORT, NOON)).isFalse();
  }

  @Test
  void anUnconditionalForbidHidesAToolAndAnArgumentForbidDoesNot() throws Exception {
    PolicyEngine engine = engine("""
        permit (principal, action, resource);
        forbid (principal, action, resource == Tool::"crm.export");
        forbid (principal, action, resource == Tool::"crm.contacts") when { context.arguments.limit > 100 };
        """);

    assertThat(engine.couldPermit("sales", "s", "sales", EXPORT, NOON)).isFalse();
    assertThat(engine.couldPermit("sales", "s", "sales", CONTACTS, NOON)).isTrue();
  }

  @Test
  void theKnownContextDecidesTheListing() throws Exception {
    PolicyEngine engine = engine("""
        permit (principal, action, resource) when { context.workflow_id == "onboarding" && context.time.hour_utc < 18 };
        """);

    assertThat(engine.couldPermit("a", "s", "onboarding", CONTACTS, NOON)).isTrue();
    assertThat(engine.couldPermit("a", "s", "onboarding", CONTACTS, NIGHT)).isFalse();
    assertThat(engine.couldPermit("a", "s", "billing", CONTACTS, NOON)).isFalse();
  }

  @Test
  void aForbidThatFailsToEvaluateHidesTheTool() throws Exception {
    PolicyEngine engine = engine("""
        permit (principal, action, resource);
        forbid (principal, action, resource) when { resource.no_such_attribute == 1 };
        """);

    assertThat(engine.couldPermit("a", "s", "w", CONTACTS, NOON)).isFalse();
  }

  @Test
  void resourcesAndPromptsHaveTheirOwnActionsAndEntities() throws Exception {
    PolicyEngine engine = engine("""
        @id("docs") permit (principal, action == Action::"read_resource", resource in Server::"crm")
          when { resource.uri like "crm://docs/*" && resource.server_domain == "localhost" };
        @id("prompts") permit (principal, action == Action::"get_prompt", resource == Prompt::"crm.summary")
          when { context.arguments.style == "short" };
        @id("no-secrets") forbid (principal, action == Action::"read_resource", resource == Resource::"crm:crm://docs/secret");
        """);

    assertThat(engine.decide(read("crm://docs/readme"))).isEqualTo(new PolicyDecision.Allow(List.of("docs")));
    assertThat(((PolicyDecision.Deny) engine.decide(read("crm://docs/secret"))).cause()).isEqualTo(DenialCause.FORBIDDEN_BY_POLICY);
    assertThat(((PolicyDecision.Deny) engine.decide(read("crm://contacts/1"))).cause()).isEqualTo(DenialCause.NO_PERMIT);
    assertThat(engine.decide(prompt("summary", "{\"style\": \"short\"}"))).isEqualTo(new PolicyDecision.Allow(List.of("prompts")));
    assertThat(((PolicyDecision.Deny) engine.decide(prompt("summary", "{\"style\": \"long\"}"))).cause())
        .isEqualTo(DenialCause.NO_PERMIT);
    assertThat(engine.couldPermit("a", "s", "w", new PolicyTarget.Prompt("crm", "summary"), NOON)).isTrue();
    assertThat(engine.couldPermit("a", "s", "w", new PolicyTarget.Prompt("crm", "other"), NOON)).isFalse();
    assertThat(engine.couldPermit("a", "s", "w", new PolicyTarget.Resource("crm", "crm://docs/secret"), NOON)).isFalse();
  }

  @Test
  void aPermitForToolsDoesNotOpenResourcesOrPrompts() throws Exception {
    PolicyEngine engine = engine("permit (principal, action == Action::\"call_tool\", resource);");

    assertThat(((PolicyDecision.Deny) engine.decide(read("crm://docs/readme"))).cause()).isEqualTo(DenialCause.NO_PERMIT);
  }

  @Test
  void aServerOutsideTheCatalogOffersNothing() throws Exception {
    PolicyEngine engine = engine("permit (principal, action, resource);");

    PolicyDecision decision = engine.decide(new AccessRequest("a", "s", "w", new PolicyTarget.Prompt("elsewhere", "p"), null, NOON));

    assertThat(((PolicyDecision.Deny) decision).cause()).isEqualTo(DenialCause.NOT_OFFERED);
    assertThat(engine.couldPermit("a", "s", "w", new PolicyTarget.Resource("elsewhere", "x://y"), NOON)).isFalse();
  }

  private static AccessRequest read(String uri) {
    return new AccessRequest("agent-1", "s", "w", new PolicyTarget.Resource("crm", uri), null, NOON);
  }

  private static AccessRequest prompt(String name, String arguments) throws StrictJson.MalformedJsonException {
    return new AccessRequest("agent-1", "s", "w", new PolicyTarget.Prompt("crm", name), new StrictJson().parse(arguments), NOON);
  }

  private PolicyEngine engine(String policies) throws PolicyException {
    return new PolicyEngine(
        PolicyBundleLoader.load(TestBundles.write(dir, Map.of("p.cedar", policies))), RedactingPermitTest.CATALOG);
  }
}
