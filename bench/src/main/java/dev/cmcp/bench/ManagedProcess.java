package dev.cmcp.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A server the benchmark starts (upstream, gateway, proxy): its output goes to a log file, which
 * is read for the line that says it is ready. Closing stops it and every process it started.
 */
// close() waits for the processes to exit; an interrupt while it waits must reach the caller.
@SuppressWarnings("try")
final class ManagedProcess implements AutoCloseable {

  private final String name;
  private final Process process;
  private final Path log;

  private ManagedProcess(String name, Process process, Path log) {
    this.name = name;
    this.process = process;
    this.log = log;
  }

  /**
   * Starts {@code command} and waits until its output matches {@code ready}; returns the process
   * and the match, whose groups say what the server chose (a port).
   */
  static Started start(String name, List<String> command, Map<String, String> env, Path log, Pattern ready, Duration patience)
      throws IOException, InterruptedException {
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().putAll(env);
    ManagedProcess started = new ManagedProcess(name, builder.start(), log);
    long deadline = System.nanoTime() + patience.toNanos();
    while (System.nanoTime() < deadline) {
      Matcher matcher = ready.matcher(Files.readString(log, StandardCharsets.UTF_8));
      if (matcher.find()) {
        return new Started(started, matcher);
      }
      if (!started.process.isAlive()) {
        break;
      }
      Thread.sleep(100);
    }
    boolean exited = !started.process.isAlive();
    started.close();
    throw new IOException(name + (exited ? " exited before it was ready" : " was not ready within " + patience.toSeconds() + " s")
        + "; its output (" + log + "):\n" + tail(log));
  }

  record Started(ManagedProcess process, Matcher ready) {}

  long pid() {
    return process.pid();
  }

  String name() {
    return name;
  }

  Path log() {
    return log;
  }

  @Override
  public void close() throws InterruptedException {
    List<ProcessHandle> children = process.descendants().toList();
    process.destroy();
    children.forEach(ProcessHandle::destroy);
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    children.forEach(ProcessHandle::destroyForcibly);
  }

  private static String tail(Path log) throws IOException {
    List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
  }
}
