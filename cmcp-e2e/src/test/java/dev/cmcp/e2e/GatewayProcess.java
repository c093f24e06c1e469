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

/** {@code ./cmcp start} run as a user runs it: a separate process, found ready by its startup line. */
final class GatewayProcess implements AutoCloseable {

  private static final Pattern LISTENING = Pattern.compile("\\[cmcp\\] listening on (\\S+):(\\d+)");

  private final Process process;
  private final List<String> output = Collections.synchronizedList(new ArrayList<>());
  private final int port;

  private GatewayProcess(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  static GatewayProcess start(Path config, Map<String, String> extraEnv) throws IOException, InterruptedException {
    ProcessBuilder builder = new ProcessBuilder(Repo.root().resolve("cmcp").toString(), "start", "--config", config.toString());
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
      GatewayProcess gateway = new GatewayProcess(process, port);
      gateway.output.addAll(lines);
      return gateway;
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

  boolean isAlive() {
    return process.isAlive();
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
