package dev.cmcp.gateway.ops;

import dev.cmcp.gateway.config.LogFormat;
import dev.cmcp.gateway.config.LogLevel;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;

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
    String gateway = julLevel(level).getName();
    // DEBUG is for the gateway's own records: libraries' debug output (native loading, the JDK's
    // process launches) would bury them.
    String libraries = level == LogLevel.DEBUG ? Level.INFO.getName() : gateway;
    String properties = ".level=" + libraries + "\n"
        + "cmcp.level=" + gateway + "\n"
        + "dev.cmcp.level=" + gateway + "\n"
        // Jetty's own INFO lines repeat what the gateway prints at start; its warnings are kept.
        + "org.eclipse.jetty.level=" + (level == LogLevel.ERROR ? gateway : Level.WARNING.getName()) + "\n";
    LogManager manager = LogManager.getLogManager();
    try {
      manager.readConfiguration(new ByteArrayInputStream(properties.getBytes(StandardCharsets.UTF_8)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Handler handler = new StandardErrorHandler();
    handler.setFormatter(new LogLineFormatter(format));
    handler.setLevel(Level.ALL);
    manager.getLogger("").addHandler(handler);
  }

  /** Without log_format, the format for this process's stderr. */
  public static LogFormat defaultFormat() {
    // System.console() is null unless the process has a terminal.
    return LogFormat.forOutput(System.console() != null);
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
