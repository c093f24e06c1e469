package dev.cmcp.bench;

import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.HdrHistogram.Histogram;

/**
 * How long one small append plus {@code fsync} takes on the disk of the work folder, the way the
 * audit log writes: cMCP does two per call (the decision before forwarding, the outcome before
 * answering), shared between concurrent calls by group commit, so this is the floor of its added
 * latency at concurrency 1.
 */
final class FsyncProbe {

  private FsyncProbe() {}

  static String measure(Path folder, int syncs) throws IOException {
    Path file = Files.createTempFile(folder, "fsync-probe-", ".jsonl");
    byte[] line = ("{\"probe\":\"" + "x".repeat(300) + "\"}\n").getBytes(StandardCharsets.UTF_8);
    Histogram latencies = new Histogram(3);
    try (FileOutputStream out = new FileOutputStream(file.toFile(), true)) {
      for (int i = 0; i < syncs; i++) {
        long start = System.nanoTime();
        out.write(line);
        out.getFD().sync();
        latencies.recordValue(System.nanoTime() - start);
      }
    } finally {
      Files.deleteIfExists(file);
    }
    return String.format(Locale.ROOT, "append + fsync on the work folder's disk: p50 %.3f ms, p99 %.3f ms (%d syncs)",
        latencies.getValueAtPercentile(50) / 1e6, latencies.getValueAtPercentile(99) / 1e6, syncs);
  }
}
