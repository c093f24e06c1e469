package dev.cmcp.gateway.cli;

import dev.cmcp.verify.base.Digests;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(name = "token", mixinStandardHelpOptions = true, versionProvider = Main.Version.class, description = "Work with agent tokens.",
    subcommands = TokenCommand.Hash.class)
final class TokenCommand implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "missing command: hash");
  }

  /** Reads the token from standard input, so that it never appears in a process list or shell history. */
  @Command(name = "hash", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
      description = {
          "Read an agent's token from standard input and print its SHA-256 in hex: the token_sha256 of auth.agents.",
          "Example: openssl rand -hex 32 > agent.token && cmcp token hash < agent.token"})
  static final class Hash implements Callable<Integer> {

    /** Far longer than any token; the input is not read past it. */
    static final int MAX_TOKEN_BYTES = 16 * 1024;

    @Override
    public Integer call() throws IOException {
      return run(System.in, System.out, System.err);
    }

    static int run(InputStream in, PrintStream out, PrintStream err) throws IOException {
      byte[] read = in.readNBytes(MAX_TOKEN_BYTES + 1);
      if (read.length > MAX_TOKEN_BYTES) {
        err.println("cmcp token hash: the input is longer than " + MAX_TOKEN_BYTES + " bytes; give the token alone");
        return Main.INVALID_INPUT;
      }
      // One trailing newline (from echo or a file) is not part of the token an agent sends.
      String token = new String(read, StandardCharsets.UTF_8).strip();
      if (token.length() < 16 || !token.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
        err.println("cmcp token hash: a token must be at least 16 printable ASCII characters without spaces "
            + "(an Authorization header carries it); make one with: openssl rand -hex 32");
        return Main.INVALID_INPUT;
      }
      out.println(Digests.sha256Hex(token.getBytes(StandardCharsets.UTF_8)));
      return Main.OK;
    }
  }
}
