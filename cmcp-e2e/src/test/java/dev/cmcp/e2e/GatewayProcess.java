package dev.cmcp.e2e;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** {@code ./cmcp start} run as a user runs it: a separate process, found ready by its startup line. */
final class GatewayProcess implements AutoCloseable {

  private static final Pattern LISTENING = Pattern.compile("listening on (\\S+):(\\d+)");

  private final Process process;
  private final List<String> output;
  private final int port;

  private GatewayProcess(Process process, int port, List<String> output) {
    this.process = process;
    this.port = port;
    this.output = output;
  }

  static GatewayProcess start(Path config, Map<String, String> extraEnv) throws IOException, InterruptedException {
    return start(List.of(Repo.root().resolve("cmcp").toString(), "start", "--config", config.toString()), extraEnv);
  }

  /** A shell command line that starts the gateway (a documented one), run in {@code directory}. */
  static GatewayProcess startShell(String commandLine, Path directory) throws IOException, InterruptedException {
    return start(List.of("bash", "-c", commandLine), Map.of(), directory);
  }

  private static GatewayProcess start(List<String> command, Map<String, String> extraEnv) throws IOException, InterruptedException {
    return start(command, extraEnv, null);
  }

  private static GatewayProcess start(List<String> command, Map<String, String> extraEnv, Path directory)
      throws IOException, InterruptedException {
    ProcessBuilder builder = new ProcessBuilder(command);
    if (directory != null) {
      builder.directory(directory.toFile());
    }
    builder.environment().put("CMCP_SKIP_BUILD", "1");
    builder.environment().putAll(extraEnv);
    builder.redirectErrorStream(true);
    Process process = builder.start();
    List<String> lines = Collections.synchronizedList(new ArrayList<>());
    CompletableFuture<Integer> ready = new CompletableFuture<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = out.readLine()) != null; ) {
          lines.add(line);
          Matcher m = LISTENING.matcher(line);
          if (m.find()) {
            ready.complete(Integer.parseInt(m.group(2)));
          }
        }
      } catch (IOException e) {
        // The process ended; whatever it printed is in lines.
      }
      ready.completeExceptionally(new IllegalStateException("gateway exited before listening:\n" + String.join("\n", lines)));
    }, "gateway-output");
    reader.setDaemon(true);
    reader.start();
    try {
      int port = ready.get(60, TimeUnit.SECONDS);
      return new GatewayProcess(process, port, lines);
    } catch (Exception e) {
      process.destroyForcibly();
      throw new IllegalStateException("gateway did not start: " + e.getMessage() + "\n" + String.join("\n", lines), e);
    }
  }

  int port() {
    return port;
  }

  String baseUrl() {
    return "http://127.0.0.1:" + port;
  }

  /**
   * From now on, no file the gateway writes may grow beyond {@code bytes} ({@code prlimit --fsize}):
   * the kernel fails a write past it with EFBIG, as a full file system fails it with ENOSPC,
   * without root or a small file system. Set after start, which unpacks native libraries.
   */
  void limitFileSize(long bytes) throws IOException, InterruptedException {
    Process prlimit = new ProcessBuilder("prlimit", "--pid", Long.toString(process.pid()), "--fsize=" + bytes)
        .redirectErrorStream(true).start();
    String said = new String(prlimit.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (prlimit.waitFor() != 0) {
      throw new IllegalStateException("prlimit failed: " + said);
    }
  }

  /** Everything the gateway has printed so far, stdout and stderr. */
  String output() {
    synchronized (output) {
      return String.join("\n", output);
    }
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /**
   * SIGTERM to the gateway's JVM alone, as Ctrl-C in its terminal: its shutdown hook stops the
   * upstreams itself. (The process may be a shell that started it.)
   */
  void interrupt() {
    Stream.concat(Stream.of(process.toHandle()), process.descendants())
        .filter(p -> p.info().commandLine().orElse("").contains("cmcp.jar"))
        .forEach(ProcessHandle::destroy);
  }

  /** SIGKILL, as a crash or an OOM killer would: no shutdown hook runs. */
  void kill() throws InterruptedException {
    List<ProcessHandle> children = process.descendants().toList();
    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    children.forEach(ProcessHandle::destroyForcibly);
  }

  @Override
  public void close() throws InterruptedException {
    process.descendants().forEach(ProcessHandle::destroy);
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }
}
