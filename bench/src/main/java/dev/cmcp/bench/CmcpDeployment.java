package dev.cmcp.bench;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The gateway's files for a run: config (enforcing by default, audit log on disk, loopback port 0), a catalog
 * with the echo upstream as a Streamable HTTP server, and a bundle of per-tool permits of which
 * the last lets the bench agent call {@code echo.echo}.
 */
final class CmcpDeployment {

  static final String ECHO_TOOL = "echo.echo";

  private CmcpDeployment() {}

  /**
   * Writes the files into {@code dir}; returns the config file. {@code mode} other than {@code
   * enforcing} is for diagnosis: {@code silent} keeps no audit log and logs no calls. With {@code
   * tls} the gateway serves HTTPS with a key pair it generates at start ({@code tls.mode: generate}).
   */
  static Path write(Path dir, URI upstream, int policies, String mode, boolean tls) throws IOException {
    return write(dir, upstream, policies, mode, tls, "auto", "");
  }

  /**
   * As above, with {@code provider} as {@code attestation.provider} and {@code tpmDevice} as its
   * {@code tpm_device} (empty: the default).
   */
  static Path write(Path dir, URI upstream, int policies, String mode, boolean tls, String provider, String tpmDevice)
      throws IOException {
    if (policies < 1) {
      throw new IllegalArgumentException("the bundle needs at least the bench agent's permit");
    }
    Path bundle = Files.createDirectories(dir.resolve("bundle"));
    Files.writeString(bundle.resolve("manifest.json"), """
        {"version": "bench-%d", "authored_at": "2026-11-25T00:00:00Z", "author_identity": "bench@example.com", \
        "commit_sha": "bench"}
        """.formatted(policies));
    StringBuilder cedar = new StringBuilder();
    for (int i = 0; i < policies - 1; i++) {
      cedar.append(GeneratedBundle.perToolPermit(i));
    }
    cedar.append("""
        @id("bench-agent-may-echo")
        permit (principal == Agent::"%s", action == Action::"call_tool", resource == Tool::"%s");
        """.formatted(McpSession.AGENT, ECHO_TOOL));
    Files.writeString(bundle.resolve("bench.cedar"), cedar);
    Path catalog = dir.resolve("catalog.json");
    Files.writeString(catalog, """
        {
          "servers": {"echo": {"transport": "streamable-http", "url": "%s"}},
          "tools": [{"tool_name": "%s", "server": "echo"}]
        }
        """.formatted(upstream, ECHO_TOOL));
    Path audit = dir.resolve("audit");
    Path config = dir.resolve("cmcp-config.yaml");
    Files.writeString(config, """
        attestation:
          provider: %s
        %s  enforcement_mode: %s
        policy_bundle_path: %s
        catalog_path: %s
        audit_dir: %s
        listen_addr: "127.0.0.1:0"
        tls:
          mode: %s
        """.formatted(provider, tpmDevice.isEmpty() ? "" : "  tpm_device: \"" + tpmDevice + "\"\n", mode, bundle, catalog, audit,
        tls ? "generate" : "off"));
    return config;
  }
}
