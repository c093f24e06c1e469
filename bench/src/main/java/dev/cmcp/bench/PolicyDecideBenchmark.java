package dev.cmcp.bench;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.cmcp.gateway.policy.PolicyDecision;
import dev.cmcp.gateway.policy.PolicyEngine;
import dev.cmcp.gateway.policy.PolicyException;
import dev.cmcp.gateway.policy.ToolCallRequest;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * {@link PolicyEngine#decide} against bundles of per-tool permits of growing size. The request
 * matches exactly one policy (the middle one), so the call is allowed and every other policy is
 * evaluated for nothing, unless the engine slices the bundle: {@code engine} compares the two.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class PolicyDecideBenchmark {

  @Param({"10", "100", "1000", "10000"})
  public int policies;

  /**
   * {@code cached}: the engine as the gateway builds it (slices and the decision cache, which
   * answers this repeated request without Cedar); {@code sliced}: slices, Cedar asked on every
   * call; {@code whole}: every policy evaluated on every call.
   */
  @Param({"cached", "sliced", "whole"})
  public String engine;

  private PolicyEngine policyEngine;
  private ToolCallRequest request;

  @Setup
  public void buildEngine() throws PolicyException {
    policyEngine = switch (engine) {
      case "cached" -> new PolicyEngine(GeneratedBundle.perToolPermits(policies), GeneratedBundle.catalogOf(policies));
      case "sliced" -> new PolicyEngine(GeneratedBundle.perToolPermits(policies), GeneratedBundle.catalogOf(policies),
          Integer.getInteger("cedar.cache.maxPolicySets", 1024) / 4, 0);
      case "whole" -> new PolicyEngine(GeneratedBundle.perToolPermits(policies), GeneratedBundle.catalogOf(policies), 1);
      default -> throw new IllegalArgumentException("engine is cached, sliced or whole, not " + engine);
    };
    int matching = policies / 2;
    request = new ToolCallRequest(GeneratedBundle.agent(matching), "bench-session", GeneratedBundle.agent(matching),
        GeneratedBundle.tool(matching), JsonNodeFactory.instance.objectNode().put("message", "bench"),
        Instant.parse("2026-11-25T12:00:00Z"));
    if (!(policyEngine.decide(request) instanceof PolicyDecision.Allow)) {
      throw new IllegalStateException("the generated bundle does not allow its own matching request");
    }
  }

  @Benchmark
  public PolicyDecision decide() {
    return policyEngine.decide(request);
  }
}
