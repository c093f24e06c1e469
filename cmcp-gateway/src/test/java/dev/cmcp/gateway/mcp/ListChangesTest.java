package dev.cmcp.gateway.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.gateway.audit.AuditFixtures;
import dev.cmcp.gateway.catalog.Catalog;
import dev.cmcp.gateway.catalog.CatalogPrompt;
import dev.cmcp.gateway.catalog.CatalogTool;
import dev.cmcp.gateway.catalog.UpstreamServer;
import dev.cmcp.gateway.policy.ActivePolicy;
import dev.cmcp.gateway.policy.PolicyBundle;
import dev.cmcp.gateway.policy.PolicyBundleLoader;
import dev.cmcp.gateway.policy.PolicyEngine;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Telling list changes: bursts coalesce, nobody waits for an agent, and a reload names the lists it may change. */
class ListChangesTest {

  @TempDir Path dir;

  private static final ListChanges.Kind TOOLS = ListChanges.Kind.TOOLS;
  private static final ListChanges.Kind PROMPTS = ListChanges.Kind.PROMPTS;
  private static final ListChanges.Kind RESOURCES = ListChanges.Kind.RESOURCES;

  @Test
  void aBurstWhileAgentsAreBeingToldIsToldOnceMorePerKindAndTheCallerNeverWaits() throws Exception {
    BlockingQueue<Set<ListChanges.Kind>> rounds = new LinkedBlockingQueue<>();
    CountDownLatch telling = new CountDownLatch(1);
    CountDownLatch agentsSlow = new CountDownLatch(1);
    ListChanges changes = new ListChanges(kinds -> {
      rounds.add(kinds);
      telling.countDown();
      try {
        // The first round is held here, as a round that somehow took long would be.
        agentsSlow.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });

    changes.changed(EnumSet.of(TOOLS));
    assertThat(telling.await(20, TimeUnit.SECONDS)).isTrue();
    // While the round is held, the reader that learns of changes goes on: these return (or the test would hang).
    for (int i = 0; i < 1000; i++) {
      changes.changed(EnumSet.of(TOOLS));
    }
    changes.changed(EnumSet.of(PROMPTS));
    agentsSlow.countDown();

    assertThat(rounds.poll(20, TimeUnit.SECONDS)).containsExactly(TOOLS);
    assertThat(rounds.poll(20, TimeUnit.SECONDS)).containsExactly(TOOLS, PROMPTS);
    // Nothing else was left to tell: the next change is a round of its own.
    changes.changed(EnumSet.of(RESOURCES));
    assertThat(rounds.poll(20, TimeUnit.SECONDS)).containsExactly(RESOURCES);
  }

  @Test
  void aStreamHoldsOneListChangeOfEachKindHoweverManyCome() throws Exception {
    SessionStreams streams = new SessionStreams();
    SessionStreams.Stream stream = streams.open("s");
    for (int i = 0; i < 1000; i++) {
      assertThat(streams.sendListChange("s", notification(TOOLS))).isEqualTo(SessionStreams.ListChangeSent.QUEUED);
      streams.sendListChange("s", notification(PROMPTS));
    }
    assertThat(stream.next(0).orElseThrow().path("method").asText()).isEqualTo(TOOLS.method());
    assertThat(stream.next(0).orElseThrow().path("method").asText()).isEqualTo(PROMPTS.method());
    assertThat(stream.next(0)).isEmpty();
    // Once taken, the next change is queued again.
    streams.sendListChange("s", notification(TOOLS));
    assertThat(stream.next(0).orElseThrow().path("method").asText()).isEqualTo(TOOLS.method());
  }

  @Test
  void aFullStreamDropsAListChangeAtOnceAndOtherSessionsStillGetIt() throws Exception {
    SessionStreams streams = new SessionStreams();
    SessionStreams.Stream unread = streams.open("slow");
    SessionStreams.Stream read = streams.open("quick");
    ObjectNode update = JsonNodeFactory.instance.objectNode().put("method", "notifications/resources/updated");
    while (streams.send("slow", update)) {
      // An agent that reads nothing: its queue fills up.
    }

    assertThat(streams.sendListChange("slow", notification(TOOLS))).isEqualTo(SessionStreams.ListChangeSent.DROPPED);
    assertThat(streams.sendListChange("quick", notification(TOOLS))).isEqualTo(SessionStreams.ListChangeSent.QUEUED);
    assertThat(read.next(0).orElseThrow().path("method").asText()).isEqualTo(TOOLS.method());
    // Dropped, not remembered as queued: once the slow agent reads, a later change is queued.
    for (int i = 0; i < SessionStreams.MAX_QUEUED; i++) {
      assertThat(unread.next(0)).isPresent();
    }
    assertThat(streams.sendListChange("slow", notification(TOOLS))).isEqualTo(SessionStreams.ListChangeSent.QUEUED);
  }

  @Test
  void aSessionWithoutAStreamGetsItsListChangesOnItsNextStreamOnlyWhileItIsOpen() throws Exception {
    SessionStreams streams = new SessionStreams();
    assertThat(streams.sendListChange("s", notification(TOOLS))).isEqualTo(SessionStreams.ListChangeSent.KEPT);
    assertThat(streams.sendListChange("s", notification(TOOLS))).isEqualTo(SessionStreams.ListChangeSent.KEPT);
    assertThat(streams.sendListChange("ended", notification(TOOLS))).isEqualTo(SessionStreams.ListChangeSent.KEPT);
    streams.keepListChangesOnlyFor(Set.of("s"));

    SessionStreams.Stream stream = streams.open("s");
    assertThat(stream.next(0).orElseThrow().path("method").asText()).isEqualTo(TOOLS.method());
    assertThat(stream.next(0)).isEmpty();
    assertThat(streams.open("ended").next(0)).isEmpty();
  }

  @Test
  void aReloadNamesTheListsItMayChange() throws Exception {
    Catalog catalog = catalog(Map.of("a.x", tool("a.x")), Map.of());
    ActivePolicy old = policy("permit (principal, action, resource);", catalog);
    ActivePolicy newBundle = policy("permit (principal, action == Action::\"call_tool\", resource);", catalog);

    assertThat(ListChanges.changedBy(old, newBundle, true)).containsExactly(TOOLS, PROMPTS, RESOURCES);
    // Lists not filtered by the policy (advisory, silent) do not follow the bundle.
    assertThat(ListChanges.changedBy(old, newBundle, false)).isEmpty();

    ActivePolicy newTools = new ActivePolicy(old.bundle(), catalog(Map.of("a.y", tool("a.y")), Map.of()), old.engine());
    assertThat(ListChanges.changedBy(old, newTools, true)).containsExactly(TOOLS);
    ActivePolicy newPrompts = new ActivePolicy(old.bundle(),
        catalog(Map.of("a.x", tool("a.x")), Map.of("p", new CatalogPrompt("p", "a", "p"))), old.engine());
    assertThat(ListChanges.changedBy(old, newPrompts, true)).containsExactly(PROMPTS);
  }

  private static ObjectNode notification(ListChanges.Kind kind) {
    return JsonNodeFactory.instance.objectNode().put("jsonrpc", "2.0").put("method", kind.method());
  }

  private static CatalogTool tool(String name) {
    return new CatalogTool(name, "a", name.substring(2), Map.of());
  }

  private static Catalog catalog(Map<String, CatalogTool> tools, Map<String, CatalogPrompt> prompts) {
    return new Catalog(Map.of("a", new UpstreamServer.Stdio("a", "node", List.of("a.mjs"), Map.of(), null)), tools,
        AuditFixtures.CATALOG_HASH, prompts, List.of());
  }

  private ActivePolicy policy(String cedar, Catalog catalog) throws Exception {
    Path bundleDir = Files.createDirectories(dir.resolve("bundle-" + System.nanoTime()));
    Files.writeString(bundleDir.resolve("manifest.json"),
        "{\"version\": \"1.0.0\", \"authored_at\": \"2026-01-01T00:00:00Z\", \"author_identity\": \"t@example.com\", \"commit_sha\": \"t\"}");
    Files.writeString(bundleDir.resolve("p.cedar"), cedar);
    PolicyBundle bundle = PolicyBundleLoader.load(bundleDir);
    return new ActivePolicy(bundle, catalog, new PolicyEngine(bundle, catalog));
  }
}
