package dev.cmcp.gateway.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.prometheus.metrics.expositionformats.generated.Metrics;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Reads {@code /metrics} with parsers this project did not write, series by value, each series
 * named {@code name{label="value",...}} with its labels sorted.
 *
 * <p>Prometheus' Java client writes the formats but parses none of them. The protobuf format is
 * read with the classes generated from Prometheus' own {@code metrics.proto} that the client
 * ships; the text format 0.0.4 and OpenMetrics with the parsers of Prometheus' Python client
 * (Debian's {@code python3-prometheus-client}, installed by {@code .ci/run}), its OpenMetrics
 * parser being a strict one that rejects what the specification does not allow.
 */
public final class MetricsParsers {

  public static final String OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8";
  public static final String PROTOBUF =
      "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";
  /** Debian's interpreter, where its python3-prometheus-client is; not whatever python3 comes first on PATH. */
  private static final Path PYTHON = Path.of("/usr/bin/python3");
  private static final String SCRIPT = """
      import json, sys
      if sys.argv[1] == "openmetrics":
          from prometheus_client.openmetrics.parser import text_string_to_metric_families
      else:
          from prometheus_client.parser import text_string_to_metric_families
      samples = []
      for family in text_string_to_metric_families(sys.stdin.read()):
          for sample in family.samples:
              samples.append([sample.name, sample.labels, sample.value])
      print(json.dumps(samples))
      """;

  private MetricsParsers() {}

  /** The text format 0.0.4, read by the Python client's parser. */
  public static Map<String, Double> text(String exposition) throws IOException, InterruptedException {
    return python("text", exposition);
  }

  /** OpenMetrics 1.0, read by the Python client's strict OpenMetrics parser. */
  public static Map<String, Double> openMetrics(String exposition) throws IOException, InterruptedException {
    return python("openmetrics", exposition);
  }

  /** The delimited protobuf format, read with Prometheus' generated classes. */
  public static Map<String, Double> protobuf(byte[] exposition) throws IOException {
    Map<String, Double> series = new HashMap<>();
    InputStream in = new ByteArrayInputStream(exposition);
    Metrics.MetricFamily family;
    while ((family = Metrics.MetricFamily.parseDelimitedFrom(in)) != null) {
      String name = family.getName();
      for (Metrics.Metric metric : family.getMetricList()) {
        Map<String, String> labels = new TreeMap<>();
        metric.getLabelList().forEach(pair -> labels.put(pair.getName(), pair.getValue()));
        switch (family.getType()) {
          case COUNTER -> series.put(key(name, labels), metric.getCounter().getValue());
          case GAUGE -> series.put(key(name, labels), metric.getGauge().getValue());
          case HISTOGRAM -> {
            series.put(key(name + "_count", labels), (double) metric.getHistogram().getSampleCount());
            series.put(key(name + "_sum", labels), metric.getHistogram().getSampleSum());
          }
          default -> series.put(key(name, labels), metric.getUntyped().getValue());
        }
      }
    }
    return series;
  }

  private static Map<String, Double> python(String format, String exposition) throws IOException, InterruptedException {
    if (!Files.isExecutable(PYTHON)) {
      throw new IllegalStateException("/usr/bin/python3 is missing: install Debian's python3-prometheus-client (.ci/run does)");
    }
    Process parser = new ProcessBuilder(PYTHON.toString(), "-c", SCRIPT, format).redirectErrorStream(true).start();
    try (OutputStream in = parser.getOutputStream()) {
      in.write(exposition.getBytes(StandardCharsets.UTF_8));
    }
    String out = new String(parser.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (parser.waitFor() != 0) {
      throw new AssertionError("Prometheus' " + format + " parser rejected the exposition (python3-prometheus-client "
          + "installed?): " + out + "\n--- exposition ---\n" + exposition);
    }
    Map<String, Double> series = new HashMap<>();
    for (JsonNode sample : new ObjectMapper().readTree(out)) {
      Map<String, String> labels = new TreeMap<>();
      sample.get(1).properties().forEach(label -> labels.put(label.getKey(), label.getValue().asText()));
      series.put(key(sample.get(0).asText(), labels), sample.get(2).asDouble());
    }
    return series;
  }

  /** A series' name as the text format writes it, labels in name order. */
  public static String key(String name, Map<String, String> labels) {
    if (labels.isEmpty()) {
      return name;
    }
    return name + labels.entrySet().stream().sorted(Map.Entry.comparingByKey())
        .map(label -> label.getKey() + "=\"" + label.getValue() + "\"")
        .collect(Collectors.joining(",", "{", "}"));
  }

  /** Only the series whose names start with {@code prefix}. */
  public static Map<String, Double> only(Map<String, Double> series, String prefix) {
    return series.entrySet().stream().filter(entry -> entry.getKey().startsWith(prefix))
        .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
  }
}
