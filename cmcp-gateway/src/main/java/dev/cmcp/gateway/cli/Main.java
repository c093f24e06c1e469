package dev.cmcp.gateway.cli;

import dev.cmcp.gateway.config.LogLevel;
import dev.cmcp.gateway.ops.GatewayLogging;
import java.io.IOException;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code cmcp}: the gateway's command line. Exit codes: 0 success, 1 invalid input (a config,
 * bundle or catalog that fails its checks, a hash mismatch, a gateway that cannot start),
 * 2 usage errors (unknown command or option, missing argument).
 */
@Command(
    name = "cmcp",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Confidential MCP Runtime: a policy-enforcing, auditing gateway for MCP tool calls.",
    subcommands = {
        StartCommand.class, ValidateConfigCommand.class, ValidateBundleCommand.class, ClaimCommand.class, VerifyCommand.class,
        VerifyEvidenceCommand.class, CheckGatewayCommand.class, CatalogCommand.class, TokenCommand.class, AuditCommand.class, TpmCommand.class},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:success", "1:invalid input (config, bundle, catalog, hash mismatch) or startup failure", "2:usage error",
        "3:verify: partially_verified (no check failed, something not established; not success)"},
    footerHeading = "%nEnvironment:%n",
    footer = {
        "  CMCP_DEV_MODE=1           development mode: software-only attestation, whatever attestation.provider says (nothing vouches for it)",
        "  CMCP_BEARER_TOKEN=TOKEN   agents must send Authorization: Bearer TOKEN (16+ characters), one token for every agent:"
            + " the config's auth section gives each agent its own (or OAuth); one of the two is required to listen on a"
            + " non-loopback address; `cmcp claim` sends it (an agent's own token too)",
        "  OPAQUE_ATTESTATION_URL=U  the OPAQUE attestation service, for attestation.provider: opaque",
        "",
        "Run `cmcp COMMAND --help` for a command's options. Documents: README.md, docs/quickstart.md, docs/configuration.md."})
public final class Main implements Runnable {

  public static final int OK = 0;
  public static final int INVALID_INPUT = 1;
  public static final int USAGE = 2;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    // One line per log record on stderr; stdout carries only what the operator asked for. The
    // config's log_format and log_level take over once `start` has read them.
    GatewayLogging.install(GatewayLogging.defaultFormat(), LogLevel.INFO);
    int exit = commandLine().execute(args);
    if (exit != OK || !StartCommand.isServing()) {
      System.exit(exit);
    }
  }

  static CommandLine commandLine() {
    // picocli answers usage errors with 2 and uncaught exceptions with 1, as documented above;
    // an uncaught exception is one line on stderr, never a stack trace (those go to the log at FINE).
    CommandLine main = new CommandLine(new Main()).setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      commandLine.getErr().println(commandLine.getCommandName() + ": " + e.getClass().getSimpleName()
          + (e.getMessage() == null ? "" : ": " + e.getMessage()));
      Logger.getLogger(Main.class.getName()).log(Level.FINE, "uncaught", e);
      return INVALID_INPUT;
    });
    withHelp(main);
    return main;
  }

  /** Every command answers --help and -h (and --version), including one whose annotation forgot to ask for them. */
  private static void withHelp(CommandLine command) {
    CommandLine.Model.CommandSpec spec = command.getCommandSpec();
    if (!spec.mixinStandardHelpOptions()) {
      spec.mixinStandardHelpOptions(true);
      spec.versionProvider(new Version());
    }
    command.getSubcommands().values().forEach(Main::withHelp);
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(),
        "missing command: start, validate-config, validate-bundle, claim, verify, verify-evidence, catalog or token");
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() throws IOException {
      return BuildInfo.ofThisProcess().lines().toArray(String[]::new);
    }
  }
}
