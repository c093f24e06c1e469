package dev.cmcp.bench;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.HdrHistogram.Histogram;

/**
 * The attacks of issue 16, each run against a gateway for a bounded time and count while a probe
 * agent keeps calling {@code echo} and its latencies are recorded: what an ordinary caller sees
 * during each flood. Loopback only. Attackers connect from 127.0.0.2 and 127.0.0.3, the probe
 * from 127.0.0.1, so that the per-address connection limit tells them apart as it would tell
 * different machines apart.
 */
final class Flood {

  /** Sizes of the attacks; {@link #full} as the issue describes them, {@link #quick} for the default tests. */
  record Settings(Duration phase, int bigArgumentClients, int slowConnections, int initializeCalls, int stuckCalls,
      int heldSessions, Duration probeInterval, int maxRequestsPerPhase) {

    static Settings full(Duration phase) {
      return new Settings(phase, 32, 500, 10_000, 200, 10_000, Duration.ofMillis(20), 100_000);
    }

    static Settings quick() {
      return new Settings(Duration.ofSeconds(1), 2, 40, 400, 16, 100, Duration.ofMillis(20), 2_000);
    }
  }

  /** What the gateway's process costs, where it is a process of its own; -1 where unknown. */
  interface ProcessMeter {
    ProcessMeter NONE = new ProcessMeter() {
      @Override
      public long rssKib() {
        return -1;
      }

      @Override
      public long cpuMillis() {
        return -1;
      }
    };

    long rssKib();

    long cpuMillis();
  }

  /**
   * One attack's result.
   *
   * @param outcomes what the attack's requests got, by kind ("HTTP 400", "closed by the gateway", ...)
   * @param probeLatencyNanos the probe's answered calls
   * @param probeErrors probe calls that got no echo
   * @param gatewayCpuMillis CPU the gateway used during the phase; -1 unknown
   * @param peakRssKib the gateway's largest resident size seen during the phase; -1 unknown
   */
  record Phase(String attack, Map<String, Long> outcomes, Histogram probeLatencyNanos, long probeErrors,
      Optional<String> firstProbeError, long gatewayCpuMillis, long peakRssKib) {}

  /** Linux reports CPU time in /proc in clock ticks of 1/100 s on every common configuration. */
  private static final long CLOCK_TICKS_PER_SECOND = 100;

  private final Target gateway;
  private final Settings settings;
  private final ProcessMeter meter;
  private final InetAddress probeAddress;
  private final InetAddress attacker;
  private final InetAddress secondAttacker;

  Flood(Target gateway, Settings settings, ProcessMeter meter) throws IOException {
    this.gateway = gateway;
    this.settings = settings;
    this.meter = meter;
    this.probeAddress = InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
    this.attacker = InetAddress.getByAddress(new byte[] {127, 0, 0, 2});
    this.secondAttacker = InetAddress.getByAddress(new byte[] {127, 0, 0, 3});
  }

  /** Every attack in turn, after a quiet phase for reference. */
  List<Phase> run() throws Exception {
    List<Phase> phases = new ArrayList<>();
    phases.add(phase("none (reference)", outcomes -> sleepPhase()));
    phases.add(phase(settings.bigArgumentClients() + " clients sending 4 MiB arrays of 2 million numbers",
        outcomes -> bigArguments(outcomes, "0", Optional.empty())));
    // Under the policy engine's 10,000 values too, so that the calls are decided, audited and forwarded.
    phases.add(phase(settings.bigArgumentClients() + " allowed agents sending 4 MiB arrays of 9,000 strings",
        outcomes -> bigArguments(outcomes, "\"" + "x".repeat(450) + "\"", Optional.of(McpSession.AGENT))));
    phases.add(phase(settings.slowConnections() + " bodies sent a byte every 3 s", this::slowBodies));
    phases.add(phase(settings.initializeCalls() + " initialize calls", this::initializeFlood));
    phases.add(phase(settings.heldSessions() + " sessions held by 10 principals", this::heldSessions));
    phases.add(phase(settings.stuckCalls() + " calls to a stuck upstream", this::stuckUpstream));
    return phases;
  }

