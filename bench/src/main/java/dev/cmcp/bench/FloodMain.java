package dev.cmcp.bench;

import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./cmcp-dev flood}: the attacks of issue 16 against {@code ./cmcp start}, with a probe agent's latencies. */
@Command(name = "flood", mixinStandardHelpOptions = true,
    description = "Runs each flood (big argument arrays, slow bodies, initialize flood, held sessions, stuck upstream) "
        + "against ./cmcp on loopback while a probe agent calls echo, and prints what the probe saw.")
public final class FloodMain implements Callable<Integer> {

  @Option(names = "--phase-seconds", defaultValue = "15", description = "Seconds per attack (default: ${DEFAULT-VALUE}).")
  int phaseSeconds;

  @Option(names = "--upstream-timeout", defaultValue = "5",
      description = "The gateway's upstream_timeout_seconds, which ends each stuck call (default: ${DEFAULT-VALUE}).")
  int upstreamTimeout;

  @Option(names = "--quick", description = "The small attacks of the default tests, 1 s each.")
  boolean quick;

  @Option(names = "--repo", defaultValue = ".", description = "The repository root (default: the current folder).")
  Path repo;

  public static void main(String[] args) {
    System.exit(new CommandLine(new FloodMain()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    Path work = Files.createTempDirectory("cmcp-flood-");
    out.println("cmcp-dev flood: logs and the gateway's files in " + work);
    try (EchoUpstream upstream = EchoUpstream.start(0)) {
      Path config = CmcpDeployment.write(Files.createDirectories(work.resolve("cmcp")), upstream.url(), 100, "enforcing", false);
      Files.writeString(config, "upstream_timeout_seconds: " + upstreamTimeout + "\n", StandardOpenOption.APPEND);
      ManagedProcess.Started cmcp = ManagedProcess.start("cMCP gateway",
          List.of(repo.resolve("cmcp").toAbsolutePath().toString(), "start", "--config", config.toString()),
          Map.of("CMCP_DEV_MODE", "1", "CMCP_SKIP_BUILD", "1"), work.resolve("cmcp.log"),
          Pattern.compile("listening on (\\S+):(\\d+)"), Duration.ofSeconds(90));
      ManagedProcess gateway = cmcp.process();
      try {
        Target target = new Target("cmcp", URI.create("http://127.0.0.1:" + cmcp.ready().group(2) + "/mcp"), CmcpDeployment.ECHO_TOOL);
        Flood.Settings settings = quick ? Flood.Settings.quick() : Flood.Settings.full(Duration.ofSeconds(phaseSeconds));
        out.println("cmcp-dev flood: " + settings + "; gateway pid " + gateway.pid() + ", upstream_timeout_seconds " + upstreamTimeout);
        List<Flood.Phase> phases = new Flood(target, settings, new Flood.ProcMeter(gateway.pid())).run();
        out.println();
        out.println(Flood.table(phases));
      } finally {
        gateway.close();
      }
    }
    return 0;
  }
}
