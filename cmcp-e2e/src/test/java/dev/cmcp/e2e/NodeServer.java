package dev.cmcp.e2e;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/** An MCP server from interop/ run over Streamable HTTP, found ready by a line it prints. */
final class NodeServer implements AutoCloseable {

  private final Process process;
  private final int port;
  private final List<String> output;

  private NodeServer(Process process, int port, List<String> output) {
    this.process = process;
    this.port = port;
    this.output = output;
  }

  /** server-everything's {@code streamableHttp} mode on a free loopback port. */
  static NodeServer everythingOverHttp() throws IOException, InterruptedException {
    return start("server-everything", List.of("node", Repo.serverEverything().toString(), "streamableHttp"),
        port -> "listening on port " + port);
  }

  /**
   * The conformance suite's reference server (interop/servers/everything-server.ts, from the
   * suite's repository) on a free loopback port, run by the Node.js 22 from interop/, which runs
   * TypeScript by erasing its types.
   */
  static NodeServer conformanceEverythingServer() throws IOException, InterruptedException {
    return start("everything-server", List.of(Repo.node22().toString(),
        Repo.root().resolve("interop/servers/everything-server.ts").toString()), port -> "localhost:" + port + "/mcp");
  }

  /**
   * interop/servers/sdk2-server.mjs, on the official TypeScript SDK 2.x (installed with the
   * conformance package): MCP 2026-07-28, and 2025-era clients through the SDK's stateless
   * fallback, on a free loopback port.
   */
  static NodeServer sdk2OverHttp() throws IOException, InterruptedException {
    return start("sdk2-server", List.of("node", Repo.root().resolve("interop/servers/sdk2-server.mjs").toString()),
        port -> "listening on port " + port);
  }

  /**
   * interop/servers/tasks-server.mjs: MCP 2026-07-28 with the tasks extension and the tools the
   * conformance suite's tasks scenarios call (no official server offers the extension yet), on a
   * free loopback port.
   */
  static NodeServer tasksOverHttp() throws IOException, InterruptedException {
    return start("tasks-server", List.of("node", Repo.root().resolve("interop/servers/tasks-server.mjs").toString()),
        port -> "listening on port " + port);
  }

  private static NodeServer start(String name, List<String> command, IntFunction<String> readyLine)
      throws IOException, InterruptedException {
    int port = freePort();
    ProcessBuilder builder = new ProcessBuilder(command).directory(Repo.root().resolve("interop").toFile());
    builder.environment().put("PORT", Integer.toString(port));
    builder.redirectErrorStream(true);
    Process process = builder.start();
    List<String> lines = Collections.synchronizedList(new ArrayList<>());
    CompletableFuture<Void> ready = new CompletableFuture<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = out.readLine()) != null; ) {
          lines.add(line);
          if (line.contains(readyLine.apply(port))) {
            ready.complete(null);
          }
        }
      } catch (IOException e) {
        // The process ended; what it printed is in lines.
      }
      ready.completeExceptionally(new IllegalStateException(name + " exited:\n" + String.join("\n", lines)));
    }, name + "-output");
    reader.setDaemon(true);
    reader.start();
    try {
      ready.get(30, TimeUnit.SECONDS);
      return new NodeServer(process, port, lines);
    } catch (Exception e) {
      process.destroyForcibly();
      throw new IllegalStateException(name + " did not start: " + e.getMessage() + "\n" + String.join("\n", lines), e);
    }
  }

  /** What the server printed so far, line by line. */
  List<String> output() {
    return List.copyOf(output);
  }

  String mcpUrl() {
    return "http://127.0.0.1:" + port + "/mcp";
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  record Finished(int exitCode, String output) {}

  /** Runs a program in interop/ to completion, stdout and stderr together. */
  static Finished run(List<String> command, long timeoutSeconds) throws IOException, InterruptedException {
    return run(command, Repo.root().resolve("interop"), Map.of(), timeoutSeconds);
  }

  static Finished run(List<String> command, Path workingDir, long timeoutSeconds) throws IOException, InterruptedException {
    return run(command, workingDir, Map.of(), timeoutSeconds);
  }

  /** @param env added to the program's environment (NODE_EXTRA_CA_CERTS, MCP_HEADERS) */
  static Finished run(List<String> command, Path workingDir, Map<String, String> env, long timeoutSeconds)
      throws IOException, InterruptedException {
    ProcessBuilder builder = new ProcessBuilder(command).directory(workingDir.toFile());
    builder.redirectErrorStream(true);
    builder.environment().putAll(Map.of("NO_COLOR", "1"));
    builder.environment().putAll(env);
    Process process = builder.start();
    CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> {
      try {
        return new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        return "(output not readable: " + e.getMessage() + ")";
      }
    });
    if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      throw new IllegalStateException(String.join(" ", command) + " ran over " + timeoutSeconds + " s:\n" + output.join());
    }
    return new Finished(process.exitValue(), output.join());
  }
}
