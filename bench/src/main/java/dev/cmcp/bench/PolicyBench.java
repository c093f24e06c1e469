package dev.cmcp.bench;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/** Runs {@link PolicyDecideBenchmark} through JMH (one forked JVM) and keeps the percentiles. */
final class PolicyBench {

  /** {@code decide} at one bundle size, in microseconds. */
  record PolicyCost(int policies, String engine, double p50Micros, double p99Micros, long samples) {}

  private PolicyBench() {}

  static List<PolicyCost> run(
      List<Integer> sizes, List<String> engines, int iterationSeconds, int warmupIterations, int iterations)
      throws RunnerException {
    Options options = new OptionsBuilder()
        .include(PolicyDecideBenchmark.class.getName())
        .param("policies", sizes.stream().map(String::valueOf).toArray(String[]::new))
        .param("engine", engines.toArray(String[]::new))
        .forks(1)
        // As ./cmcp does: room in cedar-java's native cache for one policy set per slice.
        .jvmArgsAppend("--enable-native-access=ALL-UNNAMED", "-Dcedar.cache.maxPolicySets=65536")
        .warmupIterations(warmupIterations)
        .warmupTime(TimeValue.seconds(iterationSeconds))
        .measurementIterations(iterations)
        .measurementTime(TimeValue.seconds(iterationSeconds))
        .shouldFailOnError(true)
        .build();
    List<PolicyCost> costs = new ArrayList<>();
    for (RunResult result : new Runner(options).run()) {
      var statistics = result.getPrimaryResult().getStatistics();
      costs.add(new PolicyCost(Integer.parseInt(result.getParams().getParam("policies")), result.getParams().getParam("engine"),
          statistics.getPercentile(50), statistics.getPercentile(99), statistics.getN()));
    }
    costs.sort(Comparator.comparing(PolicyCost::engine).thenComparingInt(PolicyCost::policies));
    return costs;
  }
}
