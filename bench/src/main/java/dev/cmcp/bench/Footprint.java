package dev.cmcp.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the gateway costs apart from calls, each measured on a gateway of its own with nothing
 * else running against it: its resident memory with many sessions open, and how long issuing a
 * claim takes with the evidence of each attestation provider this machine can offer.
 */
final class Footprint {

  /**
   * Resident memory of a gateway when it is ready, and with {@code opened} sessions open (out of
   * {@code asked}), measured a few seconds after the last one.
   */
  record Sessions(int asked, int opened, long rssReadyKib, long rssWithSessionsKib, long errors) {}

  /**
   * Claim issuance ({@code GET /v1/sessions/{id}/claim} after one call) with one provider's
   * evidence: {@code millis} sorted, or empty with {@code why} when it was not measured.
   */
  record ClaimCost(String provider, List<Double> millis, String why) {
    double percentile(double p) {
      int index = (int) Math.ceil(p / 100 * millis.size()) - 1;
      return millis.get(Math.max(0, Math.min(millis.size() - 1, index)));
    }
  }

  /** The principals the sessions are spread over, so that each stays within max_sessions_per_principal (1,000). */
  private static final int PRINCIPALS = 10;

  private final Servers servers;
  private final URI upstream;
  private final Path work;
  private final PrintStream progress;

  Footprint(Servers servers, URI upstream, Path work, PrintStream progress) {
    this.servers = servers;
    this.upstream = upstream;
    this.work = work;
    this.progress = progress;
  }

