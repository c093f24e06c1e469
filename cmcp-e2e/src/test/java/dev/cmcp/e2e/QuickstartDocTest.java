package dev.cmcp.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/quickstart.md followed literally: every shell block it marks {@code <!-- doc-test: ... -->}
 * is run as written, in order, in a copy of the checkout's layout (links to the built launcher and
 * jars, a copy of examples/quickstart), so the quickstart cannot drift from what the code does and
 * the test writes nothing into the checkout. The one change: port 8443 becomes a free port, since
 * other gateways may run on this machine.
 */
class QuickstartDocTest {

  private static final Pattern MARKED = Pattern.compile("<!-- doc-test: (\\w+)( exit=(\\d+))? -->\\n```sh\\n(.*?)\\n```", Pattern.DOTALL);

  @TempDir Path root;

  record Block(String kind, int exit, String code) {}

  static List<Block> blocks() throws IOException {
    Matcher marked = MARKED.matcher(Files.readString(Repo.root().resolve("docs/quickstart.md")));
    List<Block> blocks = new ArrayList<>();
    while (marked.find()) {
      blocks.add(new Block(marked.group(1), marked.group(3) == null ? 0 : Integer.parseInt(marked.group(3)), marked.group(4)));
    }
    return blocks;
  }

  @Test
  void theQuickstartRunsAsWrittenFromStartToTheVerifiedClaim() throws Exception {
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    layOut(port);
    List<Block> blocks = blocks();
    assertThat(blocks).extracting(Block::kind).containsOnly("gateway", "run").contains("gateway");

    List<String> outputs = new ArrayList<>();
    java.util.Set<String> variables = new java.util.LinkedHashSet<>();
    GatewayProcess gateway = null;
    try {
      for (Block block : blocks) {
        String code = block.code().replace("localhost:8443", "localhost:" + port);
        if (block.kind().equals("gateway")) {
          if (gateway != null) {
            stop(gateway);
          }
          gateway = GatewayProcess.startShell(code, root);
          continue;
        }
        Matcher assigned = Pattern.compile("(?m)^([A-Z_]+)=").matcher(code);
        while (assigned.find()) {
          variables.add(assigned.group(1));
        }
        outputs.add(run(code, block.exit(), variables));
      }
    } finally {
      if (gateway != null) {
        gateway.close();
      }
    }
    String all = String.join("\n", outputs);
    assertThat(all)
        .contains("Alice Moreno")                                   // step 2: allowed
        .contains("written to " + root.resolve("claim.json"))       // step 4: claim --out says where
        .contains("hash matches the expected value")                // step 4: the shipped bundle's hash is the documented one
        .contains("PASS bundle_hash").contains("PASS audit_log").contains("result: partially_verified")
        .contains("tool_call_denied")                               // step 5: blocked in enforcing mode
        .contains("\"name\":\"salesforce.contacts\"").doesNotContain("\"name\":\"salesforce.export_all\"");
    try (Stream<Path> claims = Files.list(root.resolve("examples/quickstart/cmcp-audit/claims"))) {
      assertThat(claims).as("the ended session's claim").isNotEmpty();
    }
    assertThat(Files.readString(root.resolve("examples/quickstart/cmcp-config.yaml"))).as("the last step restores advisory mode")
        .contains("enforcement_mode: advisory");
  }

  /** Ctrl-C, as the quickstart says; the stop says what it did (its last line may still be on its way). */
  private static void stop(GatewayProcess gateway) throws InterruptedException {
    gateway.interrupt();
    for (int i = 0; i < 300 && !gateway.output().contains("audit log closed: "); i++) {
      Thread.sleep(100);
    }
    gateway.close();
    assertThat(gateway.output()).as("the stop says what it did").contains("audit log closed: ");
  }

  /** The checkout's layout as the quickstart sees it, from the repository root. */
  private void layOut(int port) throws IOException {
    Path repo = Repo.root();
    for (String linked : List.of("cmcp", "scripts", "cmcp-gateway")) {
      Files.createSymbolicLink(root.resolve(linked), repo.resolve(linked));
    }
    Path examples = Files.createDirectories(root.resolve("examples"));
    Files.createSymbolicLink(examples.resolve("demo-crm"), repo.resolve("examples/demo-crm"));
    Path quickstart = repo.resolve("examples/quickstart");
    try (Stream<Path> files = Files.walk(quickstart)) {
      for (Path source : files.toList()) {
        Path target = examples.resolve("quickstart").resolve(quickstart.relativize(source).toString());
        if (Files.isDirectory(source)) {
          if (!source.getFileName().toString().equals("cmcp-audit")) {
            Files.createDirectories(target);
          }
        } else if (!quickstart.relativize(source).startsWith("cmcp-audit")) {
          Files.copy(source, target);
        }
      }
    }
    Files.writeString(examples.resolve("quickstart/cmcp-config.yaml"), "listen_addr: \"127.0.0.1:" + port + "\"\n",
        java.nio.file.StandardOpenOption.APPEND);
  }

  /**
   * One block in bash from the layout's root, as if typed into the same terminal as the blocks
   * before it (the shell variables they set are carried over); its exit status must be the documented one.
   */
  private String run(String code, int expectedExit, java.util.Set<String> variables) throws IOException, InterruptedException {
    String script = "[ -f .doc-test-state ] && . ./.doc-test-state\n" + (expectedExit == 0 ? "set -e\n" : "") + code
        + "\nrc=$?\n" + (variables.isEmpty() ? "" : "declare -p " + String.join(" ", variables) + " > .doc-test-state 2>/dev/null\n")
        + "exit $rc\n";
    ProcessBuilder builder = new ProcessBuilder("bash", "-c", script)
        .directory(root.toFile()).redirectErrorStream(true);
    builder.environment().put("CMCP_SKIP_BUILD", "1");
    builder.environment().remove("CMCP_DEV_MODE");
    Process process = builder.start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(120, TimeUnit.SECONDS)).as(code).isTrue();
    assertThat(process.exitValue()).as("exit status of\n" + code + "\n" + output).isEqualTo(expectedExit);
    return output;
  }
}
