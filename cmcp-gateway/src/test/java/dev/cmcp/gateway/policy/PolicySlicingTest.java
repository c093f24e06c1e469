package dev.cmcp.gateway.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.gateway.catalog.Catalog;
import dev.cmcp.gateway.catalog.CatalogTool;
import dev.cmcp.gateway.catalog.UpstreamServer;
import java.net.URI;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Slicing must be invisible: for generated bundles (scopes with {@code ==}, {@code in} server
 * groups, {@code is}, forbids and permits, conditions that hold, fail or raise errors, redacting
 * permits, policies naming tools outside the catalog) and every kind of request, the sliced
 * engine answers exactly as the engine that hands Cedar the whole bundle.
 */
class PolicySlicingTest {

  private static final Instant TIME = Instant.parse("2026-03-04T10:15:00Z");
  private static final List<String> SERVERS = List.of("s0", "s1", "s2");
  private static final List<String> AGENTS = List.of("a0", "a1", "a2", "a3");
  private static final Catalog CATALOG = catalog();

  @Test
  void slicedEngineDecidesEveryGeneratedRequestAsTheWholeBundleDoes() throws PolicyException {
    Random random = new Random(20261126L);
    int sliced = 0;
    java.util.Set<String> outcomes = new java.util.HashSet<>();
    for (int bundle = 0; bundle < 16; bundle++) {
      PolicyBundle policies = randomBundle(random, 5 + random.nextInt(30));
      PolicyEngine whole = new PolicyEngine(policies, CATALOG, 1);
      PolicyEngine exact = new PolicyEngine(policies, CATALOG);
      PolicyEngine grouped = new PolicyEngine(policies, CATALOG, 4);
      for (AccessRequest request : requests(random)) {
        PolicyDecision expected = whole.decide(request);
        outcomes.add(expected instanceof PolicyDecision.Deny deny ? deny.cause().name() : expected.word());
        assertThat(exact.decide(request)).as("bundle %d, %s", bundle, request).isEqualTo(expected);
        assertThat(exact.decide(request)).as("bundle %d again, %s", bundle, request).isEqualTo(expected);
        assertThat(grouped.decide(request)).as("bundle %d grouped, %s", bundle, request).isEqualTo(expected);
        assertThat(exact.couldPermit(request.principal(), "s", "w", request.target(), TIME))
            .as("listing, bundle %d, %s", bundle, request)
            .isEqualTo(whole.couldPermit(request.principal(), "s", "w", request.target(), TIME));
      }
      sliced += exact.distinctSlices() > 1 ? 1 : 0;
    }
    assertThat(sliced).as("bundles actually cut into several slices").isGreaterThan(12);
    assertThat(outcomes).as("the generated requests reach every kind of outcome")
        .contains("allow", "redact", "FORBIDDEN_BY_POLICY", "NO_PERMIT", "EVALUATION_ERROR", "UNSANCTIONED_TOOL");
  }