  /** Opens {@code count} sessions (16 clients, {@value #PRINCIPALS} principals) on a fresh gateway and reads its RSS. */
  Sessions sessions(int count) throws IOException, InterruptedException {
    progress.printf(Locale.ROOT, "bench: RSS of a fresh gateway with %d open sessions...%n", count);
    ManagedProcess.Started started = servers.cmcpAttestedBy("cmcp-sessions", upstream, "auto", "");
    ManagedProcess gateway = started.process();
    try {
      Flood.ProcMeter meter = new Flood.ProcMeter(gateway.pid());
      URI url = URI.create("http://127.0.0.1:" + started.ready().group(2) + "/mcp");
      Thread.sleep(2_000);
      long ready = meter.rssKib();
      byte[] initialize = ("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\""
          + McpSession.PROTOCOL_VERSION + "\",\"capabilities\":{},\"clientInfo\":{\"name\":\"footprint\",\"version\":\"1\"}}}")
          .getBytes(StandardCharsets.US_ASCII);
      AtomicInteger next = new AtomicInteger();
      AtomicInteger opened = new AtomicInteger();
      AtomicLong errors = new AtomicLong();
      try (HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
          ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
        for (int i = 0; i < 16; i++) {
          clients.execute(() -> {
            for (int n = next.getAndIncrement(); n < count; n = next.getAndIncrement()) {
              HttpRequest request = HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(30))
                  .header("Content-Type", "application/json").header("Accept", "application/json, text/event-stream")
                  .header("X-MCP-Workflow-ID", "footprint-" + n % PRINCIPALS)
                  .POST(HttpRequest.BodyPublishers.ofByteArray(initialize)).build();
              try {
                HttpResponse<Void> answer = http.send(request, HttpResponse.BodyHandlers.discarding());
                if (answer.statusCode() == 200 && answer.headers().firstValue("Mcp-Session-Id").isPresent()) {
                  opened.incrementAndGet();
                } else {
                  errors.incrementAndGet();
                }
              } catch (IOException e) {
                errors.incrementAndGet();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
              }
            }
          });
        }
        clients.shutdown();
        if (!clients.awaitTermination(10, TimeUnit.MINUTES)) {
          throw new IOException("opening " + count + " sessions took over 10 minutes");
        }
      }
      Thread.sleep(3_000);
      Sessions sessions = new Sessions(count, opened.get(), ready, meter.rssKib(), errors.get());
      progress.printf(Locale.ROOT, "bench: %d sessions opened (%d errors): RSS %d MiB ready, %d MiB with the sessions%n",
          sessions.opened(), sessions.errors(), ready / 1024, sessions.rssWithSessionsKib() / 1024);
      return sessions;
    } finally {
      gateway.close();
    }
  }

  /** Claim issuance with each provider: software-only and tpm (over swtpm) here; SEV-SNP and TDX need their hardware. */
  List<ClaimCost> claims(int fetches) throws IOException, InterruptedException {
    List<ClaimCost> costs = new ArrayList<>();
    costs.add(measure("software-only", "software-only", "", fetches));
    if (SoftwareTpm.installed()) {
      try (SoftwareTpm tpm = SoftwareTpm.start(Files.createDirectories(work.resolve("swtpm-state")))) {
        costs.add(measure("tpm (swtpm)", "tpm", tpm.device(), fetches));
      }
    } else {
      costs.add(new ClaimCost("tpm (swtpm)", List.of(), "not measured: swtpm and tpm2-tools are not installed"));
    }
    String noHardware = "not measured: the provider asks the kernel's configfs-tsm for a report, which only a %s guest has; "
        + "the reports in test-fixtures/ are checked by the verifier's tests, and a laid-out folder cannot answer a new binding";
    costs.add(new ClaimCost("sev-snp", List.of(), noHardware.formatted("SEV-SNP")));
    costs.add(new ClaimCost("tdx", List.of(), noHardware.formatted("TDX")));
    return costs;
  }

  /** {@code fetches} claims (after 10 unmeasured ones) of one session with one call, from a gateway using {@code provider}. */
  private ClaimCost measure(String label, String provider, String tpmDevice, int fetches) throws IOException, InterruptedException {
    progress.printf(Locale.ROOT, "bench: claim issuance with %s evidence (%d claims)...%n", label, fetches);
    ManagedProcess.Started started;
    try {
      started = servers.cmcpAttestedBy("cmcp-claims-" + provider, upstream, provider, tpmDevice);
    } catch (IOException e) {
      return new ClaimCost(label, List.of(), "not measured: the gateway did not start: " + firstLine(e.getMessage()));
    }
    ManagedProcess gateway = started.process();
    try (HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
      String base = "http://127.0.0.1:" + started.ready().group(2);
      McpSession session = McpSession.open(http, new Target(label, URI.create(base + "/mcp"), CmcpDeployment.ECHO_TOOL));
      session.callEcho();
      HttpRequest claim = HttpRequest.newBuilder(URI.create(base + "/v1/sessions/" + session.sessionId() + "/claim"))
          .timeout(Duration.ofSeconds(30)).GET().build();
      double[] millis = new double[fetches];
      for (int i = -Math.min(10, fetches); i < fetches; i++) {
        long begun = System.nanoTime();
        HttpResponse<String> answer = http.send(claim, HttpResponse.BodyHandlers.ofString());
        long took = System.nanoTime() - begun;
        if (answer.statusCode() != 200) {
          return new ClaimCost(label, List.of(), "not measured: the claim was answered HTTP " + answer.statusCode()
              + ": " + firstLine(answer.body()));
        }
        if (i >= 0) {
          millis[i] = took / 1e6;
        }
      }
      Arrays.sort(millis);
      ClaimCost cost = new ClaimCost(label, Arrays.stream(millis).boxed().toList(), "");
      progress.printf(Locale.ROOT, "bench: claim with %s evidence: p50 %.2f ms, p99 %.2f ms%n", label,
          cost.percentile(50), cost.percentile(99));
      return cost;
    } finally {
      gateway.close();
    }
  }

  private static String firstLine(String text) {
    String line = text == null ? "" : text.strip().lines().findFirst().orElse("");
    return line.length() > 200 ? line.substring(0, 200) + "..." : line;
  }

  /**
   * Debian's swtpm on a free loopback port pair, as the TPM tests start it ({@code
   * attestation.tpm_device} is its command port).
   */
  static final class SoftwareTpm implements AutoCloseable {
    private final Process process;
    private final int port;

    private SoftwareTpm(Process process, int port) {
      this.process = process;
      this.port = port;
    }

    static boolean installed() {
      return List.of("swtpm", "tpm2_createek", "tpm2_createak", "tpm2_quote").stream().allMatch(SoftwareTpm::onPath);
    }

    static SoftwareTpm start(Path state) throws IOException, InterruptedException {
      int port = freePortPair();
      Process process = new ProcessBuilder("swtpm", "socket", "--tpm2",
          "--server", "type=tcp,port=" + port + ",bindaddr=127.0.0.1",
          "--ctrl", "type=tcp,port=" + (port + 1) + ",bindaddr=127.0.0.1",
          "--tpmstate", "dir=" + state,
          "--flags", "not-need-init,startup-clear")
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .start();
      SoftwareTpm tpm = new SoftwareTpm(process, port);
      for (int i = 0; i < 200; i++) {
        if (!process.isAlive()) {
          throw new IOException("swtpm exited at start with " + process.exitValue());
        }
        try (Socket probe = new Socket()) {
          probe.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
          return tpm;
        } catch (IOException notYet) {
          Thread.sleep(25);
        }
      }
      tpm.close();
      throw new IOException("swtpm did not open port " + port);
    }

    String device() {
      return "127.0.0.1:" + port;
    }

    @Override
    public void close() {
      process.destroy();
      try {
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }

    private static boolean onPath(String command) {
      return Optional.ofNullable(System.getenv("PATH")).stream().flatMap(path -> Arrays.stream(path.split(":")))
          .anyMatch(dir -> Files.isExecutable(Path.of(dir, command)));
    }

    private static int freePortPair() throws IOException {
      for (int attempt = 0; attempt < 20; attempt++) {
        int port;
        try (ServerSocket any = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
          port = any.getLocalPort();
        }
        if (port < 65535) {
          try (ServerSocket second = new ServerSocket(port + 1, 1, InetAddress.getLoopbackAddress())) {
            if (second.isBound()) {
              return port;
            }
          } catch (IOException taken) {
            // try another pair
          }
        }
      }
      throw new IOException("no two free adjacent loopback ports");
    }
  }
}
