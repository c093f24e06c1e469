package dev.cmcp.gateway.ops;

import dev.cmcp.gateway.config.LogFormat;
import dev.cmcp.gateway.config.LogLevel;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Sends every log record of the process to stderr, one line each, in one format. The gateway
 * logs through {@link System.Logger}, which the JDK backs with java.util.logging, and Jetty logs
 * through SLF4J, which slf4j-jdk14 hands to java.util.logging too; so configuring that one
 * backend here covers them all, with no logging library of our own.
 */
public final class GatewayLogging {

  private GatewayLogging() {}

  /** Replaces whatever handled records before; may be called again once the config is read. */
  public static void install(LogFormat format, LogLevel level) {
    Level gateway = julLevel(level);
    Map<String, Level> levels = new LinkedHashMap<>();
    // DEBUG is for the gateway's own records: libraries' debug output (native loading, the JDK's
    // process launches) would bury them.
    levels.put("", level == LogLevel.DEBUG ? Level.INFO : gateway);
    levels.put("cmcp", gateway);
    levels.put("dev.cmcp", gateway);
    // Jetty's own INFO lines repeat what the gateway prints at start; its warnings are kept.
    levels.put("org.eclipse.jetty", level == LogLevel.ERROR ? gateway : Level.WARNING);
    StringBuilder properties = new StringBuilder();
    levels.forEach((logger, value) -> properties.append(logger).append(".level=").append(value.getName()).append('\n'));
    LogManager manager = LogManager.getLogManager();
    try {
      // The properties give loggers made from now on their level...
      manager.readConfiguration(new ByteArrayInputStream(properties.toString().getBytes(StandardCharsets.UTF_8)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    // ...and this gives it to those that exist: a logger made before, under other properties, has
    // no parent "cmcp" until one is made, which makes it their parent.
    levels.forEach((logger, value) -> Logger.getLogger(logger).setLevel(value));
    Handler handler = new StandardErrorHandler();
    handler.setFormatter(new LogLineFormatter(format));
    handler.setLevel(Level.ALL);
    manager.getLogger("").addHandler(handler);
  }

  /** How the gateway writes one record as one line; for tests that capture records themselves. */
  public static java.util.logging.Formatter lineFormatter(LogFormat format) {
    return new LogLineFormatter(format);
  }

  /**
   * Without log_format, the format for this process's stderr: text when the launcher says stderr
   * is a terminal ({@code -Dcmcp.stderr.terminal=true}, which {@code ./cmcp} sets from {@code [ -t 2 ]}),
   * JSON otherwise, as under a container runtime or a service manager. Java cannot tell by itself:
   * System.console() speaks of stdin and stdout, and since JDK 22 is never null.
   */
  public static LogFormat defaultFormat() {
    return LogFormat.forOutput(Boolean.getBoolean("cmcp.stderr.terminal"));
  }

  static Level julLevel(LogLevel level) {
    return switch (level) {
      case DEBUG -> Level.FINE;
      case INFO -> Level.INFO;
      case WARNING -> Level.WARNING;
      case ERROR -> Level.SEVERE;
    };
  }

  /**
   * Writes each line with one call on whatever {@code System.err} is at that moment, so that
   * lines of concurrent records never interleave.
   */
  private static final class StandardErrorHandler extends Handler {
    @Override
    public void publish(LogRecord record) {
      if (!isLoggable(record)) {
        return;
      }
      System.err.print(getFormatter().format(record));
    }

    @Override
    public void flush() {
      System.err.flush();
    }

    @Override
    public void close() {
      flush();
    }
  }
}
