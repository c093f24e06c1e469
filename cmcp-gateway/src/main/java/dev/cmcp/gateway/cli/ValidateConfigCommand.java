package dev.cmcp.gateway.cli;

import dev.cmcp.gateway.catalog.Catalog;
import dev.cmcp.gateway.catalog.CatalogException;
import dev.cmcp.gateway.catalog.CatalogLoader;
import dev.cmcp.gateway.config.ConfigException;
import dev.cmcp.gateway.config.ConfigLoader;
import dev.cmcp.gateway.config.GatewayConfig;
import dev.cmcp.gateway.policy.PolicyBundle;
import dev.cmcp.gateway.policy.PolicyBundleLoader;
import dev.cmcp.gateway.policy.PolicyEngine;
import dev.cmcp.gateway.policy.PolicyException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "validate-config", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    description = "Check a config file and the bundle and catalog it names, without starting anything.")
final class ValidateConfigCommand implements Callable<Integer> {

  @Option(names = "--config", required = true, paramLabel = "PATH", description = "cmcp-config.yaml")
  Path config;

  @Override
  public Integer call() {
    try {
      GatewayConfig loaded = ConfigLoader.load(config);
      PolicyBundle bundle = PolicyBundleLoader.load(loaded.policyBundlePath());
      Catalog catalog = CatalogLoader.load(loaded.catalogPath(), System.getenv());
      new PolicyEngine(bundle, catalog);
      System.out.println("config ok: " + loaded.configFile());
      System.out.println("  enforcement_mode: " + loaded.enforcementMode().configName());
      System.out.println("  policy bundle: " + bundle.bundleHash() + " (" + bundle.policyCount() + " policies)");
      System.out.println("  catalog: " + catalog.catalogHash() + " (" + catalog.tools().size() + " tools)");
      return Main.OK;
    } catch (ConfigException | PolicyException | CatalogException e) {
      System.err.println("cmcp: " + e.getMessage());
      return Main.INVALID_INPUT;
    }
  }
}
