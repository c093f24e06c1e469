package dev.cmcp.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Agents' sessions and the upstream's, through the gateway to server-everything over Streamable
 * HTTP. Its {@code toggle-simulated-logging} tool keeps state per upstream session and names that
 * session in its answer, so what an agent sees shows whose upstream session it used. The same
 * server is in the catalog twice: {@code own} (the default, {@code session_mode: per_agent}) and
 * {@code common} ({@code session_mode: shared}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class UpstreamSessionsTest {

  private static final String RESOURCE = "demo://resource/static/document/architecture.md";
  private static final Pattern UPSTREAM_SESSION = Pattern.compile("(Started|Stopped) simulated.* for session ([0-9a-f-]{36})");

  @TempDir static Path dir;
  private NodeServer everything;
  private GatewayProcess gateway;

  @BeforeAll
  void start() throws Exception {
    everything = NodeServer.everythingOverHttp();
    Catalog catalog = new Catalog()
        .httpServer("own", everything.mcpUrl())
        .tool("own", "toggle-simulated-logging")
        .tool("own", "toggle-subscriber-updates")
        .resourceOwner("demo://", "own")
        .httpServer("common", everything.mcpUrl())
        .sessionMode("common", "shared")
        .tool("common", "toggle-simulated-logging");
    gateway = GatewayProcess.start(Deployments.permitAll(dir, catalog.json()), Map.of("CMCP_DEV_MODE", "1"));
  }

  @AfterAll
  void stop() throws Exception {
    try (GatewayProcess g = gateway; NodeServer e = everything) {
      // closes both, the gateway first
    }
  }

  /** What the tool did, and in which upstream session. */
  private record Toggle(String what, String upstreamSession) {}

  private static Toggle toggle(StreamableSession agent, String server) throws Exception {
    String text = agent.request("tools/call", "{\"name\":\"" + server + ".toggle-simulated-logging\",\"arguments\":{}}")
        .path("result").path("content").path(0).path("text").asText();
    Matcher matcher = UPSTREAM_SESSION.matcher(text);
    assertThat(matcher.find()).as("the tool's answer: %s", text).isTrue();
    return new Toggle(matcher.group(1), matcher.group(2));
  }

  @Test
  void eachAgentSessionHasItsOwnUpstreamSessionAndItsStateLastsAcrossItsCalls() throws Exception {
    StreamableSession alice = StreamableSession.open(gateway.baseUrl() + "/mcp");
    StreamableSession bob = StreamableSession.open(gateway.baseUrl() + "/mcp");

    Toggle aliceOn = toggle(alice, "own");
    Toggle bobOn = toggle(bob, "own");
    Toggle aliceOff = toggle(alice, "own");

    assertThat(aliceOn.what()).isEqualTo("Started");
    assertThat(bobOn.what()).as("alice's state is not bob's").isEqualTo("Started");
    assertThat(bobOn.upstreamSession()).isNotEqualTo(aliceOn.upstreamSession());
    assertThat(aliceOff).as("alice's second call, in alice's upstream session").isEqualTo(new Toggle("Stopped", aliceOn.upstreamSession()));
    bob.end();
    alice.end();
  }

  @Test
  void aResourceUpdateInOneAgentsUpstreamSessionReachesThatAgentOnly() throws Exception {
    StreamableSession alice = StreamableSession.open(gateway.baseUrl() + "/mcp");
    StreamableSession bob = StreamableSession.open(gateway.baseUrl() + "/mcp");
    List<JsonNode> aliceHeard = new CopyOnWriteArrayList<>();
    List<JsonNode> bobHeard = new CopyOnWriteArrayList<>();
    alice.listen(aliceHeard);
    bob.listen(bobHeard);
    String subscribe = "{\"uri\":\"" + RESOURCE + "\"}";
    assertThat(alice.request("resources/subscribe", subscribe).has("result")).isTrue();
    assertThat(bob.request("resources/subscribe", subscribe).has("result")).isTrue();

    // server-everything sends updates of the subscribed resources to the session that asks for them.
    alice.request("tools/call", "{\"name\":\"own.toggle-subscriber-updates\",\"arguments\":{}}");
    long deadline = System.nanoTime() + 15_000_000_000L;
    while (aliceHeard.stream().noneMatch(UpstreamSessionsTest::isUpdate) && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    Thread.sleep(500);

    assertThat(aliceHeard).as("alice asked in her upstream session").anyMatch(UpstreamSessionsTest::isUpdate);
    assertThat(bobHeard).as("bob subscribed too, in his own upstream session, which sends nothing").noneMatch(UpstreamSessionsTest::isUpdate);
    alice.end();
    bob.end();
  }

  private static boolean isUpdate(JsonNode message) {
    return message.path("method").asText().equals("notifications/resources/updated")
        && message.path("params").path("uri").asText().equals(RESOURCE);
  }

  @Test
  void endingAnAgentSessionEndsItsUpstreamSession() throws Exception {
    StreamableSession agent = StreamableSession.open(gateway.baseUrl() + "/mcp");
    Toggle on = toggle(agent, "own");

    assertThat(agent.end()).isEqualTo(204);

    String goodbye = "Received session termination request for session " + on.upstreamSession();
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (everything.output().stream().noneMatch(line -> line.contains(goodbye)) && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertThat(everything.output()).as("the upstream was sent DELETE for the agent's session").anyMatch(line -> line.contains(goodbye));
  }

  @Test
  void inSharedModeEveryAgentUsesTheServersOneSession() throws Exception {
    StreamableSession alice = StreamableSession.open(gateway.baseUrl() + "/mcp");
    StreamableSession bob = StreamableSession.open(gateway.baseUrl() + "/mcp");

    Toggle first = toggle(alice, "common");
    Toggle second = toggle(bob, "common");

    assertThat(second.upstreamSession()).isEqualTo(first.upstreamSession());
    assertThat(second.what()).as("bob undid what alice did: they share the session's state").isNotEqualTo(first.what());
    alice.end();
    bob.end();
    assertThat(everything.output()).as("the shared session outlives the agents'")
        .noneMatch(line -> line.contains("termination request for session " + first.upstreamSession()));
  }
}
