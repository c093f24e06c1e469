package dev.cmcp.gateway.cli;

import dev.cmcp.gateway.Gateway;
import dev.cmcp.gateway.Preflight;
import dev.cmcp.gateway.config.ConfigException;
import dev.cmcp.gateway.config.ConfigLoader;
import dev.cmcp.gateway.config.EnforcementMode;
import dev.cmcp.gateway.config.GatewayConfig;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "validate-config", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    description = {"Check a config and the bundle and catalog it names: every check `cmcp start` makes before it binds the port",
        "and starts anything (environment variables, listen address, bundle, catalog, attestation provider, audit folder),",
        "with the same messages. Reads the environment as start would."})
final class ValidateConfigCommand implements Callable<Integer> {

  @Option(names = "--config", required = true, paramLabel = "PATH", description = "cmcp-config.yaml")
  Path config;

  @Option(names = "--config-only", description = {"Check the config, bundle and catalog only, for a config meant for another machine",
      "(a TEE host, a pod): not whether this machine has the attestation hardware or may write audit_dir (the output says so)."})
  boolean configOnly;

  @Override
  public Integer call() {
    Preflight checked;
    try {
      GatewayConfig loaded = ConfigLoader.load(config);
      checked = Preflight.check(loaded, System.getenv(), configOnly ? Preflight.Scope.CONFIG_ONLY : Preflight.Scope.THIS_MACHINE);
    } catch (ConfigException | Gateway.StartupException e) {
      System.err.println("cmcp: " + e.getMessage());
      return Main.INVALID_INPUT;
    }
    GatewayConfig loaded = checked.config();
    System.out.println("config ok: " + loaded.configFile());
    System.out.println("  enforcement_mode: " + loaded.enforcementMode().configName());
    System.out.println("  policy bundle: " + checked.bundle().bundleHash() + " (" + checked.bundle().policyCount() + " policies)");
    System.out.println("  catalog: " + checked.catalog().catalogHash() + " (" + checked.catalog().tools().size() + " tools)");
    System.out.println("  attestation provider: " + checked.attestation().provider().configName());
    checked.attestation().notes().forEach(note -> System.out.println("    " + note));
    Optional<String> port = Preflight.portProblem(checked.address());
    // Not an error: the gateway this config is for may be the program holding the port.
    System.out.println("  listen_addr: " + checked.address() + (checked.env().bearerToken().isPresent() ? " (bearer token required)" : "")
        + port.map(problem -> " (in use now: a gateway started with this config, or another program)").orElse(""));
    System.out.println("  audit_dir: " + (loaded.enforcementMode() == EnforcementMode.SILENT
        ? "none written (enforcement_mode silent)" : loaded.auditDir() + (configOnly ? " (not checked on this machine: --config-only)" : "")));
    return Main.OK;
  }
}
