package dev.cmcp.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import javax.imageio.ImageIO;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportTest {

  @TempDir Path dir;

  private static final Load C16 = new Load.Closed(16);

  /** A point whose every call took {@code millis}, {@code calls} calls in one second. */
  private static Measurement point(String target, double millis, int calls) {
    Histogram latencies = new Histogram(3);
    latencies.recordValueWithCount((long) (millis * 1_000_000), calls);
    return new Measurement(target, C16, latencies, 0, 0, 1.0, Optional.empty());
  }

  private static Report report() {
    return new Report(new Report.RunFacts("./cmcp-dev bench", "2026-11-25", 2, "JDK", "short"),
        List.of(point("direct", 1.0, 4000), point("cmcp", 1.5, 3000), point("proxy", 5.0, 1000)),
        new Report.Costs(java.util.Map.of(Report.pointKey("cmcp", C16), 0.25),
            Optional.of(new Footprint.Sessions(10_000, 10_000, 100 * 1024, 180 * 1024, 0)),
            List.of(new Footprint.ClaimCost("software-only", List.of(1.0, 2.0, 3.0, 4.0), ""),
                new Footprint.ClaimCost("tdx", List.of(), "not measured: no TDX here"))),
        List.of(new PolicyBench.PolicyCost(10, "sliced", 20, 30, 100), new PolicyBench.PolicyCost(10_000, "sliced", 30, 45, 100),
            new PolicyBench.PolicyCost(10, "whole", 20, 30, 100), new PolicyBench.PolicyCost(10_000, "whole", 400, 500, 100)),
        List.of());
  }

  @Test
  void comparesAddedLatencyAndThroughputAgainstTheProxy() {
    String markdown = report().markdown();

    // cMCP adds 0.5 ms, the proxy 4 ms (4.001: HdrHistogram reports a bucket's upper end); throughput 3000/1000.
    assertThat(markdown).contains("| c=16 | 0.500 | 4.001 | 0.12 |").contains("| 3.00 | 0.75 | 1.50 |");
    assertThat(markdown).contains("| 10,000 | whole | 400.0 | 500.0 | 100 | 20.00 |");
    assertThat(markdown).contains("| 10,000 | sliced | 30.0 | 45.0 | 100 | 1.50 |");
  }

  @Test
  void reportsCpuPerCallSessionMemoryAndClaimIssuancePerProvider() {
    String markdown = report().markdown();

    assertThat(markdown).contains("| CPU ms per call |").contains("| cmcp | c=16 | 1.500 |").contains("| 0.250 |");
    assertThat(markdown).containsPattern("\\| direct \\| c=16 \\|.*\\| - \\|");
    assertThat(markdown).contains("| 10,000 of 10,000 | 100 | 180 | 8.2 | 0 |");
    assertThat(markdown).contains("| software-only | 2.000 | 4.000 | 4 |").contains("| tdx | - | - | 0 |")
        .contains("tdx: not measured: no TDX here");
  }

  @Test
  void comparesCmcpWithAnEarlierBuildWhenOneRan() {
    Report report = new Report(new Report.RunFacts("./cmcp-dev bench --baseline ../old", "2026-11-25", 2, "JDK", "short"),
        List.of(point("direct", 1.0, 4000), point("cmcp-before", 3.0, 1000), point("cmcp", 1.5, 3000)), Report.Costs.NONE, List.of(),
        List.of());

    assertThat(report.markdown()).contains("| c=16 | 3.000 | 1.500 | 1000 | 3000 | 3.00 |");
  }

  @Test
  void rewritesOnlyItsOwnSectionOfTheDocument() throws Exception {
    Path doc = dir.resolve("benchmarks.md");
    Files.writeString(doc, "# Benchmarks\n\nprose before\n");

    report().writeInto(doc);
    report().writeInto(doc);

    String text = Files.readString(doc);
    assertThat(text).startsWith("# Benchmarks\n\nprose before\n");
    assertThat(text.split(java.util.regex.Pattern.quote(Report.BEGIN), -1)).hasSize(2);
    assertThat(text).contains(Report.END);
  }

  @Test
  void drawsThePlotAsAPng() throws Exception {
    Path png = dir.resolve("bench-latency.png");

    LatencyChart.write(List.of(point("direct", 1.0, 4000), point("cmcp", 1.5, 3000)), "test", png);

    BufferedImage image = ImageIO.read(png.toFile());
    assertThat(image.getWidth()).isEqualTo(LatencyChart.WIDTH);
    assertThat(image.getHeight()).isEqualTo(LatencyChart.HEIGHT);
  }
}
