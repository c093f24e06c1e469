package dev.cmcp.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cmcp.gateway.Gateway;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The short form of {@code ./cmcp-dev flood}: every attack, small and 1 s long, against a gateway
 * in this JVM, with the probe agent calling throughout. Asserts the bounds, not speed: the probe is
 * answered during every attack (and never fails but where the attack is CPU work it must share),
 * big argument arrays are refused before they are parsed, an initialize flood is never refused and
 * locks nobody out, stuck calls end at the upstream timeout.
 */
class FloodTest {

  @TempDir Path dir;

  @Test
  void theProbeIsAnsweredDuringEveryFloodAndEachAttackIsHeldToItsBound() throws Exception {
    try (EchoUpstream upstream = EchoUpstream.start(0)) {
      Path config = CmcpDeployment.write(dir, upstream.url(), 10, "enforcing", false);
      // Long enough for the probe's calls on a loaded machine; the stuck calls wait it out.
      Files.writeString(config, "upstream_timeout_seconds: 3\n", StandardOpenOption.APPEND);
      try (Gateway gateway = Gateway.start(config, Map.of("CMCP_DEV_MODE", "1"), new PrintStream(OutputStream.nullOutputStream()))) {
        Target target = new Target("cmcp", URI.create("http://127.0.0.1:" + gateway.port() + "/mcp"), CmcpDeployment.ECHO_TOOL);

        List<Flood.Phase> phases = new Flood(target, Flood.Settings.quick(), Flood.ProcessMeter.NONE).run();

        System.out.println(Flood.table(phases));
        for (Flood.Phase phase : phases) {
          assertThat(phase.probeLatencyNanos().getTotalCount()).as("probe answers during " + phase.attack()).isPositive();
          // Forwarding 4 MiB messages is CPU work the probe shares two cores with: a probe call may
          // time out at the upstream there (3 s here). Every other attack is held off the probe's path.
          if (phase != phases.get(2)) {
            assertThat(phase.probeErrors()).as("probe errors during " + phase.attack() + ": " + phase.firstProbeError()).isZero();
          }
        }
        assertThat(phases.get(1).outcomes().keySet()).as("4 MiB arrays: refused, by the value count or the bytes budget")
            .allMatch(outcome -> outcome.startsWith("HTTP 400") || outcome.startsWith("HTTP 503"));
        assertThat(phases.get(2).outcomes().keySet()).as("4 MiB of strings from an allowed agent: forwarded, or refused by the bytes budget")
            .allMatch(outcome -> outcome.equals("HTTP 200") || outcome.startsWith("HTTP 503"));
        assertThat(phases.get(4).outcomes()).as("initialize flood: every one answered").containsOnlyKeys("HTTP 200");
        assertThat(phases.get(5).outcomes()).as("held sessions").containsOnlyKeys("HTTP 200");
        assertThat(phases.get(6).outcomes().keySet()).as("stuck calls end with an answer at the upstream timeout")
            .allMatch(outcome -> outcome.startsWith("HTTP 200 error"));
      }
    }
  }
}