  /**
   * The decision cache must be invisible too: for generated bundles whose policies read only the
   * principal (with its attributes), the action and the resource, an engine that reuses decisions
   * answers every request, asked in any order and again with another session, time, workflow and
   * arguments, exactly as the engine that calls Cedar every time; and it does reuse them.
   */
  @Test
  void cachedDecisionsAreTheDecisionsCedarGivesForBundlesThatReadNoContext() throws PolicyException {
    Random random = new Random(20261206L);
    long reused = 0;
    java.util.Set<String> outcomes = new java.util.HashSet<>();
    for (int bundle = 0; bundle < 16; bundle++) {
      PolicyBundle policies = randomBundle(random, 5 + random.nextInt(30), entityConditions());
      PolicyEngine uncached = new PolicyEngine(policies, CATALOG, 256, 0);
      PolicyEngine cached = new PolicyEngine(policies, CATALOG, 256, PolicyEngine.DECISION_CACHE_ENTRIES);
      PolicyEngine tiny = new PolicyEngine(policies, CATALOG, 256, 3);
      List<AccessRequest> requests = requestsWithAttributes(random);
      for (int round = 0; round < 2; round++) {
        java.util.Collections.shuffle(requests, random);
        for (AccessRequest request : requests) {
          AccessRequest another = new AccessRequest(request.principal(), "other-session", "other-workflow", request.target(),
              json(arguments(random)), TIME.plusSeconds(random.nextInt(100_000)), request.principalAttributes(),
              new SessionHistory(random.nextInt(9), java.util.Set.of("s0.t1"), java.util.Set.of("secret"), random.nextInt(3)));
          PolicyDecision expected = uncached.decide(request);
          outcomes.add(expected instanceof PolicyDecision.Deny deny ? deny.cause().name() : expected.word());
          assertThat(cached.decide(request)).as("bundle %d, %s", bundle, request).isEqualTo(expected);
          assertThat(cached.decide(another)).as("bundle %d, other context, %s", bundle, another).isEqualTo(uncached.decide(another));
          assertThat(tiny.decide(request)).as("bundle %d, tiny cache, %s", bundle, request).isEqualTo(expected);
        }
      }
      reused += cached.reusedDecisions();
      assertThat(uncached.reusedDecisions()).isZero();
    }
    assertThat(reused).as("decisions answered from the cache").isGreaterThan(1000);
    assertThat(outcomes).as("the generated requests reach every kind of outcome")
        .contains("allow", "redact", "FORBIDDEN_BY_POLICY", "NO_PERMIT", "EVALUATION_ERROR", "UNSANCTIONED_TOOL");
  }

  @Test
  void aSliceThatReadsTheContextIsDecidedAfreshEveryTime() throws PolicyException {
    PolicyEngine engine = new PolicyEngine(bundle(
        "@id(\"first-calls\") permit (principal, action, resource == Tool::\"s0.t1\") when { context.session.call_count < 2 };",
        "@id(\"t2\") permit (principal, action, resource == Tool::\"s0.t2\");"),
        CATALOG);
    AccessRequest early = new AccessRequest("a0", "s", "w", new PolicyTarget.Tool("s0.t1"), null, TIME,
        new SessionHistory(1, java.util.Set.of(), java.util.Set.of(), 0));
    AccessRequest late = new AccessRequest("a0", "s", "w", new PolicyTarget.Tool("s0.t1"), null, TIME,
        new SessionHistory(5, java.util.Set.of(), java.util.Set.of(), 0));

    assertThat(engine.decide(early)).isInstanceOf(PolicyDecision.Allow.class);
    assertThat(engine.decide(late)).isInstanceOf(PolicyDecision.Deny.class);
    assertThat(engine.decide(early)).isInstanceOf(PolicyDecision.Allow.class);
    assertThat(engine.reusedDecisions()).isZero();
    // The other tool's slice reads no context: its decisions are reused.
    engine.decide(AccessRequest.of(toolCall("a0", "s0.t2", "{}")));
    assertThat(engine.decide(AccessRequest.of(toolCall("a0", "s0.t2", "{\"x\": 1}")))).isInstanceOf(PolicyDecision.Allow.class);
    assertThat(engine.reusedDecisions()).isEqualTo(1);
  }

  @Test
  void aRedactingPermitThatReadsTheContextKeepsDenialsFromBeingReused() throws PolicyException {
    PolicyEngine engine = new PolicyEngine(bundle(
        "@id(\"deny-t1\") forbid (principal, action, resource == Tool::\"s0.t1\");",
        "@id(\"redact-flagged\") @redact(\"secret\") permit (principal, action, resource) when { context.arguments has flag };"),
        CATALOG);
    PolicyDecision.Deny flagged = (PolicyDecision.Deny) engine.decide(AccessRequest.of(toolCall("a0", "s0.t1", "{\"flag\": 1}")));
    PolicyDecision.Deny plain = (PolicyDecision.Deny) engine.decide(AccessRequest.of(toolCall("a0", "s0.t1", "{}")));

    assertThat(flagged.redaction().isEmpty()).isFalse();
    assertThat(plain.redaction().isEmpty()).isTrue();
    assertThat(engine.reusedDecisions()).isZero();
  }

