package dev.cmcp.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./cmcp-dev bench}: the side-by-side load test (upstream alone, cMCP, npm proxy) and the
 * policy engine micro-benchmark, printed and written into docs/testing/.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Benchmark cMCP against its upstream alone and against the npm mcp-proxy, and the policy engine by bundle size.")
public final class BenchMain implements Callable<Integer> {

  @Option(names = "--targets", split = ",", defaultValue = "direct,cmcp,proxy",
      description = "Targets to load: direct, cmcp, cmcp-tls (cMCP over HTTPS, tls.mode generate, the client pinning the key it printed), proxy (default: ${DEFAULT-VALUE}).")
  List<String> targets;

  @Option(names = "--concurrency", split = ",", defaultValue = "1,16,64", description = "Closed-loop concurrencies (default: ${DEFAULT-VALUE}).")
  List<Integer> concurrency;

  @Option(names = "--open-rate", defaultValue = "200", description = "Open-loop calls per second; 0 skips it (default: ${DEFAULT-VALUE}).")
  int openRate;

  @Option(names = "--warmup", defaultValue = "10", description = "Warm-up seconds per point (default: ${DEFAULT-VALUE}).")
  int warmupSeconds;

  @Option(names = "--duration", defaultValue = "20", description = "Measured seconds per point (default: ${DEFAULT-VALUE}).")
  int durationSeconds;

  @Option(names = "--max-calls", defaultValue = "2000000", description = "Hard cap on calls per point (default: ${DEFAULT-VALUE}).")
  long maxCalls;

  @Option(names = "--max-in-flight", defaultValue = "512", description = "Open loop: outstanding calls before more are dropped (default: ${DEFAULT-VALUE}).")
  int maxInFlight;

  @Option(names = "--upstream", defaultValue = "java", description = "The shared upstream: java (the bench's echo server) or everything (server-everything; slower).")
  Servers.Upstream upstream;

  @Option(names = "--policies", defaultValue = "100", description = "Policies in cMCP's bundle (default: ${DEFAULT-VALUE}).")
  int policies;

  @Option(names = "--cmcp-mode", defaultValue = "enforcing", description = "cMCP's enforcement_mode; silent (no audit log, no call logging) is for diagnosis only (default: ${DEFAULT-VALUE}).")
  String cmcpMode;

  @Option(names = "--policy-sizes", split = ",", defaultValue = "10,100,1000,10000", description = "Bundle sizes for the policy micro-benchmark (default: ${DEFAULT-VALUE}).")
  List<Integer> policySizes;

  @Option(names = "--baseline", description = "A built checkout of an earlier cMCP (path); it runs as target cmcp-before, taking its turn just before cmcp.")
  Path baseline;

  @Option(names = "--policy-engines", split = ",", defaultValue = "cached,sliced,whole", description = "Policy engines to measure: cached (as the gateway builds it: slices and the decision cache), sliced (slices, Cedar asked on every call), whole (every policy on every call) (default: ${DEFAULT-VALUE}).")
  List<String> policyEngines;

  @Option(names = "--sessions", defaultValue = "10000", description = "Sessions a fresh gateway holds open for its RSS, alone after the load test; 0 skips it (default: ${DEFAULT-VALUE}).")
  int sessions;

  @Option(names = "--claims", defaultValue = "50", description = "Claims fetched per attestation provider (software-only, tpm over swtpm), each from a gateway of its own; 0 skips it (default: ${DEFAULT-VALUE}).")
  int claims;

  @Option(names = "--jmh-seconds", defaultValue = "2", description = "Seconds per JMH iteration (default: ${DEFAULT-VALUE}).")
  int jmhSeconds;

  @Option(names = "--jmh-iterations", defaultValue = "3", description = "JMH measured iterations; as many warm-up ones (default: ${DEFAULT-VALUE}).")
  int jmhIterations;