  private interface Attack {
    void run(Outcomes outcomes) throws Exception;
  }

  /** Counts of what the attack's requests got. */
  static final class Outcomes {
    private final Map<String, AtomicLong> counts = new ConcurrentHashMap<>();

    void count(String outcome) {
      counts.computeIfAbsent(outcome, k -> new AtomicLong()).incrementAndGet();
    }

    Map<String, Long> snapshot() {
      Map<String, Long> copy = new TreeMap<>();
      counts.forEach((k, v) -> copy.put(k, v.get()));
      return copy;
    }
  }

  private Phase phase(String name, Attack attack) throws Exception {
    Outcomes outcomes = new Outcomes();
    Histogram latencies = new Histogram(3_600_000_000_000L, 3);
    AtomicLong probeErrors = new AtomicLong();
    AtomicReference<String> firstError = new AtomicReference<>();
    AtomicLong peakRss = new AtomicLong(meter.rssKib());
    long cpuBefore = meter.cpuMillis();
    AtomicInteger running = new AtomicInteger(1);
    Thread probe = Thread.ofVirtual().name("flood-probe").start(() -> probe(running, latencies, probeErrors, firstError));
    Thread sampler = Thread.ofVirtual().name("flood-rss").start(() -> {
      while (running.get() == 1) {
        peakRss.accumulateAndGet(meter.rssKib(), Math::max);
        pause(Duration.ofMillis(100));
      }
    });
    try {
      attack.run(outcomes);
    } finally {
      running.set(0);
      probe.join();
      sampler.join();
    }
    long cpuAfter = meter.cpuMillis();
    return new Phase(name, outcomes.snapshot(), latencies, probeErrors.get(), Optional.ofNullable(firstError.get()),
        cpuBefore < 0 ? -1 : cpuAfter - cpuBefore, peakRss.get());
  }

  /** One ordinary agent: a session, then an echo every probe interval; a session ended under it is reopened. */
  private void probe(AtomicInteger running, Histogram latencies, AtomicLong errors, AtomicReference<String> firstError) {
    try (HttpClient http = HttpClient.newBuilder().localAddress(probeAddress).build()) {
      McpSession session = null;
      while (running.get() == 1) {
        long started = System.nanoTime();
        try {
          if (session == null) {
            session = McpSession.open(http, gateway);
          }
          session.callEcho();
          latencies.recordValue(System.nanoTime() - started);
        } catch (IOException e) {
          errors.incrementAndGet();
          firstError.compareAndSet(null, e.getMessage());
          session = null;
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
        pause(settings.probeInterval());
      }
    }
  }

  private void sleepPhase() {
    pause(settings.phase());
  }

  /**
   * Stateless tools/call requests of 4 MiB: an array of {@code element} repeated. Small numbers
   * make two million values, which the value limit refuses; long strings make a message under
   * it and under the policy engine's limit, which an allowed agent gets parsed, decided, audited
   * and forwarded.
   */
  private void bigArguments(Outcomes outcomes, String element, Optional<String> workflow) throws InterruptedException {
    StringBuilder body = new StringBuilder("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\""
        + gateway.echoTool() + "\",\"arguments\":{\"message\":\"flood\",\"values\":[");
    int size = 4 * 1024 * 1024 - 64;
    body.append(element);
    while (body.length() + element.length() + 1 < size) {
      body.append(',').append(element);
    }
    byte[] bytes = body.append("]}}}").toString().getBytes(StandardCharsets.US_ASCII);
    long deadline = System.nanoTime() + settings.phase().toNanos();
    AtomicInteger budget = new AtomicInteger(settings.maxRequestsPerPhase());
    try (HttpClient http = HttpClient.newBuilder().localAddress(attacker).build();
        ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < settings.bigArgumentClients(); i++) {
        clients.execute(() -> {
          while (System.nanoTime() < deadline && budget.decrementAndGet() >= 0) {
            outcomes.count(send(http, bytes, workflow));
          }
        });
      }
    }
  }

