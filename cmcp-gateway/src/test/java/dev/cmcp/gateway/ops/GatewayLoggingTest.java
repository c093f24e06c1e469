package dev.cmcp.gateway.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cmcp.gateway.config.LogFormat;
import dev.cmcp.gateway.config.LogLevel;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class GatewayLoggingTest {

  private final PrintStream stderr = System.err;

  @AfterEach
  void restore() {
    System.setErr(stderr);
    GatewayLogging.install(GatewayLogging.defaultFormat(), LogLevel.INFO);
  }

  @Test
  void debugOpensTheGatewaysLoggersButNotTheLibraries() {
    GatewayLogging.install(LogFormat.JSON, LogLevel.DEBUG);

    assertThat(System.getLogger("cmcp.policy").isLoggable(Level.DEBUG)).isTrue();
    assertThat(System.getLogger("dev.cmcp.gateway.upstream.StdioConnection").isLoggable(Level.DEBUG)).isTrue();
    assertThat(System.getLogger("com.fizzed.jne.JNE").isLoggable(Level.DEBUG)).isFalse();
    assertThat(System.getLogger("org.eclipse.jetty.server.Server").isLoggable(Level.INFO)).isFalse();
    assertThat(System.getLogger("org.eclipse.jetty.server.Server").isLoggable(Level.WARNING)).isTrue();
  }

  @Test
  void everyLoggerWritesOneLinePerRecordToStandardError() {
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    GatewayLogging.install(LogFormat.TEXT, LogLevel.WARNING);

    System.getLogger("cmcp.test").log(Level.INFO, "not written");
    System.getLogger("cmcp.test").log(Level.WARNING, "written", LogField.of("request_id", "r-1"));
    // Jetty's records arrive through SLF4J and slf4j-jdk14.
    org.slf4j.LoggerFactory.getLogger("org.eclipse.jetty.test").warn("from jetty");

    String lines = captured.toString(StandardCharsets.UTF_8);
    assertThat(lines).doesNotContain("not written");
    assertThat(lines).containsPattern("(?m)^\\S+ WARN cmcp.test: written request_id=r-1$");
    assertThat(lines).containsPattern("(?m)^\\S+ WARN org.eclipse.jetty.test: from jetty$");
  }
}
