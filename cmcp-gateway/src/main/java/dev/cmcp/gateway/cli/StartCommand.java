package dev.cmcp.gateway.cli;

import dev.cmcp.gateway.Gateway;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "start", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    description = "Start the gateway and serve MCP at /mcp until stopped (SIGTERM or Ctrl-C).")
final class StartCommand implements Callable<Integer> {

  private static final CountDownLatch SERVING = new CountDownLatch(1);

  @Option(names = "--config", required = true, paramLabel = "PATH", description = "cmcp-config.yaml")
  Path config;

  /** Whether a gateway was started by this process; main() then must not exit. */
  static boolean isServing() {
    return SERVING.getCount() == 0;
  }

  @Override
  public Integer call() {
    Gateway gateway;
    try {
      gateway = Gateway.start(config, System.getenv(), System.out);
    } catch (Gateway.StartupException e) {
      System.err.println("cmcp: cannot start: " + e.getMessage());
      return Main.INVALID_INPUT;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(gateway::close, "cmcp-shutdown"));
    SERVING.countDown();
    return Main.OK;
  }
}
