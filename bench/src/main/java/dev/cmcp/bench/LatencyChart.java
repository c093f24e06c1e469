package dev.cmcp.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;
import javax.imageio.ImageIO;

/**
 * The results as a PNG, drawn with java.awt (headless): left, p50 latency per load as bars with
 * the p99 as a tick above each, on a log scale; right, closed-loop throughput. One colour per target.
 */
final class LatencyChart {

  static final int WIDTH = 1200;
  static final int HEIGHT = 520;
  private static final Color[] COLOURS = {new Color(0x4c72b0), new Color(0xdd8452), new Color(0x55a868), new Color(0xc44e52)};

  private LatencyChart() {}

  static void write(List<Measurement> measurements, String title, Path png) throws IOException {
    System.setProperty("java.awt.headless", "true");
    BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, WIDTH, HEIGHT);
      g.setColor(Color.BLACK);
      g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
      g.drawString(title, 20, 26);
      List<String> targets = distinct(measurements.stream().map(Measurement::target).toList());
      List<Load> loads = distinct(measurements.stream().map(Measurement::load).toList());
      List<Load> closed = loads.stream().filter(load -> load instanceof Load.Closed).toList();
      legend(g, targets);
      panel(g, new Panel(60, 70, 640, 380, "latency, ms (bar: p50, tick: p99)"), measurements, targets, loads,
          m -> m.millisAt(50), m -> m.millisAt(99), "%.2f", true);
      panel(g, new Panel(770, 70, 400, 380, "throughput, calls/s (closed loop)"), measurements, targets, closed,
          Measurement::throughput, m -> Double.NaN, "%.0f", false);
    } finally {
      g.dispose();
    }
    if (!ImageIO.write(image, "png", png.toFile())) {
      throw new IOException("no PNG writer in this JDK");
    }
  }

  private record Panel(int x, int y, int width, int height, String title) {}

  /** Maps a value to a fraction of the panel's height; latency spans decades, so it gets a log scale. */
  private record Scale(boolean logarithmic, double low, double high) {
    static Scale of(boolean logarithmic, double min, double max) {
      if (!logarithmic) {
        return new Scale(false, 0, max <= 0 ? 1 : max * 1.12);
      }
      double low = Math.floor(Math.log10(min > 0 ? min : 0.01));
      double high = Math.ceil(Math.log10(max > 0 ? max : 1));
      return new Scale(true, low, Math.max(high, low + 1));
    }

    double fraction(double value) {
      if (!logarithmic) {
        return value / high;
      }
      return value <= 0 ? 0 : Math.max(0, (Math.log10(value) - low) / (high - low));
    }

    /** The grid lines: quarters of a linear scale, decades of a logarithmic one. */
    List<Double> gridValues() {
      List<Double> values = new ArrayList<>();
      if (!logarithmic) {
        for (int i = 0; i <= 4; i++) {
          values.add(high * i / 4);
        }
      } else {
        for (double exponent = low; exponent <= high; exponent++) {
          values.add(Math.pow(10, exponent));
        }
      }
      return values;
    }
  }

  private static void panel(Graphics2D g, Panel p, List<Measurement> all, List<String> targets, List<Load> loads,
      ToDoubleFunction<Measurement> bar, ToDoubleFunction<Measurement> tick, String labelFormat, boolean logarithmic) {
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
    g.setColor(Color.BLACK);
    g.drawString(p.title() + (logarithmic ? ", log scale" : ""), p.x(), p.y() - 8);
    double min = Double.MAX_VALUE;
    double max = 0;
    for (Measurement m : all) {
      if (loads.contains(m.load())) {
        for (double value : new double[] {finite(bar.applyAsDouble(m)), finite(tick.applyAsDouble(m))}) {
          max = Math.max(max, value);
          min = value > 0 ? Math.min(min, value) : min;
        }
      }
    }
    Scale scale = Scale.of(logarithmic, min, max);
    int baseline = p.y() + p.height();
    for (double value : scale.gridValues()) {
      int y = baseline - (int) Math.round(p.height() * scale.fraction(value));
      g.setColor(Color.LIGHT_GRAY);
      g.drawLine(p.x(), y, p.x() + p.width(), y);
      g.setColor(Color.DARK_GRAY);
      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
      g.drawString(gridLabel(value), p.x() - 50, y + 4);
    }
    if (loads.isEmpty()) {
      return;
    }
    int groupWidth = p.width() / loads.size();
    int barWidth = Math.max(4, (groupWidth - 20) / Math.max(1, targets.size()));
    for (int l = 0; l < loads.size(); l++) {
      int groupX = p.x() + l * groupWidth + 10;
      for (int t = 0; t < targets.size(); t++) {
        Measurement m = find(all, targets.get(t), loads.get(l));
        if (m == null) {
          continue;
        }
        int x = groupX + t * barWidth;
        double value = finite(bar.applyAsDouble(m));
        int h = (int) Math.round(p.height() * scale.fraction(value));
        g.setColor(COLOURS[t % COLOURS.length]);
        g.fillRect(x, baseline - h, barWidth - 3, h);
        double tickValue = tick.applyAsDouble(m);
        if (!Double.isNaN(tickValue)) {
          int ty = baseline - (int) Math.round(p.height() * scale.fraction(tickValue));
          g.setColor(Color.BLACK);
          g.setStroke(new BasicStroke(2));
          g.drawLine(x + (barWidth - 3) / 2, baseline - h, x + (barWidth - 3) / 2, ty);
          g.drawLine(x + 1, ty, x + barWidth - 4, ty);
          g.setStroke(new BasicStroke(1));
        }
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 9));
        g.drawString(String.format(Locale.ROOT, labelFormat, value), x, baseline - h - 3);
      }
      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
      g.drawString(loads.get(l).label(), groupX + (groupWidth - 20) / 2 - 15, baseline + 18);
    }
    g.setColor(Color.BLACK);
    g.drawLine(p.x(), baseline, p.x() + p.width(), baseline);
  }

  private static String gridLabel(double value) {
    return value >= 10 || value == 0 ? String.format(Locale.ROOT, "%.0f", value) : String.format(Locale.ROOT, "%.2g", value);
  }

  private static void legend(Graphics2D g, List<String> targets) {
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
    int x = 20;
    for (int t = 0; t < targets.size(); t++) {
      g.setColor(COLOURS[t % COLOURS.length]);
      g.fillRect(x, HEIGHT - 30, 14, 14);
      g.setColor(Color.BLACK);
      g.drawString(targets.get(t), x + 20, HEIGHT - 18);
      x += 120;
    }
  }

  private static Measurement find(List<Measurement> all, String target, Load load) {
    return all.stream().filter(m -> m.target().equals(target) && m.load().equals(load)).findFirst().orElse(null);
  }

  private static double finite(double value) {
    return Double.isNaN(value) || Double.isInfinite(value) ? 0 : value;
  }

  private static <T> List<T> distinct(List<T> items) {
    List<T> seen = new ArrayList<>();
    items.stream().filter(item -> !seen.contains(item)).forEach(seen::add);
    return seen;
  }
}
