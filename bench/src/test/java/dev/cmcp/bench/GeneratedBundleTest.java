package dev.cmcp.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.cmcp.gateway.policy.DenialCause;
import dev.cmcp.gateway.policy.PolicyDecision;
import dev.cmcp.gateway.policy.PolicyEngine;
import dev.cmcp.gateway.policy.ToolCallRequest;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class GeneratedBundleTest {

  private final PolicyEngine engine = newEngine(10);

  @Test
  void eachAgentMayCallItsOwnToolOnly() {
    assertThat(engine.decide(call(3, 3))).isEqualTo(new PolicyDecision.Allow(List.of(GeneratedBundle.policyId(3))));
    assertThat(engine.decide(call(4, 3)))
        .isInstanceOfSatisfying(PolicyDecision.Deny.class, deny -> assertThat(deny.cause()).isEqualTo(DenialCause.NO_PERMIT));
  }

  @Test
  void theBenchmarkRequestIsAllowedAtEverySize() throws Exception {
    for (String engine : List.of("sliced", "whole")) {
      PolicyDecideBenchmark benchmark = new PolicyDecideBenchmark();
      benchmark.policies = 100;
      benchmark.engine = engine;
      benchmark.buildEngine();

      assertThat(benchmark.decide()).as(engine).isInstanceOf(PolicyDecision.Allow.class);
    }
  }

  private static PolicyEngine newEngine(int size) {
    try {
      return new PolicyEngine(GeneratedBundle.perToolPermits(size), GeneratedBundle.catalogOf(size));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static ToolCallRequest call(int agent, int tool) {
    return new ToolCallRequest(GeneratedBundle.agent(agent), "s", GeneratedBundle.agent(agent), GeneratedBundle.tool(tool),
        JsonNodeFactory.instance.objectNode(), Instant.parse("2026-11-25T00:00:00Z"));
  }
}