  @Option(names = "--skip-load", description = "Only the policy micro-benchmark.")
  boolean skipLoad;

  @Option(names = "--skip-policy", description = "Only the load test.")
  boolean skipPolicy;

  @Option(names = "--profile", description = "After cMCP's points, record one more at the highest concurrency with JFR and list the top costs.")
  boolean profile;

  @Option(names = "--out", defaultValue = "docs/testing", description = "Folder of benchmarks.md and bench-latency.png (default: ${DEFAULT-VALUE}).")
  Path out;

  @Option(names = "--no-write", description = "Print the results only.")
  boolean noWrite;

  @Option(names = "--repo", defaultValue = ".", description = "The repository root (default: the current folder).")
  Path repo;

  private final PrintStream progress = System.err;
  /** The process of each target that is one (cMCP, the proxy), for its CPU and memory. */
  private final Map<String, Long> pids = new java.util.HashMap<>();
  /** The load generator of each target that needs its own client (cmcp-tls: one that trusts the gateway's key). */
  private final Map<String, LoadGenerator> ownGenerators = new java.util.HashMap<>();
  /** Each point's process CPU per call, by {@link Report#pointKey}. */
  private final Map<String, Double> cpuPerCall = new java.util.HashMap<>();
  private java.util.Optional<Footprint.Sessions> sessionFootprint = java.util.Optional.empty();
  private List<Footprint.ClaimCost> claimCosts = List.of();