  @Test
  void argumentsAreStillBoundedWhenTheDecisionIsReused() throws PolicyException {
    PolicyEngine engine = new PolicyEngine(bundle("@id(\"all\") permit (principal, action, resource);"), CATALOG);
    assertThat(engine.decide(AccessRequest.of(toolCall("a0", "s0.t1", "{}")))).isInstanceOf(PolicyDecision.Allow.class);

    PolicyDecision refused = engine.decide(AccessRequest.of(toolCall("a0", "s0.t1", "{\"__entity\": {\"type\": \"Agent\", \"id\": \"x\"}}")));

    assertThat(refused).isInstanceOf(PolicyDecision.Deny.class);
    assertThat(((PolicyDecision.Deny) refused).cause()).isEqualTo(DenialCause.EVALUATION_ERROR);
  }

  @Test
  void aReloadedEngineStartsWithoutTheDecisionsOfTheOldOne() throws PolicyException {
    PolicyBundle closed = bundle("@id(\"only-t2\") permit (principal, action, resource == Tool::\"s0.t2\");");
    PolicyBundle open = bundle("@id(\"all\") permit (principal, action, resource);");
    ActivePolicy before = ActivePolicy.compile(closed, CATALOG);
    assertThat(before.engine().decide(AccessRequest.of(toolCall("a0", "s0.t1", "{}")))).isInstanceOf(PolicyDecision.Deny.class);
    assertThat(before.engine().decide(AccessRequest.of(toolCall("a0", "s0.t1", "{}")))).isInstanceOf(PolicyDecision.Deny.class);
    assertThat(before.engine().reusedDecisions()).isEqualTo(1);

    ActivePolicy after = ActivePolicy.compile(open, CATALOG);

    assertThat(after.engine().decide(AccessRequest.of(toolCall("a0", "s0.t1", "{}")))).isInstanceOf(PolicyDecision.Allow.class);
  }

  @Test
  void onlyPoliciesThatReadPrincipalActionAndResourceAloneCountAsDecidedByEntities() {
    com.fasterxml.jackson.databind.ObjectMapper mapper = new com.fasterxml.jackson.databind.ObjectMapper();
    java.util.function.Predicate<String> readsMore = source -> PolicyScope.readsMoreThanEntities(
        PolicyScope.jsonOf(new com.cedarpolicy.model.policy.Policy(source, "p"), mapper));

    assertThat(readsMore).accepts(
        "permit (principal, action, resource) when { context.arguments.n > 3 };",
        "permit (principal, action, resource) unless { context has session };",
        "permit (principal, action, resource) when { [context][0] has x };",
        "permit (principal, action, resource) when { principal.groups.contains(context.server) };",
        "permit (principal, action, resource) when { if true then context.time.hour_utc > 3 else false };");
    assertThat(readsMore).rejects(
        "permit (principal, action, resource);",
        "permit (principal == Agent::\"a\", action, resource in Server::\"s0\") when { resource.tool_name == \"context\" };",
        "permit (principal, action, resource) when { principal has groups && principal.groups.contains(\"admins\") };",
        "forbid (principal, action, resource) unless { resource.server_domain like \"*.example.com\" };");
  }

  @Test
  void forbidOnAServerGroupReachesEveryToolOfThatServer() throws PolicyException {
    PolicyEngine engine = new PolicyEngine(bundle(
        "@id(\"anyone-s1\") permit (principal, action, resource);",
        "@id(\"no-s1\") @reason(\"s1 is closed\") forbid (principal, action == Action::\"call_tool\", resource in Server::\"s1\");"),
        CATALOG);

    PolicyDecision decision = engine.decide(toolCall("a0", "s1.t2", "{}"));

    assertThat(decision).isInstanceOf(PolicyDecision.Deny.class);
    assertThat(decision.policyIds()).containsExactly("no-s1");
    assertThat(engine.decide(toolCall("a0", "s0.t2", "{}")).policyIds()).containsExactly("anyone-s1");
  }