  /** Connections that declare a 1,000-byte body and send it a byte every 3 s, half from each attacker address. */
  private void slowBodies(Outcomes outcomes) {
    List<Socket> sockets = new ArrayList<>();
    String headers = "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n";
    try {
      for (int i = 0; i < settings.slowConnections(); i++) {
        try {
          Socket socket = new Socket(gateway.url().getHost(), gateway.url().getPort(), i % 2 == 0 ? attacker : secondAttacker, 0);
          socket.getOutputStream().write(headers.getBytes(StandardCharsets.US_ASCII));
          sockets.add(socket);
        } catch (IOException e) {
          outcomes.count("refused at connect");
        }
      }
      long deadline = System.nanoTime() + settings.phase().toNanos();
      boolean first = true;
      while (System.nanoTime() < deadline) {
        if (!first) {
          pause(Duration.ofMillis(Math.min(3_000, Math.max(1, (deadline - System.nanoTime()) / 1_000_000))));
        }
        first = false;
        for (Socket socket : sockets) {
          if (!socket.isClosed()) {
            try {
              OutputStream out = socket.getOutputStream();
              out.write(' ');
              out.flush();
            } catch (IOException e) {
              outcomes.count("closed by the gateway");
              closeQuietly(socket);
            }
          }
        }
      }
      for (Socket socket : sockets) {
        if (!socket.isClosed()) {
          outcomes.count("still open at the end");
        }
      }
    } finally {
      sockets.forEach(Flood::closeQuietly);
    }
  }

  /** initialize calls from 16 clients at once, with no workflow of their own. */
  private void initializeFlood(Outcomes outcomes) throws InterruptedException {
    String initialize = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\","
        + "\"capabilities\":{},\"clientInfo\":{\"name\":\"flood\",\"version\":\"1\"}}}";
    byte[] bytes = initialize.getBytes(StandardCharsets.US_ASCII);
    AtomicInteger left = new AtomicInteger(Math.min(settings.initializeCalls(), settings.maxRequestsPerPhase()));
    long started = System.nanoTime();
    long deadline = started + settings.phase().toNanos();
    try (HttpClient http = HttpClient.newBuilder().localAddress(attacker).build();
        ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < 16; i++) {
        clients.execute(() -> {
          while (System.nanoTime() < deadline && left.decrementAndGet() >= 0) {
            outcomes.count(send(http, bytes, Optional.empty()));
          }
        });
      }
    }
    // The probe keeps going for the rest of the phase: no lock-out may outlive the flood.
    pause(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
  }

  /**
   * Sessions opened and kept (not flooded: each principal stays within its cap), to see what
   * that many open sessions cost in memory.
   */
  private void heldSessions(Outcomes outcomes) throws InterruptedException {
    String initialize = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\","
        + "\"capabilities\":{},\"clientInfo\":{\"name\":\"held\",\"version\":\"1\"}}}";
    byte[] bytes = initialize.getBytes(StandardCharsets.US_ASCII);
    AtomicInteger next = new AtomicInteger();
    long deadline = System.nanoTime() + settings.phase().toNanos();
    try (HttpClient http = HttpClient.newBuilder().localAddress(attacker).build();
        ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < 16; i++) {
        clients.execute(() -> {
          for (int n = next.getAndIncrement(); n < settings.heldSessions() && System.nanoTime() < deadline; n = next.getAndIncrement()) {
            outcomes.count(send(http, bytes, Optional.of("held-" + n % 10)));
          }
        });
      }
    }
    pause(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
  }

  /** Calls the upstream answers only after a minute, all at once; the gateway's upstream timeout ends each. */
  private void stuckUpstream(Outcomes outcomes) throws InterruptedException {
    String call = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"" + gateway.echoTool()
        + "\",\"arguments\":{\"message\":\"stuck\",\"sleep_ms\":60000}}}";
    byte[] bytes = call.getBytes(StandardCharsets.US_ASCII);
    long deadline = System.nanoTime() + settings.phase().toNanos();
    try (HttpClient http = HttpClient.newBuilder().localAddress(attacker).build();
        ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < settings.stuckCalls(); i++) {
        clients.execute(() -> outcomes.count(send(http, bytes, Optional.of(McpSession.AGENT))));
      }
      pause(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
    }
  }

