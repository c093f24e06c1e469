package dev.cmcp.bench;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Starts the servers of a run as separate processes on loopback: the echo upstream, the gateway
 * ({@code ./cmcp start}, as a user runs it) and the npm proxy, each with its log in the work folder.
 */
final class Servers {

  /** Which upstream the three targets share. */
  enum Upstream { JAVA, EVERYTHING }

  private static final Duration PATIENCE = Duration.ofSeconds(90);

  private final Path repo;
  private final Path work;

  Servers(Path repo, Path work) {
    this.repo = repo;
    this.work = work;
  }

  /** The upstream, serving {@code echo} at the URL in its first match group. */
  ManagedProcess.Started upstream(Upstream kind) throws IOException, InterruptedException {
    int port = freePort();
    return switch (kind) {
      case JAVA -> ManagedProcess.start("echo upstream",
          List.of(javaCommand(), "-XX:+UseParallelGC", "-Dsun.net.httpserver.nodelay=true",
              // Longer than any client keeps an idle connection: else a reused one can be closed under it.
              "-Dsun.net.httpserver.idleInterval=600", "-cp", System.getProperty("java.class.path"),
              EchoUpstream.class.getName(), Integer.toString(port)),
          Map.of(), work.resolve("upstream.log"), Pattern.compile("\\[echo\\] listening on (\\S+)"), PATIENCE);
      case EVERYTHING -> ManagedProcess.start("server-everything",
          List.of("node", interop("@modelcontextprotocol/server-everything/dist/index.js"), "streamableHttp"),
          Map.of("PORT", Integer.toString(port)), work.resolve("upstream.log"),
          Pattern.compile("listening on port (\\d+)"), PATIENCE);
    };
  }

  static URI upstreamUrl(Upstream kind, ManagedProcess.Started started) {
    return kind == Upstream.JAVA
        ? URI.create(started.ready().group(1))
        : URI.create("http://127.0.0.1:" + started.ready().group(1) + "/mcp");
  }

  /**
   * {@code ./cmcp start} in {@code mode} (enforcing: with the durable audit log) in front of {@code
   * upstream}, with a bundle of {@code policies} policies of which one lets the bench agent echo.
   */
  ManagedProcess.Started cmcp(URI upstream, int policies, String mode) throws IOException, InterruptedException {
    return cmcp("cmcp", repo, upstream, policies, mode, false);
  }

  /** The same gateway serving HTTPS with the key it generates at start ({@code tls.mode: generate}). */
  ManagedProcess.Started cmcpTls(URI upstream, int policies, String mode) throws IOException, InterruptedException {
    return cmcp("cmcp-tls", repo, upstream, policies, mode, true);
  }

  /**
   * The same deployment run by the launcher of another checkout ({@code checkout}, built), under
   * {@code name} (its folder and log in the work folder): an earlier version, for before/after.
   */
  ManagedProcess.Started cmcp(String name, Path checkout, URI upstream, int policies, String mode, boolean tls)
      throws IOException, InterruptedException {
    return start(name, checkout, CmcpDeployment.write(Files.createDirectories(work.resolve(name)), upstream, policies, mode, tls));
  }

  /**
   * A gateway of this checkout under {@code name}, enforcing, whose evidence comes from {@code
   * provider} ({@code tpmDevice}: the TPM's command port for {@code tpm}, else empty).
   */
  ManagedProcess.Started cmcpAttestedBy(String name, URI upstream, String provider, String tpmDevice)
      throws IOException, InterruptedException {
    return start(name, repo, CmcpDeployment.write(Files.createDirectories(work.resolve(name)), upstream, 1, "enforcing", false,
        provider, tpmDevice));
  }

  private ManagedProcess.Started start(String name, Path checkout, Path config) throws IOException, InterruptedException {
    return ManagedProcess.start("cMCP gateway (" + name + ")",
        List.of(checkout.resolve("cmcp").toString(), "start", "--config", config.toString()),
        Map.of("CMCP_DEV_MODE", "1", "CMCP_SKIP_BUILD", "1"), work.resolve(name + ".log"),
        Pattern.compile("listening on (\\S+):(\\d+)"), PATIENCE);
  }

  /**
   * The npm {@code mcp-proxy}, which serves MCP over Streamable HTTP in front of a stdio server,
   * with {@code supergateway} as that stdio server bridging to the HTTP upstream: neither fronts
   * an HTTP upstream on its own.
   */
  ManagedProcess.Started proxy(URI upstream) throws IOException, InterruptedException {
    int port = freePort();
    return ManagedProcess.start("mcp-proxy",
        List.of("node", interop("mcp-proxy/dist/bin/mcp-proxy.mjs"), "--port", Integer.toString(port), "--server", "stream",
            "--", "node", interop("supergateway/dist/index.js"), "--streamableHttp", upstream.toString(), "--logLevel", "none"),
        Map.of(), work.resolve("proxy.log"), Pattern.compile("starting server on port (\\d+)"), PATIENCE);
  }

  private String interop(String entry) throws IOException {
    Path path = repo.resolve("interop/node_modules").resolve(entry);
    if (!Files.isRegularFile(path)) {
      throw new IOException(path + " is missing: run `npm ci` in interop/ (./cmcp-dev bench does)");
    }
    return path.toString();
  }

  private static String javaCommand() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
