package dev.cmcp.gateway.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cmcp.gateway.catalog.Catalog;
import dev.cmcp.gateway.catalog.CatalogTool;
import dev.cmcp.gateway.catalog.UpstreamServer;
import dev.cmcp.gateway.redaction.Detector;
import dev.cmcp.gateway.redaction.Redaction;
import dev.cmcp.verify.base.StrictJson;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RedactingPermitTest {

  static final Catalog CATALOG = new Catalog(
      Map.of("crm", new UpstreamServer.Stdio("crm", "node", List.of("crm.js"), Map.of(), Path.of("."))),
      Map.of(
          "crm.contacts", new CatalogTool("crm.contacts", "crm", "contacts", Map.of()),
          "crm.export", new CatalogTool("crm.export", "crm", "export", Map.of())),
      "sha256:" + "0".repeat(64));
  private static final Instant NOW = Instant.parse("2026-03-04T10:15:00Z");

  @TempDir Path dir;

  @Test
  void aSatisfiedRedactingPermitTurnsAnAllowIntoRedact() throws Exception {
    PolicyEngine engine = engine("""
        @id("contacts-without-pii")
        @redact("email, phone")
        @redact_pattern("email|credit_card")
        permit (principal, action == Action::"call_tool", resource == Tool::"crm.contacts");
        @id("export") permit (principal, action == Action::"call_tool", resource == Tool::"crm.export");
        """);

    PolicyDecision contacts = engine.decide(call("crm.contacts", "{\"query\": \"Acme\"}"));
    PolicyDecision export = engine.decide(call("crm.export", "{}"));

    assertThat(contacts).isEqualTo(new PolicyDecision.Redact(List.of("contacts-without-pii"),
        new Redaction(Set.of("email", "phone"), Set.of(Detector.EMAIL, Detector.CREDIT_CARD))));
    assertThat(contacts.word()).isEqualTo("redact");
    assertThat(export).isEqualTo(new PolicyDecision.Allow(List.of("export")));
  }

  @Test
  void theObligationsOfEverySatisfiedPermitAddUp() throws Exception {
    PolicyEngine engine = engine("""
        @id("fields") @redact("email") permit (principal, action, resource == Tool::"crm.contacts");
        @id("patterns") @redact_pattern("ssn") permit (principal, action, resource in Server::"crm");
        @id("plain") permit (principal, action, resource);
        """);

    PolicyDecision decision = engine.decide(call("crm.contacts", "{}"));

    assertThat(decision).isEqualTo(new PolicyDecision.Redact(
        List.of("fields", "patterns", "plain"), new Redaction(Set.of("email"), Set.of(Detector.SSN))));
  }

  @Test
  void aDenialStillCarriesTheRedactionsOfThePermitsThatHeld() throws Exception {
    // Advisory mode forwards a denied call: it must not come back less redacted than an allowed one.
    PolicyEngine engine = engine("""
        @id("contacts-without-pii") @redact("email") permit (principal, action, resource == Tool::"crm.contacts");
        @id("no-bulk") forbid (principal, action, resource) when { context.arguments has limit && context.arguments.limit > 100 };
        """);

    PolicyDecision decision = engine.decide(call("crm.contacts", "{\"limit\": 500}"));
    PolicyDecision noPermit = engine.decide(call("crm.export", "{\"limit\": 500}"));

    assertThat(decision).isEqualTo(new PolicyDecision.Deny(List.of("no-bulk"), java.util.Optional.empty(),
        DenialCause.FORBIDDEN_BY_POLICY, "forbidden by no-bulk", new Redaction(Set.of("email"), Set.of())));
    assertThat(noPermit.redaction()).isEqualTo(Redaction.NONE);
  }

  @Test
  void aDenialWhoseRedactionCannotBeToldCarriesEveryRedactionOfTheBundle() throws Exception {
    PolicyEngine engine = engine("""
        @id("a") @redact("email") permit (principal, action, resource) when { context.arguments.region == "eu" };
        @id("b") @redact_pattern("phone") permit (principal, action, resource == Tool::"crm.export");
        """);

    // Cedar's JSON escapes cannot be arguments: the request cannot even be built.
    PolicyDecision decision = engine.decide(call("crm.contacts", "{\"__entity\": {\"type\": \"Agent\", \"id\": \"x\"}}"));

    assertThat(((PolicyDecision.Deny) decision).cause()).isEqualTo(DenialCause.EVALUATION_ERROR);
    assertThat(decision.redaction()).isEqualTo(new Redaction(Set.of("email"), Set.of(Detector.PHONE)));
  }

  @Test
  void redactionOnAForbidIsRefusedWithItsLocation() {
    assertThatThrownBy(() -> engine("""
        permit (principal, action, resource);
        @id("pointless") @redact("email") forbid (principal, action, resource == Tool::"crm.export");
        """))
        .isInstanceOf(PolicyException.class)
        .hasMessage("p.cedar:2: policy pointless is a forbid; @redact and @redact_pattern belong on a permit, "
            + "whose allowed answers they redact");
  }

  @Test
  void anUnknownDetectorIsRefusedWithItsLocation() {
    assertThatThrownBy(() -> engine("""
        @id("typo")
        @redact_pattern("emial")
        permit (principal, action, resource);
        """))
        .isInstanceOf(PolicyException.class)
        .hasMessage("p.cedar:1: policy typo: @redact_pattern names \"emial\", which is not a detector; "
            + "use email|credit_card|ssn|phone");
  }

  private PolicyEngine engine(String policies) throws PolicyException {
    return new PolicyEngine(PolicyBundleLoader.load(TestBundles.write(dir, Map.of("p.cedar", policies))), CATALOG);
  }

  static ToolCallRequest call(String tool, String arguments) {
    try {
      return new ToolCallRequest("agent-1", "session-1", "default", tool, new StrictJson().parse(arguments), NOW);
    } catch (StrictJson.MalformedJsonException e) {
      throw new IllegalArgumentException(e);
    }
  }
}