  public static void main(String[] args) {
    System.exit(new CommandLine(new BenchMain()).setCaseInsensitiveEnumValuesAllowed(true).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    Path root = repo.toAbsolutePath().normalize();
    double loadBefore = loadAverage();
    Path work = Files.createTempDirectory("cmcp-bench-");
    progress.println("bench: logs and the gateway's files in " + work);
    List<Measurement> measurements = new ArrayList<>();
    List<String> profileSummary = new ArrayList<>();
    String fsync = FsyncProbe.measure(work, 200);
    progress.println("bench: " + fsync);
    if (!skipLoad) {
      loadTest(root, work, measurements, profileSummary);
    }
    List<PolicyBench.PolicyCost> policyCosts = skipPolicy
        ? List.of() : PolicyBench.run(policySizes, policyEngines, jmhSeconds, jmhIterations, jmhIterations);
    Report report = new Report(facts(loadBefore, loadAverage(), fsync), measurements,
        new Report.Costs(cpuPerCall, sessionFootprint, claimCosts), policyCosts, profileSummary);
    System.out.println(report.markdown());
    if (!noWrite) {
      Path folder = Files.createDirectories(root.resolve(out));
      report.writeInto(folder.resolve("benchmarks.md"));
      if (!measurements.isEmpty()) {
        LatencyChart.write(measurements, "MCP tools/call, " + Runtime.getRuntime().availableProcessors()
            + " CPUs, upstream " + upstreamName() + ": direct vs cMCP vs mcp-proxy", folder.resolve("bench-latency.png"));
      }
      progress.println("bench: wrote " + folder.resolve("benchmarks.md") + " and bench-latency.png");
    }
    return 0;
  }

  private void loadTest(Path root, Path work, List<Measurement> measurements, List<String> profileSummary)
      throws Exception {
    List<Load> loads = new ArrayList<>();
    concurrency.forEach(c -> loads.add(new Load.Closed(c)));
    if (openRate > 0) {
      loads.add(new Load.Open(openRate));
    }
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    LoadGenerator generator = new LoadGenerator(
        http, Duration.ofSeconds(warmupSeconds), Duration.ofSeconds(durationSeconds), maxInFlight, maxCalls);
    Servers servers = new Servers(root, work);
    List<ManagedProcess> running = new ArrayList<>();
    List<Target> started = new ArrayList<>();
    try {
      ManagedProcess.Started upstreamServer = servers.upstream(upstream);
      running.add(upstreamServer.process());
      URI upstreamUrl = Servers.upstreamUrl(upstream, upstreamServer);
      // direct's CPU per call is the upstream's own: what any target costs it.
      pids.put("direct", upstreamServer.process().pid());
      // All targets run at once (idle, they cost next to nothing) and take turns at each load, so
      // the figures compared with each other were measured minutes apart at most.
      ManagedProcess gatewayProcess = null;
      for (String target : targets) {
        switch (target) {
          case "direct" -> started.add(new Target("direct", upstreamUrl, "echo"));
          case "cmcp" -> {
            if (baseline != null) {
              ManagedProcess.Started before = servers.cmcp("cmcp-before", baseline.toAbsolutePath(), upstreamUrl, policies, cmcpMode, false);
              running.add(before.process());
              pids.put("cmcp-before", before.process().pid());
              started.add(new Target("cmcp-before", URI.create("http://127.0.0.1:" + before.ready().group(2) + "/mcp"),
                  CmcpDeployment.ECHO_TOOL));
            }
            ManagedProcess.Started gateway = servers.cmcp(upstreamUrl, policies, cmcpMode);
            gatewayProcess = gateway.process();
            running.add(gatewayProcess);
            pids.put("cmcp", gatewayProcess.pid());
            started.add(new Target("cmcp", URI.create("http://127.0.0.1:" + gateway.ready().group(2) + "/mcp"),
                CmcpDeployment.ECHO_TOOL));
          }
          case "cmcp-tls" -> {
            ManagedProcess.Started gateway = servers.cmcpTls(upstreamUrl, policies, cmcpMode);
            running.add(gateway.process());
            pids.put("cmcp-tls", gateway.process().pid());
            HttpClient https = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .sslContext(PinnedKeyTls.context(PinnedKeyTls.printedKey(gateway.process().log()))).build();
            ownGenerators.put("cmcp-tls", new LoadGenerator(
                https, Duration.ofSeconds(warmupSeconds), Duration.ofSeconds(durationSeconds), maxInFlight, maxCalls));
            started.add(new Target("cmcp-tls", URI.create("https://127.0.0.1:" + gateway.ready().group(2) + "/mcp"),
                CmcpDeployment.ECHO_TOOL));
          }
          case "proxy" -> {
            ManagedProcess.Started proxy = servers.proxy(upstreamUrl);
            running.add(proxy.process());
            pids.put("proxy", proxy.process().pid());
            started.add(new Target("proxy", URI.create("http://127.0.0.1:" + proxy.ready().group(1) + "/mcp"), "echo"));
          }
          default -> throw new CommandLine.ParameterException(new CommandLine(this),
              "--targets: unknown target " + target + "; use direct, cmcp, cmcp-tls or proxy");
        }
      }
      for (Load load : loads) {
        for (Target target : started) {
          measurements.add(measure(generator, target, load));
        }
      }
      if (profile && gatewayProcess != null) {
        Target cmcp = started.stream().filter(t -> t.name().equals("cmcp")).findFirst().orElseThrow();
        profileSummary.addAll(profile(http, cmcp, gatewayProcess, work));
      }
      // Each on a gateway of its own, after the load points: nothing else is sent meanwhile.
      Footprint footprint = new Footprint(servers, upstreamUrl, work, progress);
      if (sessions > 0) {
        sessionFootprint = java.util.Optional.of(footprint.sessions(sessions));
      }
      if (claims > 0) {
        claimCosts = footprint.claims(claims);
      }
    } finally {
      for (ManagedProcess process : running.reversed()) {
        process.close();
      }
    }
    List<String> order = started.stream().map(Target::name).toList();
    measurements.sort(java.util.Comparator.comparingInt(m -> order.indexOf(m.target())));
  }

  private Measurement measure(LoadGenerator generator, Target target, Load load) throws IOException, InterruptedException {
    progress.printf(Locale.ROOT, "bench: %s %s (%d s warm-up, %d s measured)...%n",
        target.name(), load.label(), warmupSeconds, durationSeconds);
    Flood.ProcMeter meter = pids.containsKey(target.name()) ? new Flood.ProcMeter(pids.get(target.name())) : null;
    long cpuBefore = meter == null ? -1 : meter.cpuMillis();
    Measurement m = ownGenerators.getOrDefault(target.name(), generator).run(target, load);
    // The process's CPU over warm-up and measured window, per call at the measured rate: the
    // target's own cost (the proxy's stdio child is a process of its own and not counted).
    String cpu = "";
    if (meter != null && cpuBefore >= 0 && m.throughput() > 0) {
      double calls = m.throughput() * (warmupSeconds + durationSeconds);
      double perCall = (meter.cpuMillis() - cpuBefore) / calls;
      cpuPerCall.put(Report.pointKey(target.name(), load), perCall);
      cpu = String.format(Locale.ROOT, ", CPU %.3f ms per call, RSS %d MiB", perCall, meter.rssKib() / 1024);
    }
    progress.printf(Locale.ROOT, "bench: %s %s: p50 %.3f ms, p99 %.3f ms, p99.9 %.3f ms, %.0f calls/s, %d errors%s, "
            + "load average %.2f%s%n",
        m.target(), load.label(), m.millisAt(50), m.millisAt(99), m.millisAt(99.9), m.throughput(), m.errors(), cpu, loadAverage(),
        m.firstError().map(e -> " (first: " + e + ")").orElse(""));
    return m;
  }

  /** One more point on the warm gateway while JFR records; its figures are not reported (JFR costs a little). */
  private List<String> profile(HttpClient http, Target cmcp, ManagedProcess gateway, Path work) throws Exception {
    int highest = concurrency.stream().max(Integer::compare).orElse(16);
    progress.printf(Locale.ROOT, "bench: profiling cMCP at c=%d for %d s with JFR...%n", highest, durationSeconds);
    FlightRecording recording = FlightRecording.start(gateway.pid(), work.resolve("cmcp.jfr"));
    new LoadGenerator(http, Duration.ZERO, Duration.ofSeconds(durationSeconds), maxInFlight, maxCalls)
        .run(cmcp, new Load.Closed(highest));
    List<String> summary = new ArrayList<>();
    summary.add("cMCP at c=" + highest + ", " + durationSeconds + " s, JFR settings=profile (" + work.resolve("cmcp.jfr") + ")");
    summary.addAll(recording.stopAndSummarise(15));
    return summary;
  }

  private String upstreamName() {
    return upstream.name().toLowerCase(Locale.ROOT);
  }

  /** The machine's 1-minute load average: other work on the same cores skews every figure. */
  private static double loadAverage() {
    return java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
  }

  private Report.RunFacts facts(double loadBefore, double loadAfter, String fsync) {
    String command = System.getProperty("bench.command", "java dev.cmcp.bench.BenchMain");
    String jdk = System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version");
    String settings = String.format(Locale.ROOT,
        "load average %.2f before, %.2f after; %d s warm-up + %d s measured per point; closed loop at %s; open loop at %s; upstream %s; cMCP %s with a bundle of %d policies; "
            + "RSS with %s sessions; %s claims per attestation provider; JMH %d+%d iterations of %d s, 1 fork",
        loadBefore, loadAfter, warmupSeconds, durationSeconds, concurrency, openRate > 0 ? openRate + " calls/s" : "off", upstreamName(),
        cmcpMode, policies, sessions > 0 ? String.format(Locale.ROOT, "%,d", sessions) : "no", claims > 0 ? Integer.toString(claims) : "no",
        jmhIterations, jmhIterations, jmhSeconds);
    return new Report.RunFacts(command, LocalDate.now(ZoneOffset.UTC).toString(), Runtime.getRuntime().availableProcessors(),
        jdk + "; " + fsync, settings);
  }
}