  /** Posts {@code body}; the outcome is the HTTP status with the JSON-RPC error word or code, if any. */
  private String send(HttpClient http, byte[] body, Optional<String> workflow) {
    HttpRequest.Builder request = HttpRequest.newBuilder(gateway.url())
        .timeout(Duration.ofSeconds(90))
        .header("Content-Type", "application/json")
        .header("Accept", "application/json, text/event-stream")
        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    workflow.ifPresent(w -> request.header("X-MCP-Workflow-ID", w));
    try {
      HttpResponse<String> answer = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
      String text = answer.body();
      int code = text.indexOf("\"code\":");
      String error = code < 0 ? "" : " error " + text.substring(code + 7, Math.min(text.length(), text.indexOf(',', code) < 0
          ? text.length() : text.indexOf(',', code)));
      return "HTTP " + answer.statusCode() + error;
    } catch (IOException e) {
      String why = e.getMessage() == null ? "" : ": " + e.getMessage();
      return "no answer (" + e.getClass().getSimpleName() + why.substring(0, Math.min(why.length(), 60)) + ")";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted";
    }
  }

  /** The report: one row per attack. */
  static String table(List<Phase> phases) {
    StringBuilder out = new StringBuilder();
    out.append("| attack | probe calls | probe p50 ms | probe p99 ms | probe max ms | probe errors | gateway CPU s "
        + "| CPU ms per attack request | peak RSS MiB | attack outcomes |\n");
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
    for (Phase phase : phases) {
      Histogram h = phase.probeLatencyNanos();
      out.append("| ").append(phase.attack())
          .append(" | ").append(h.getTotalCount())
          .append(" | ").append(millis(h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(50)))
          .append(" | ").append(millis(h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(99)))
          .append(" | ").append(millis(h.getMaxValue()))
          .append(" | ").append(phase.probeErrors())
          .append(" | ").append(phase.gatewayCpuMillis() < 0 ? "n/a" : String.format("%.2f", phase.gatewayCpuMillis() / 1000.0))
          .append(" | ").append(cpuPerRequest(phase))
          .append(" | ").append(phase.peakRssKib() < 0 ? "n/a" : Long.toString(phase.peakRssKib() / 1024))
          .append(" | ").append(phase.outcomes().isEmpty() ? "" : phase.outcomes().toString().replace("{", "").replace("}", ""))
          .append(" |\n");
    }
    phases.stream().filter(p -> p.firstProbeError().isPresent())
        .forEach(p -> out.append("\nFirst probe error during \"").append(p.attack()).append("\": ").append(p.firstProbeError().get()));
    return out.toString();
  }

  /** The phase's gateway CPU over its attack requests (the probe's small calls included: an upper bound). */
  private static String cpuPerRequest(Phase phase) {
    long requests = phase.outcomes().values().stream().mapToLong(Long::longValue).sum();
    return phase.gatewayCpuMillis() < 0 || requests == 0 ? "n/a" : String.format("%.1f", (double) phase.gatewayCpuMillis() / requests);
  }

  private static String millis(long nanos) {
    return String.format("%.2f", nanos / 1e6);
  }

  private static void pause(Duration duration) {
    try {
      Thread.sleep(duration);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      // closing anyway
    }
  }

  /** The gateway process's resident size and CPU time, from /proc (Linux). */
  record ProcMeter(long pid) implements ProcessMeter {
    @Override
    public long rssKib() {
      try {
        for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/" + pid + "/status"))) {
          if (line.startsWith("VmRSS:")) {
            return Long.parseLong(line.replaceAll("[^0-9]", ""));
          }
        }
      } catch (IOException | NumberFormatException e) {
        return -1;
      }
      return -1;
    }

    @Override
    public long cpuMillis() {
      try {
        String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + pid + "/stat"));
        // Fields after the command name, which is in parentheses and may hold spaces: utime is the 14th field, stime the 15th.
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ", -1);
        long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
        return ticks * 1000 / CLOCK_TICKS_PER_SECOND;
      } catch (IOException | RuntimeException e) {
        return -1;
      }
    }
  }
}