  @Test
  void perToolPermitsAreCutIntoOneSliceEachAndStillDecide() throws PolicyException {
    List<String> permits = new ArrayList<>();
    for (String server : SERVERS) {
      for (int tool = 0; tool < 4; tool++) {
        permits.add("@id(\"%s.t%d\") @redact(\"secret\") permit (principal == Agent::\"a%d\", action == Action::\"call_tool\", resource == Tool::\"%s.t%d\");"
            .formatted(server, tool, tool, server, tool));
      }
    }
    PolicyEngine engine = new PolicyEngine(bundle(permits.toArray(String[]::new)), CATALOG);

    assertThat(engine.decide(toolCall("a2", "s1.t2", "{}"))).isInstanceOf(PolicyDecision.Redact.class)
        .extracting(PolicyDecision::policyIds).isEqualTo(List.of("s1.t2"));
    assertThat(engine.decide(toolCall("a1", "s1.t2", "{}"))).isInstanceOf(PolicyDecision.Deny.class);
    // 12 one-policy slices, the empty one for every other principal, one per other action.
    assertThat(engine.distinctSlices()).isEqualTo(13);
  }

  private static PolicyBundle randomBundle(Random random, int count) {
    return randomBundle(random, count, conditions());
  }

  private static PolicyBundle randomBundle(Random random, int count, List<String> conditions) {
    List<String> sources = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      boolean forbid = random.nextInt(10) < 3;
      String annotations = "@id(\"p" + i + "\") "
          + (forbid ? "@reason(\"rule " + i + "\") " : random.nextInt(4) == 0 ? "@redact(\"field" + i % 3 + "\") " : "");
      sources.add(annotations + (forbid ? "forbid" : "permit") + " (" + pick(random, principals()) + ", "
          + pick(random, actions()) + ", " + pick(random, resources()) + ")" + pick(random, conditions) + ";");
    }
    return bundle(sources.toArray(String[]::new));
  }

  private static List<String> principals() {
    return List.of("principal", "principal", "principal == Agent::\"a1\"", "principal == Agent::\"a2\"",
        "principal in Agent::\"a0\"", "principal is Agent", "principal is Agent in Agent::\"a3\"",
        "principal in Group::\"admins\"", "principal == Agent::\"nobody\"", "principal is Group");
  }

  private static List<String> actions() {
    return List.of("action", "action == Action::\"call_tool\"", "action == Action::\"call_tool\"",
        "action == Action::\"read_resource\"", "action in [Action::\"call_tool\", Action::\"get_prompt\"]",
        "action in Action::\"call_tool\"", "action == Action::\"other\"");
  }

  private static List<String> resources() {
    return List.of("resource", "resource", "resource == Tool::\"s0.t1\"", "resource == Tool::\"s2.t3\"",
        "resource == Tool::\"ghost.tool\"", "resource in Server::\"s1\"", "resource in Server::\"s2\"", "resource is Tool",
        "resource is Tool in Server::\"s0\"", "resource is Resource in Server::\"s1\"", "resource is Prompt",
        "resource == Resource::\"s0:file:///a\"", "resource in Tool::\"s1.t0\"", "resource in Server::\"ghost\"");
  }

  private static List<String> conditions() {
    return List.of("", "", "", " when { context.arguments.n > 3 }", " unless { context.arguments has flag }",
        " when { context.server == \"s1\" }", " when { resource.tool_name == \"s0.t2\" }",
        " when { principal == Agent::\"a1\" }", " when { context.arguments has n && context.arguments.n < 2 }");
  }

  /** Conditions that read the principal's attributes and the resource's, never the context; some fail to evaluate. */
  private static List<String> entityConditions() {
    return List.of("", "", "", " when { resource.tool_name == \"s0.t2\" }", " when { principal == Agent::\"a1\" }",
        " when { principal has groups && principal.groups.contains(\"admins\") }", " when { principal.level > 2 }",
        " unless { principal has level && principal.level < 1 }", " when { resource has uri && resource.uri like \"file:*\" }",
        " when { resource.server_domain == \"localhost\" }", " when { resource.no_such_attribute == 1 }");
  }

  /** The requests of {@link #requests}, by principals with and without attributes. */
  private static List<AccessRequest> requestsWithAttributes(Random random) {
    List<AccessRequest> requests = new ArrayList<>();
    List<Map<String, JsonNode>> attributes = List.of(Map.of(), Map.of("groups", json("[\"admins\"]")),
        Map.of("groups", json("[\"users\"]"), "level", json("3")), Map.of("level", json("0")));
    for (AccessRequest request : requests(random)) {
      Map<String, JsonNode> some = attributes.get(random.nextInt(attributes.size()));
      requests.add(new AccessRequest(request.principal(), request.sessionId(), request.workflowId(), request.target(),
          request.arguments(), request.time(), some, request.session()));
      requests.add(request);
    }
    return requests;
  }

  private static List<AccessRequest> requests(Random random) {
    List<AccessRequest> requests = new ArrayList<>();
    List<String> principals = new ArrayList<>(AGENTS);
    principals.add("stranger");
    for (String principal : principals) {
      for (String tool : CATALOG.tools().keySet()) {
        requests.add(AccessRequest.of(toolCall(principal, tool, arguments(random))));
      }
      requests.add(AccessRequest.of(toolCall(principal, "ghost.tool", "{}")));
      for (String server : SERVERS) {
        requests.add(new AccessRequest(principal, "s", "w", new PolicyTarget.Resource(server, "file:///a"), null, TIME));
        requests.add(new AccessRequest(principal, "s", "w", new PolicyTarget.Prompt(server, "greet"),
            json(arguments(random)), TIME));
      }
    }
    return requests;
  }

  private static String arguments(Random random) {
    return switch (random.nextInt(4)) {
      case 0 -> "{}";
      case 1 -> "{\"n\": " + random.nextInt(6) + "}";
      case 2 -> "{\"flag\": true}";
      default -> "{\"n\": " + random.nextInt(6) + ", \"flag\": false}";
    };
  }

  private static String pick(Random random, List<String> choices) {
    return choices.get(random.nextInt(choices.size()));
  }

  private static PolicyBundle bundle(String... sources) {
    List<BundlePolicy> policies = new ArrayList<>();
    for (int i = 0; i < sources.length; i++) {
      policies.add(new BundlePolicy(idOf(sources[i]), "generated.cedar", i + 1, sources[i], annotationsOf(sources[i])));
    }
    ObjectNode manifest = JsonNodeFactory.instance.objectNode().put("version", "slicing");
    return new PolicyBundle(Path.of("generated"), manifest, "sha256:slicing", policies);
  }

  private static String idOf(String source) {
    return annotationsOf(source).get("id");
  }

  /** The {@code @name("value")} annotations at the start of a generated policy. */
  private static Map<String, String> annotationsOf(String source) {
    Map<String, String> annotations = new HashMap<>();
    var matcher = java.util.regex.Pattern.compile("@(\\w+)\\(\"([^\"]*)\"\\)").matcher(source);
    while (matcher.find()) {
      annotations.put(matcher.group(1), matcher.group(2));
    }
    return annotations;
  }

  private static ToolCallRequest toolCall(String principal, String tool, String arguments) {
    return new ToolCallRequest(principal, "s", "w", tool, json(arguments), TIME);
  }

  private static JsonNode json(String text) {
    try {
      return new com.fasterxml.jackson.databind.ObjectMapper().readTree(text);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalArgumentException(e);
    }
  }

  private static Catalog catalog() {
    Map<String, UpstreamServer> servers = Map.of(
        "s0", new UpstreamServer.Stdio("s0", "node", List.of("s0.js"), Map.of(), Path.of(".")),
        "s1", new UpstreamServer.StreamableHttp("s1", URI.create("https://one.example.com/mcp"), Map.of()),
        "s2", new UpstreamServer.StreamableHttp("s2", URI.create("http://127.0.0.1:9/mcp"), Map.of()));
    Map<String, CatalogTool> tools = new HashMap<>();
    for (String server : SERVERS) {
      for (int tool = 0; tool < 4; tool++) {
        String name = server + ".t" + tool;
        tools.put(name, new CatalogTool(name, server, "t" + tool, Map.of()));
      }
    }
    return new Catalog(servers, tools, "sha256:" + "0".repeat(64));
  }
}
