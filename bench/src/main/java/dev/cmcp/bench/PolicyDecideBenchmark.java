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
 * evaluated for nothing: the cost that slicing the bundle is meant to remove.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class PolicyDecideBenchmark {

  @Param({"10", "100", "1000", "10000"})
  public int policies;

  private PolicyEngine engine;
  private ToolCallRequest request;

  @Setup
  public void buildEngine() throws PolicyException {
    engine = new PolicyEngine(GeneratedBundle.perToolPermits(policies), GeneratedBundle.catalogOf(policies));
    int matching = policies / 2;
    request = new ToolCallRequest(GeneratedBundle.agent(matching), "bench-session", GeneratedBundle.agent(matching),
        GeneratedBundle.tool(matching), JsonNodeFactory.instance.objectNode().put("message", "bench"),
        Instant.parse("2026-11-25T12:00:00Z"));
    if (!(engine.decide(request) instanceof PolicyDecision.Allow)) {
      throw new IllegalStateException("the generated bundle does not allow its own matching request");
    }
  }

  @Benchmark
  public PolicyDecision decide() {
    return engine.decide(request);
  }
}
