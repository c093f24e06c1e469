package dev.cmcp.e2e;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Writes the config, catalog and bundle of a test deployment into a temporary folder. */
final class Deployments {

  private Deployments() {}

  /** The quickstart, with the given mode, on a free loopback port, its CRM logging calls to {@code callLog}. */
  static Path quickstart(Path dir, String mode, Path callLog) throws IOException {
    return quickstart(dir, mode, callLog, Map.of());
  }

  /** As above, with extra top-level config lines (audit_dir, claim_granularity, ...). */
  static Path quickstart(Path dir, String mode, Path callLog, Map<String, String> extraConfig) throws IOException {
    return quickstart(dir, mode, callLog, extraConfig, Map.of("provider", "auto"));
  }

  /**
   * As above, with these {@code attestation} settings ({@code provider}, {@code tpm_device}, ...)
   * instead of {@code provider: auto}.
   */
  static Path quickstart(Path dir, String mode, Path callLog, Map<String, String> extraConfig, Map<String, String> attestation)
      throws IOException {
    ObjectNode catalog = (ObjectNode) McpClient.JSON.readTree(Repo.quickstart().resolve("catalog.json").toFile());
    ObjectNode crm = (ObjectNode) catalog.path("servers").path("salesforce");
    ArrayNode args = crm.putArray("args");
    args.add("-jar").add(Repo.demoCrmJar().toString());
    crm.putObject("env").put("DEMO_CRM_CALL_LOG", callLog.toString());
    Path catalogFile = dir.resolve("catalog.json");
    McpClient.JSON.writerWithDefaultPrettyPrinter().writeValue(catalogFile.toFile(), catalog);
    return config(dir, mode, Repo.quickstart().resolve("policies"), catalogFile, extraConfig, attestation);
  }

  /** A deployment fronting server-everything over stdio, with a permit-all bundle. */
  static Path everything(Path dir, Map<String, String> extraConfig) throws IOException {
    String catalog = """
        {
          "servers": {
            "everything": {"transport": "stdio", "command": "node", "args": ["%s", "stdio"]}
          },
          "tools": [
            {"tool_name": "everything.echo", "server": "everything"},
            {"tool_name": "everything.get-sum", "server": "everything"}
          ]
        }
        """.formatted(Repo.serverEverything().toString().replace("\\", "\\\\"));
    Path catalogFile = dir.resolve("catalog.json");
    Files.writeString(catalogFile, catalog);
    Path bundle = Files.createDirectories(dir.resolve("bundle"));
    Files.writeString(bundle.resolve("manifest.json"), """
        {"version": "1.0.0", "authored_at": "2026-11-25T00:00:00Z", "author_identity": "e2e@example.com", "commit_sha": "e2e"}
        """);
    Files.writeString(bundle.resolve("everything.cedar"), """
        @id("agents-may-call-everything")
        permit (principal, action == Action::"call_tool", resource in Server::"everything");
        """);
    return config(dir, "enforcing", bundle, catalogFile, extraConfig, Map.of("provider", "auto"));
  }

  /**
   * A deployment of the given catalog whose bundle permits every action of every agent, for
   * tests of the MCP traffic itself rather than of policy.
   */
  static Path permitAll(Path dir, ObjectNode catalog) throws IOException {
    return permitAll(dir, catalog, Map.of());
  }

  /** As above, with these further top-level settings (e.g. {@code policy_reload_interval_seconds}). */
  static Path permitAll(Path dir, ObjectNode catalog, Map<String, String> extraConfig) throws IOException {
    Path catalogFile = dir.resolve("catalog.json");
    McpClient.JSON.writerWithDefaultPrettyPrinter().writeValue(catalogFile.toFile(), catalog);
    Path bundle = Files.createDirectories(dir.resolve("bundle"));
    Files.writeString(bundle.resolve("manifest.json"), """
        {"version": "1.0.0", "authored_at": "2026-11-25T00:00:00Z", "author_identity": "e2e@example.com", "commit_sha": "e2e"}
        """);
    Files.writeString(bundle.resolve("permit-all.cedar"), """
        @id("interop-permits-everything")
        permit (principal, action, resource);
        """);
    return config(dir, "enforcing", bundle, catalogFile, extraConfig, Map.of("provider", "auto"));
  }

  /**
   * A deployment fronting the PII test server as {@code crm} (tools crm.contacts and crm.notes)
   * under the given policies.
   *
   * @param serverEnv the server's env in the catalog; values may hold ${NAME} references
   */
  static Path piiServer(Path dir, String mode, String policies, Map<String, String> serverEnv) throws IOException {
    ObjectNode catalog = McpClient.JSON.createObjectNode();
    ObjectNode crm = catalog.putObject("servers").putObject("crm");
    crm.put("transport", "stdio").put("command", "node");
    crm.putArray("args").add(Repo.piiServer().toString());
    ObjectNode env = crm.putObject("env");
    serverEnv.forEach(env::put);
    ArrayNode tools = catalog.putArray("tools");
    tools.addObject().put("tool_name", "crm.contacts").put("server", "crm").put("sensitivity_level", "pii");
    tools.addObject().put("tool_name", "crm.notes").put("server", "crm");
    Path catalogFile = dir.resolve("catalog.json");
    McpClient.JSON.writerWithDefaultPrettyPrinter().writeValue(catalogFile.toFile(), catalog);
    Path bundle = Files.createDirectories(dir.resolve("bundle"));
    Files.writeString(bundle.resolve("manifest.json"), """
        {"version": "1.0.0", "authored_at": "2026-11-25T00:00:00Z", "author_identity": "e2e@example.com", "commit_sha": "e2e"}
        """);
    Files.writeString(bundle.resolve("crm.cedar"), policies);
    return config(dir, mode, bundle, catalogFile, Map.of(), Map.of("provider", "auto"));
  }

  private static Path config(Path dir, String mode, Path bundle, Path catalog, Map<String, String> extra,
      Map<String, String> attestation) throws IOException {
    StringBuilder yaml = new StringBuilder("attestation:\n");
    attestation.forEach((key, value) -> yaml.append("  ").append(key).append(": ").append(value).append('\n'));
    yaml.append("  enforcement_mode: ").append(mode).append('\n');
    yaml.append("policy_bundle_path: ").append(bundle).append('\n');
    yaml.append("catalog_path: ").append(catalog).append('\n');
    yaml.append("listen_addr: \"127.0.0.1:0\"\n");
    if (!extra.containsKey("audit_dir")) {
      yaml.append("audit_dir: ").append(dir.resolve("audit")).append('\n');
    }
    extra.forEach((key, value) -> yaml.append(key).append(": ").append(value).append('\n'));
    Path config = dir.resolve("cmcp-config.yaml");
    Files.writeString(config, yaml);
    return config;
  }
}
