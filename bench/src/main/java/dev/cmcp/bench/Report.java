package dev.cmcp.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The results as markdown tables: per target and load, then cMCP against the upstream alone and
 * against the proxy, then the policy engine by bundle size. The same text is printed and written
 * into benchmarks.md between two marker comments, leaving the rest of that file as it is.
 */
final class Report {

  static final String BEGIN = "<!-- bench:results:begin (written by ./cmcp-dev bench; edits here are overwritten) -->";
  static final String END = "<!-- bench:results:end -->";

  /** How a run was made, printed above its tables. */
  record RunFacts(String command, String date, int cpus, String jdk, String settings) {}

  /**
   * What a run measured besides latency: each point's process CPU per call (by {@link #pointKey}),
   * the memory of a gateway holding many sessions, and claim issuance per attestation provider.
   */
  record Costs(Map<String, Double> cpuMillisPerCall, Optional<Footprint.Sessions> sessions, List<Footprint.ClaimCost> claims) {
    static final Costs NONE = new Costs(Map.of(), Optional.empty(), List.of());

    Costs {
      cpuMillisPerCall = Map.copyOf(cpuMillisPerCall);
      claims = List.copyOf(claims);
    }
  }

  private final RunFacts facts;
  private final List<Measurement> measurements;
  private final Costs costs;
  private final List<PolicyBench.PolicyCost> policyCosts;
  private final List<String> profile;

  Report(RunFacts facts, List<Measurement> measurements, Costs costs, List<PolicyBench.PolicyCost> policyCosts, List<String> profile) {
    this.facts = facts;
    this.measurements = List.copyOf(measurements);
    this.costs = costs;
    this.policyCosts = List.copyOf(policyCosts);
    this.profile = List.copyOf(profile);
  }

  /** The key of a point in {@link Costs#cpuMillisPerCall}. */
  static String pointKey(String target, Load load) {
    return target + " " + load.label();
  }

  String markdown() {
    StringBuilder md = new StringBuilder();
    md.append("Run of ").append(facts.date()).append(": `").append(facts.command()).append("`  \n");
    md.append("Machine: ").append(facts.cpus()).append(" CPUs (`nproc`), ").append(facts.jdk()).append("  \n");
    md.append("Settings: ").append(facts.settings()).append("\n\n");
    if (!measurements.isEmpty()) {
      latencyTable(md);
      comparisonTable(md);
      if (measurements.stream().anyMatch(m -> m.target().equals("cmcp-before"))) {
        beforeAfterTable(md);
      }
    }
    costs.sessions().ifPresent(sessions -> sessionsLine(md, sessions));
    if (!costs.claims().isEmpty()) {
      claimTable(md);
    }
    if (!policyCosts.isEmpty()) {
      policyTable(md);
    }
    if (!profile.isEmpty()) {
      md.append("Profile of cMCP under load (JFR samples):\n\n```\n");
      profile.forEach(line -> md.append(line).append('\n'));
      md.append("```\n");
    }
    return md.toString();
  }

