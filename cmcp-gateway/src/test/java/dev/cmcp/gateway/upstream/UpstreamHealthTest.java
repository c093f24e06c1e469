package dev.cmcp.gateway.upstream;

import static dev.cmcp.gateway.upstream.Interop.PATIENT;
import static dev.cmcp.gateway.upstream.Interop.awaitTrue;
import static dev.cmcp.gateway.upstream.Interop.catalog;
import static dev.cmcp.gateway.upstream.Interop.fakeStdioServer;
import static dev.cmcp.gateway.upstream.Interop.freePort;
import static dev.cmcp.gateway.upstream.Interop.node;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cmcp.gateway.catalog.UpstreamServer;
import dev.cmcp.gateway.ops.GatewayMetrics;
import dev.cmcp.gateway.ops.MetricsParsers;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What {@code /readyz} and {@code cmcp_upstream_restarts_total} learn from the upstreams, without probing them per request. */
class UpstreamHealthTest {

  @Test
  void crashedStdioServerIsRestartedAndCounted() throws Exception {
    try (Upstreams upstreams = new Upstreams(catalog(node("fake", fakeStdioServer())), PATIENT)) {
      GatewayMetrics metrics =
          new GatewayMetrics(Set.of(), "enforcing", Instant::now, upstreams::restarts, upstreams::agentSessions, Clock.systemUTC());
      upstreams.start();
      StdioConnection connection = (StdioConnection) upstreams.connection("fake");
      ProcessHandle first = connection.process().orElseThrow();
      assertThat(upstreams.problem("fake")).isEmpty();
      assertThat(MetricsParsers.protobuf(metrics.exposition(MetricsParsers.PROTOBUF).body()))
          .containsEntry("cmcp_upstream_restarts_total{server=\"fake\"}", 0.0);

      first.destroyForcibly();

      awaitTrue("a new child to be started", () -> connection.process().filter(child -> child.pid() != first.pid()).isPresent());
      assertThat(upstreams.restarts()).isEqualTo(Map.of("fake", 1L));
      assertThat(MetricsParsers.protobuf(metrics.exposition(MetricsParsers.PROTOBUF).body()))
          .containsEntry("cmcp_upstream_restarts_total{server=\"fake\"}", 1.0);
      assertThat(upstreams.problem("fake")).isEmpty();
    }
  }

  @Test
  void stdioServerThatCannotStartIsReportedWithItsReason() throws Exception {
    try (Upstreams upstreams = new Upstreams(catalog(node("fake", fakeStdioServer(), "crash")), PATIENT)) {
      upstreams.start();

      awaitTrue("the supervisor to try again", () -> upstreams.restarts().get("fake") >= 1);
      assertThat(upstreams.problem("fake")).hasValueSatisfying(why -> assertThat(why).contains("upstream fake"));
    }
  }

  @Test
  void unreachableHttpServerIsReported() {
    UpstreamServer.StreamableHttp nobody =
        new UpstreamServer.StreamableHttp("remote", URI.create("http://127.0.0.1:" + freePort() + "/mcp"), Map.of());
    try (Upstreams upstreams = new Upstreams(catalog(nobody), new UpstreamSettings(Duration.ofSeconds(2), 1024))) {
      upstreams.start();

      assertThat(upstreams.problem("remote")).hasValueSatisfying(why -> assertThat(why).contains("upstream remote"));
      // HTTP servers are not processes the gateway restarts.
      assertThat(upstreams.restarts()).isEmpty();
    }
  }

  @Test
  void serverOutsideTheCatalogIsAProblem() {
    try (Upstreams upstreams = new Upstreams(catalog(), PATIENT)) {
      assertThat(upstreams.problem("ghost")).hasValue("upstream ghost is not a server in the catalog");
    }
  }
}
