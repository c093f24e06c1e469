package dev.cmcp.gateway.cli;

import dev.cmcp.gateway.Gateway;
import dev.cmcp.gateway.ops.GatewayLogging;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.logging.LogRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "start", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    description = {"Start the gateway and serve MCP at /mcp until stopped (SIGTERM or Ctrl-C).",
        "Start-up lines and logs go to stderr, one format for all: text on a terminal, JSON otherwise (log_format)."})
final class StartCommand implements Callable<Integer> {

  private static final CountDownLatch SERVING = new CountDownLatch(1);
  /** The start-up lines: what the gateway committed to before serving, as log records like any other. */
  private static final Logger START = System.getLogger("cmcp.start");

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
      gateway = Gateway.start(config, System.getenv(), line -> START.log(Level.INFO, line));
    } catch (Gateway.StartupException e) {
      START.log(Level.ERROR, "cannot start: " + e.getMessage());
      return Main.INVALID_INPUT;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(gateway), "cmcp-shutdown"));
    SERVING.countDown();
    return Main.OK;
  }

  /**
   * Stops the gateway and says what the stop did. The lines are written to stderr directly, in the
   * log's format: java.util.logging closes its handlers in a shutdown hook of its own, which may
   * run before this one, and a record logged after that is lost.
   */
  private static void stop(Gateway gateway) {
    java.util.logging.Formatter format = GatewayLogging.lineFormatter(gateway.logFormat());
    for (String line : gateway.stop().lines()) {
      LogRecord record = new LogRecord(java.util.logging.Level.INFO, line);
      record.setLoggerName("cmcp.stop");
      System.err.print(format.format(record));
    }
    System.err.flush();
  }
}
