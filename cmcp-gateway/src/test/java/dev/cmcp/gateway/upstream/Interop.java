package dev.cmcp.gateway.upstream;

import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.gateway.InteropPackages;
import dev.cmcp.gateway.catalog.Catalog;
import dev.cmcp.gateway.catalog.UpstreamServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/** Shared set-up for the upstream tests: the pinned interop server, the fake servers, catalogs. */
final class Interop {
  static final UpstreamSettings PATIENT = new UpstreamSettings(Duration.ofSeconds(20), 1024 * 1024);

  private Interop() {}

  /** server-everything's launcher; skips the test when interop/node_modules was not installed (fails it in CI). */
  static Path serverEverything() {
    return InteropPackages.require(
        repositoryRoot().resolve("interop/node_modules/@modelcontextprotocol/server-everything/dist/index.js"));
  }

  static Path fakeStdioServer() {
    try {
      return Path.of(Interop.class.getResource("fake-stdio-server.mjs").toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  static UpstreamServer.Stdio node(String name, Path script, String... args) {
    List<String> arguments = new ArrayList<>(List.of(script.toString()));
    arguments.addAll(Arrays.asList(args));
    return new UpstreamServer.Stdio(name, "node", arguments, Map.of(), null);
  }

  static Catalog catalog(UpstreamServer... servers) {
    Map<String, UpstreamServer> byName = new HashMap<>();
    for (UpstreamServer server : servers) {
      byName.put(server.name(), server);
    }
    return new Catalog(byName, Map.of(), "sha256:test");
  }

  static ObjectNode toolCall(String tool, ObjectNode arguments) {
    ObjectNode params = JsonNodeFactory.instance.objectNode().put("name", tool);
    params.set("arguments", arguments);
    return params;
  }

  static ObjectNode echo(String message) {
    return toolCall("echo", JsonNodeFactory.instance.objectNode().put("message", message));
  }

  static ObjectNode longRunning(int seconds) {
    return toolCall(
        "trigger-long-running-operation",
        JsonNodeFactory.instance.objectNode().put("duration", seconds).put("steps", 1));
  }

  /** The text of the first content item of a tools/call answer. */
  static String text(JsonNode answer) {
    return answer.path("result").path("content").path(0).path("text").asText();
  }

  static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Waits for something the test cannot be told about directly, failing after a generous bound. */
  static void awaitTrue(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        fail("gave up waiting: " + what);
      }
      Thread.sleep(20);
    }
  }

  private static Path repositoryRoot() {
    String root = System.getProperty("cmcp.repo.root");
    return root != null ? Path.of(root) : Path.of("").toAbsolutePath().getParent();
  }
}
