package dev.cmcp.gateway.cli;

import dev.cmcp.gateway.config.ListenAddress;
import dev.cmcp.gateway.explorer.ExplorerServer;
import dev.cmcp.verify.evidence.TrustStore;
import dev.cmcp.verify.evidence.TrustStoreException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code cmcp audit}: tools over an audit folder. */
@Command(name = "audit", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    description = "Look at an audit folder.", subcommands = AuditCommand.Serve.class)
final class AuditCommand implements Runnable {

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** {@code cmcp audit serve}: the audit explorer, until stopped. */
  @Command(name = "serve", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
      description = {
          "Serve a read-only web page over an audit folder: sessions and calls with their decisions, policies,"
              + " redactions and outcomes; each epoch's chain and each claim verified; filters, CSV export, a chart.",
          "Runs until stopped (Ctrl-C). Not part of the gateway: it writes nothing and shares nothing with it."})
  static final class Serve implements Callable<Integer> {

    @Option(names = "--audit-dir", required = true, paramLabel = "DIR", description = "the gateway's audit_dir (audit-<epoch>.jsonl files)")
    Path auditDir;

    @Option(names = "--claims", paramLabel = "DIR", description = "the claim files (default: DIR/claims under --audit-dir)")
    Optional<Path> claims;

    @Option(names = "--listen", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:8090",
        description = "where to serve (default: ${DEFAULT-VALUE}); a non-loopback address shows the log to anyone who can connect")
    String listen;

    @Option(names = "--certs", paramLabel = "DIR", description = "certificates and collateral for hardware evidence in claims")
    Optional<Path> certs;

    @Override
    public Integer call() throws Exception {
      ListenAddress address;
      try {
        address = ListenAddress.parse(listen, true);
      } catch (IllegalArgumentException e) {
        System.err.println("cmcp audit serve: --listen: " + e.getMessage());
        return Main.USAGE;
      }
      if (!Files.isDirectory(auditDir)) {
        System.err.println("cmcp audit serve: --audit-dir " + auditDir + ": no such folder; give the gateway's audit_dir");
        return Main.INVALID_INPUT;
      }
      TrustStore trustStore;
      try {
        trustStore = certs.isPresent() ? TrustStore.load(certs.get()) : TrustStore.empty();
      } catch (TrustStoreException e) {
        System.err.println("cmcp audit serve: --certs: " + e.getMessage());
        return Main.INVALID_INPUT;
      }
      ExplorerServer server;
      try {
        server = new ExplorerServer(address, auditDir.toAbsolutePath(),
            claims.orElse(auditDir.resolve("claims")).toAbsolutePath(), trustStore, Clock.systemUTC());
      } catch (IOException e) {
        System.err.println("cmcp audit serve: --listen " + listen + ": cannot listen: " + e.getMessage());
        return Main.INVALID_INPUT;
      }
      if (!address.isLoopback()) {
        System.err.println("cmcp audit serve: warning: " + listen + " is reachable from other machines, and the page has no login");
      }
      System.out.println("[cmcp] audit explorer on http://" + new ListenAddress(address.host(), server.port(), true)
          + "/ (read-only; Ctrl-C stops it)");
      System.out.flush();
      CountDownLatch stopped = new CountDownLatch(1);
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        server.close();
        stopped.countDown();
      }));
      stopped.await();
      return Main.OK;
    }
  }
}
