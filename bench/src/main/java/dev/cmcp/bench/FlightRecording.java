package dev.cmcp.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * A JFR recording of the gateway process during one measured point, started and dumped with
 * {@code jcmd}, and summed up as the methods the samples were in: by leaf frame (where the CPU
 * was), and by the gateway's own methods anywhere on the stack (what they cost, callees included).
 */
final class FlightRecording {

  private static final String NAME = "cmcp-bench";

  private final Path jcmd;
  private final long pid;
  private final Path file;

  private FlightRecording(Path jcmd, long pid, Path file) {
    this.jcmd = jcmd;
    this.pid = pid;
    this.file = file;
  }

  static FlightRecording start(long pid, Path file) throws IOException, InterruptedException {
    FlightRecording recording = new FlightRecording(Path.of(System.getProperty("java.home"), "bin", "jcmd"), pid, file);
    recording.jcmd("JFR.start", "name=" + NAME, "settings=profile");
    return recording;
  }

  /** Stops the recording and returns its summary, {@code top} lines per view. */
  List<String> stopAndSummarise(int top) throws IOException, InterruptedException {
    jcmd("JFR.stop", "name=" + NAME, "filename=" + file.toAbsolutePath());
    Map<String, Integer> javaLeaves = new HashMap<>();
    Map<String, Integer> nativeLeaves = new HashMap<>();
    Map<String, Integer> gatewayInclusive = new HashMap<>();
    int javaSamples = 0;
    int nativeSamples = 0;
    for (RecordedEvent event : RecordingFile.readAllEvents(file)) {
      String type = event.getEventType().getName();
      boolean java = type.equals("jdk.ExecutionSample");
      if (!java && !type.equals("jdk.NativeMethodSample")) {
        continue;
      }
      RecordedStackTrace stack = event.getStackTrace();
      if (stack == null || stack.getFrames().isEmpty()) {
        continue;
      }
      List<RecordedFrame> frames = stack.getFrames();
      (java ? javaLeaves : nativeLeaves).merge(method(frames.getFirst()), 1, Integer::sum);
      if (java) {
        javaSamples++;
        Set<String> gatewayMethods = new LinkedHashSet<>();
        frames.stream().map(FlightRecording::method).filter(m -> m.startsWith("dev.cmcp.gateway")).forEach(gatewayMethods::add);
        gatewayMethods.forEach(m -> gatewayInclusive.merge(m, 1, Integer::sum));
      } else {
        nativeSamples++;
      }
    }
    List<String> summary = new ArrayList<>();
    summary.add("Java samples: " + javaSamples + "; by leaf method (self time):");
    summary.addAll(ranked(javaLeaves, javaSamples, top));
    summary.add("Gateway methods anywhere on the stack (inclusive), of the same samples:");
    summary.addAll(ranked(gatewayInclusive, javaSamples, top));
    summary.add("Threads in native code: " + nativeSamples + " samples; by leaf method:");
    summary.addAll(ranked(nativeLeaves, nativeSamples, Math.min(top, 8)));
    return summary;
  }

  private static List<String> ranked(Map<String, Integer> counts, int total, int top) {
    return counts.entrySet().stream()
        .sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
        .limit(top)
        .map(e -> String.format(Locale.ROOT, "  %5.1f%%  %s", 100.0 * e.getValue() / Math.max(1, total), e.getKey()))
        .toList();
  }

  private static String method(RecordedFrame frame) {
    return frame.getMethod().getType().getName() + "." + frame.getMethod().getName();
  }

  private void jcmd(String... command) throws IOException, InterruptedException {
    List<String> line = new ArrayList<>(List.of(jcmd.toString(), Long.toString(pid)));
    line.addAll(List.of(command));
    Process process = new ProcessBuilder(line).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    if (!process.waitFor(Duration.ofSeconds(30).toSeconds(), TimeUnit.SECONDS) || process.exitValue() != 0) {
      throw new IOException("jcmd " + String.join(" ", command) + " failed: " + output);
    }
  }
}