  private void latencyTable(StringBuilder md) {
    md.append("| target | load | p50 ms | p99 ms | p99.9 ms | calls/s | calls | errors | dropped | CPU ms per call |\n");
    md.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (Measurement m : measurements) {
      Double cpu = costs.cpuMillisPerCall().get(pointKey(m.target(), m.load()));
      md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %.0f | %d | %d | %d | %s |%n",
          m.target(), m.load().label(), ms(m.millisAt(50)), ms(m.millisAt(99)), ms(m.millisAt(99.9)),
          m.throughput(), m.calls(), m.errors(), m.dropped(), cpu == null ? "-" : ms(cpu)));
    }
    List<String> failures = measurements.stream()
        .filter(m -> m.errors() > 0 && m.firstError().isPresent())
        .map(m -> m.target() + " " + m.load().label() + ": " + m.firstError().get())
        .toList();
    if (!failures.isEmpty()) {
      md.append("\nFirst error per point: ").append(String.join("; ", failures)).append('\n');
    }
    md.append('\n');
  }

  /**
   * Added latency is the target's p50 (or p99) minus the upstream alone at the same load; the
   * targets of issue 7 are added p50 at most a quarter of the proxy's and throughput at least 3x.
   */
  private void comparisonTable(StringBuilder md) {
    md.append("| load | cMCP added p50 ms | proxy added p50 ms | added p50 cMCP/proxy (target <= 0.25) "
        + "| cMCP added p99 ms | proxy added p99 ms | calls/s cMCP/proxy (target >= 3) | calls/s cMCP/direct | p50 cMCP/direct |\n");
    md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (Load load : loads()) {
      Optional<Measurement> direct = find("direct", load);
      Optional<Measurement> cmcp = find("cmcp", load);
      Optional<Measurement> proxy = find("proxy", load);
      double cmcpAdded50 = added(cmcp, direct, 50);
      double proxyAdded50 = added(proxy, direct, 50);
      md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |%n", load.label(),
          ms(cmcpAdded50), ms(proxyAdded50), ratio(cmcpAdded50 / proxyAdded50),
          ms(added(cmcp, direct, 99)), ms(added(proxy, direct, 99)),
          load instanceof Load.Closed ? ratio(throughput(cmcp) / throughput(proxy)) : "n/a (fixed rate)",
          load instanceof Load.Closed ? ratio(throughput(cmcp) / throughput(direct)) : "n/a (fixed rate)",
          ratio(cmcp.map(m -> m.millisAt(50)).orElse(Double.NaN) / direct.map(m -> m.millisAt(50)).orElse(Double.NaN))));
    }
    md.append('\n');
  }

  /** cMCP against an earlier build of itself ({@code --baseline}), measured turn about in the same run. */
  private void beforeAfterTable(StringBuilder md) {
    md.append("| load | cmcp-before p50 ms | cmcp p50 ms | cmcp-before calls/s | cmcp calls/s | calls/s cmcp/cmcp-before |\n");
    md.append("|---|---:|---:|---:|---:|---:|\n");
    for (Load load : loads()) {
      Optional<Measurement> before = find("cmcp-before", load);
      Optional<Measurement> after = find("cmcp", load);
      md.append(String.format(Locale.ROOT, "| %s | %s | %s | %.0f | %.0f | %s |%n", load.label(),
          ms(before.map(m -> m.millisAt(50)).orElse(Double.NaN)), ms(after.map(m -> m.millisAt(50)).orElse(Double.NaN)),
          throughput(before), throughput(after),
          load instanceof Load.Closed ? ratio(throughput(after) / throughput(before)) : "n/a (fixed rate)"));
    }
    md.append('\n');
  }

  /** Resident memory of a fresh gateway, ready and with the sessions open (nothing else running against it). */
  private static void sessionsLine(StringBuilder md, Footprint.Sessions sessions) {
    md.append(String.format(Locale.ROOT, "| sessions open | RSS ready MiB | RSS with the sessions MiB | KiB per session | errors |%n"));
    md.append("|---:|---:|---:|---:|---:|\n");
    double perSession = sessions.opened() == 0 ? Double.NaN
        : (double) (sessions.rssWithSessionsKib() - sessions.rssReadyKib()) / sessions.opened();
    md.append(String.format(Locale.ROOT, "| %,d of %,d | %d | %d | %s | %d |%n%n", sessions.opened(), sessions.asked(),
        sessions.rssReadyKib() / 1024, sessions.rssWithSessionsKib() / 1024,
        Double.isNaN(perSession) ? "-" : String.format(Locale.ROOT, "%.1f", perSession), sessions.errors()));
  }

  /** Claim issuance per attestation provider; a provider not measured says why. */
  private void claimTable(StringBuilder md) {
    md.append("| attestation provider | claim p50 ms | claim p99 ms | claims |\n");
    md.append("|---|---:|---:|---:|\n");
    for (Footprint.ClaimCost cost : costs.claims()) {
      if (cost.millis().isEmpty()) {
        md.append("| ").append(cost.provider()).append(" | - | - | 0 |\n");
      } else {
        md.append(String.format(Locale.ROOT, "| %s | %s | %s | %d |%n", cost.provider(), ms(cost.percentile(50)),
            ms(cost.percentile(99)), cost.millis().size()));
      }
    }
    List<String> unmeasured = costs.claims().stream().filter(c -> c.millis().isEmpty()).map(c -> c.provider() + ": " + c.why()).toList();
    if (!unmeasured.isEmpty()) {
      md.append("\n").append(String.join("  \n", unmeasured)).append('\n');
    }
    md.append('\n');
  }

  private void policyTable(StringBuilder md) {
    md.append("| policies | engine | decide p50 us | decide p99 us | samples | p50 / same engine's p50 at smallest (target at 10,000: <= 2) |\n");
    md.append("|---:|---|---:|---:|---:|---:|\n");
    for (PolicyBench.PolicyCost cost : policyCosts) {
      double smallest = policyCosts.stream().filter(c -> c.engine().equals(cost.engine()))
          .mapToDouble(PolicyBench.PolicyCost::p50Micros).findFirst().orElse(cost.p50Micros());
      md.append(String.format(Locale.ROOT, "| %,d | %s | %.1f | %.1f | %d | %s |%n", cost.policies(), cost.engine(),
          cost.p50Micros(), cost.p99Micros(), cost.samples(), ratio(cost.p50Micros() / smallest)));
    }
    md.append('\n');
  }

  /** Replaces the marked section of {@code file} (appending one when there is none). */
  void writeInto(Path file) throws IOException {
    String section = BEGIN + "\n" + markdown() + END;
    String text = Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
    int begin = text.indexOf(BEGIN);
    int end = text.indexOf(END);
    String updated = begin >= 0 && end > begin
        ? text.substring(0, begin) + section + text.substring(end + END.length())
        : text + (text.isEmpty() || text.endsWith("\n") ? "" : "\n") + "\n" + section + "\n";
    Files.writeString(file, updated, StandardCharsets.UTF_8);
  }

  private List<Load> loads() {
    List<Load> loads = new ArrayList<>();
    measurements.stream().map(Measurement::load).filter(load -> !loads.contains(load)).forEach(loads::add);
    return loads;
  }

  private Optional<Measurement> find(String target, Load load) {
    return measurements.stream().filter(m -> m.target().equals(target) && m.load().equals(load)).findFirst();
  }

  private static double added(Optional<Measurement> target, Optional<Measurement> direct, double percentile) {
    if (target.isEmpty() || direct.isEmpty()) {
      return Double.NaN;
    }
    return target.get().millisAt(percentile) - direct.get().millisAt(percentile);
  }

  private static double throughput(Optional<Measurement> m) {
    return m.map(Measurement::throughput).orElse(Double.NaN);
  }

  private static String ms(double millis) {
    return Double.isNaN(millis) ? "-" : String.format(Locale.ROOT, "%.3f", millis);
  }

  private static String ratio(double value) {
    return Double.isNaN(value) || Double.isInfinite(value) ? "-" : String.format(Locale.ROOT, "%.2f", value);
  }
}
