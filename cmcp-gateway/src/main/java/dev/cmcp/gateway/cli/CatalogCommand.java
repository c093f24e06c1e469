package dev.cmcp.gateway.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.gateway.catalog.Catalog;
import dev.cmcp.gateway.catalog.CatalogException;
import dev.cmcp.gateway.catalog.CatalogLoader;
import dev.cmcp.gateway.catalog.CatalogPins;
import dev.cmcp.gateway.catalog.CatalogTool;
import dev.cmcp.gateway.catalog.DefinitionHash;
import dev.cmcp.gateway.upstream.UpstreamException;
import dev.cmcp.gateway.upstream.UpstreamSettings;
import dev.cmcp.gateway.upstream.Upstreams;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "catalog", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    description = "Work on a catalog.json.", subcommands = CatalogCommand.Pin.class)
final class CatalogCommand implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "missing command: pin");
  }

  @Command(name = "pin", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
      description = {
          "Start the catalog's servers, read their tools and write each tool's current definition_hash into the catalog.",
          "Review what the servers offer before pinning it: a pin approves the definition as it is now."})
  static final class Pin implements Callable<Integer> {

    private static final UpstreamSettings SETTINGS = new UpstreamSettings(Duration.ofSeconds(30), 16L * 1024 * 1024);

    @Option(names = "--catalog", required = true, paramLabel = "PATH", description = "the catalog.json to pin")
    Path catalogFile;

    @Override
    public Integer call() {
      Map<String, String> environment = System.getenv();
      Catalog catalog;
      try {
        catalog = CatalogLoader.load(catalogFile, environment);
      } catch (CatalogException e) {
        System.err.println("cmcp: " + e.getMessage());
        return Main.INVALID_INPUT;
      }
      Map<String, String> hashes = new LinkedHashMap<>();
      List<String> problems = new ArrayList<>();
      try (Upstreams upstreams = new Upstreams(catalog, SETTINGS)) {
        upstreams.start();
        List<CatalogTool> tools = catalog.tools().values().stream().sorted(Comparator.comparing(CatalogTool::toolName)).toList();
        for (CatalogTool tool : tools) {
          try {
            Optional<ObjectNode> definition = upstreams.tool(tool.server(), tool.upstreamName());
            if (definition.isEmpty()) {
              problems.add(tool.toolName() + ": server " + tool.server() + " offers no tool named " + tool.upstreamName());
            } else {
              hashes.put(tool.toolName(), DefinitionHash.of(definition.get()));
            }
          } catch (UpstreamException e) {
            problems.add(tool.toolName() + ": " + e.getMessage());
          }
        }
      }
      if (!problems.isEmpty()) {
        problems.forEach(problem -> System.err.println("cmcp: " + problem));
        System.err.println("cmcp: nothing was written; fix the catalog or start the servers, then pin again");
        return Main.INVALID_INPUT;
      }
      List<CatalogPins.Change> changes;
      Catalog pinned;
      try {
        changes = CatalogPins.write(catalogFile, hashes, environment);
        pinned = CatalogLoader.load(catalogFile, environment);
      } catch (CatalogException e) {
        System.err.println("cmcp: " + e.getMessage());
        return Main.INVALID_INPUT;
      }
      for (CatalogPins.Change change : changes) {
        if (change.before().isEmpty()) {
          System.out.println("pinned    " + change.toolName() + " " + change.after());
        } else if (change.changed()) {
          System.out.println("changed   " + change.toolName() + " " + change.before().get() + " -> " + change.after());
        } else {
          System.out.println("unchanged " + change.toolName() + " " + change.after());
        }
      }
      System.out.println("catalog_hash: " + pinned.catalogHash());
      return Main.OK;
    }
  }
}
