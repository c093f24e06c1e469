package dev.cmcp.gateway.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/** Every command answers --help and -h with its usage and exit 0, even when it has required options. */
class HelpTest {

  /** Each command's path below {@code cmcp}, found by walking the command tree (a new command is covered by itself). */
  static List<List<String>> commands() {
    List<List<String>> paths = new ArrayList<>();
    walk(Main.commandLine(), new ArrayList<>(), paths);
    return paths;
  }

  private static void walk(CommandLine command, List<String> path, List<List<String>> paths) {
    paths.add(List.copyOf(path));
    command.getSubcommands().forEach((name, sub) -> {
      List<String> deeper = new ArrayList<>(path);
      deeper.add(name);
      walk(sub, deeper, paths);
    });
  }

  private record Run(int exit, String out, String err) { }

  private static Run cmcp(List<String> args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine commandLine = Main.commandLine();
    commandLine.setOut(new PrintWriter(out, true));
    commandLine.setErr(new PrintWriter(err, true));
    int exit = commandLine.execute(args.toArray(String[]::new));
    return new Run(exit, out.toString(), err.toString());
  }

  @ParameterizedTest
  @MethodSource("commands")
  void everyCommandAnswersHelpWithItsUsageAndExitZero(List<String> path) {
    for (String flag : List.of("--help", "-h")) {
      List<String> args = new ArrayList<>(path);
      args.add(flag);
      Run run = cmcp(args);
      assertThat(run.exit()).as("cmcp %s", String.join(" ", args)).isEqualTo(Main.OK);
      assertThat(run.out()).as("cmcp %s", String.join(" ", args))
          .startsWith("Usage: cmcp" + (path.isEmpty() ? "" : " " + String.join(" ", path)));
      assertThat(run.err()).isEmpty();
    }
  }

  @Test
  void theTreeHasEveryDocumentedCommand() {
    assertThat(commands()).contains(List.of("start"), List.of("validate-config"), List.of("validate-bundle"), List.of("claim"),
        List.of("verify"), List.of("verify-evidence"), List.of("check-gateway"), List.of("catalog", "pin"), List.of("audit", "serve"));
  }

  @Test
  void topLevelHelpListsTheEnvironmentVariables() {
    String usage = cmcp(List.of("--help")).out();
    assertThat(usage).contains("Environment:", "CMCP_DEV_MODE", "CMCP_BEARER_TOKEN", "OPAQUE_ATTESTATION_URL");
  }

  @Test
  void aMissingRequiredOptionIsStillAUsageError() {
    Run run = cmcp(List.of("start"));
    assertThat(run.exit()).isEqualTo(Main.USAGE);
    assertThat(run.err()).contains("--config");
  }
}
