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
  record PolicyCost(int policies, double p50Micros, double p99Micros, long samples) {}

  private PolicyBench() {}

  static List<PolicyCost> run(List<Integer> sizes, int iterationSeconds, int warmupIterations, int iterations)
      throws RunnerException {
    Options options = new OptionsBuilder()
        .include(PolicyDecideBenchmark.class.getName())
        .param("policies", sizes.stream().map(String::valueOf).toArray(String[]::new))
        .forks(1)
        .jvmArgsAppend("--enable-native-access=ALL-UNNAMED")
        .warmupIterations(warmupIterations)
        .warmupTime(TimeValue.seconds(iterationSeconds))
        .measurementIterations(iterations)
        .measurementTime(TimeValue.seconds(iterationSeconds))
        .shouldFailOnError(true)
        .build();
    List<PolicyCost> costs = new ArrayList<>();
    for (RunResult result : new Runner(options).run()) {
      var statistics = result.getPrimaryResult().getStatistics();
      costs.add(new PolicyCost(Integer.parseInt(result.getParams().getParam("policies")),
          statistics.getPercentile(50), statistics.getPercentile(99), statistics.getN()));
    }
    costs.sort(Comparator.comparingInt(PolicyCost::policies));
    return costs;
  }
}
