package dev.cmcp.gateway;

import dev.cmcp.gateway.attest.AttestationException;
import dev.cmcp.gateway.attest.AttestationProviders;
import dev.cmcp.gateway.catalog.Catalog;
import dev.cmcp.gateway.catalog.CatalogException;
import dev.cmcp.gateway.catalog.CatalogLoader;
import dev.cmcp.gateway.config.ConfigException;
import dev.cmcp.gateway.config.ConfigLoader;
import dev.cmcp.gateway.config.EnforcementMode;
import dev.cmcp.gateway.config.GatewayConfig;
import dev.cmcp.gateway.config.ListenAddress;
import dev.cmcp.gateway.config.RuntimeEnvironment;
import dev.cmcp.gateway.config.TlsSettings;
import dev.cmcp.gateway.policy.ActivePolicy;
import dev.cmcp.gateway.policy.PolicyBundle;
import dev.cmcp.gateway.policy.PolicyBundleLoader;
import dev.cmcp.gateway.policy.PolicyException;
import dev.cmcp.gateway.tls.ServerIdentities;
import dev.cmcp.gateway.tls.TlsException;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Every check {@code cmcp start} makes before it binds the port or starts anything, in the order
 * it makes them; {@code cmcp validate-config} runs exactly these, so a config it calls good is one
 * {@code start} accepts, as far as anything short of binding and starting can tell. Each error
 * names the config key or environment variable to change.
 *
 * @param address the address the gateway will listen on (listen_addr, after the token rule)
 * @param attestation the provider {@code start} will open, and why the others were passed over
 */
public record Preflight(
    GatewayConfig config,
    RuntimeEnvironment env,
    ListenAddress address,
    PolicyBundle bundle,
    Catalog catalog,
    PolicyReloader.CatalogFile catalogFile,
    ActivePolicy policy,
    AttestationProviders.Plan attestation) {

  /** What a preflight looks at. */
  public enum Scope {
    /** Everything {@code start} checks, this machine included: what {@code start} itself runs. */
    THIS_MACHINE,
    /**
     * The config, bundle and catalog only, for a config written for another machine (a TEE host,
     * a pod): whether this machine has the attestation hardware or may write the audit folder is
     * not checked, and {@code validate-config --config-only} says so in its output.
     */
    CONFIG_ONLY
  }

  /** Runs every check, this machine's included; opens no file for writing, starts no process, binds no port. */
  public static Preflight check(GatewayConfig config, Map<String, String> environment) throws Gateway.StartupException {
    return check(config, environment, Scope.THIS_MACHINE);
  }

  /** Runs the checks of {@code scope}; opens no file for writing, starts no process, binds no port. */
  public static Preflight check(GatewayConfig config, Map<String, String> environment, Scope scope) throws Gateway.StartupException {
    try {
      RuntimeEnvironment env = RuntimeEnvironment.from(environment);
      ConfigLoader.checkAgainst(config, env);
      ListenAddress address = config.effectiveListenAddress(env);
      PolicyBundle bundle = bundle(config.policyBundlePath());
      Catalog catalog = catalog(config.catalogPath(), environment);
      PolicyReloader.CatalogFile catalogFile = PolicyReloader.CatalogFile.read(config.catalogPath());
      ActivePolicy policy = ActivePolicy.compile(bundle, catalog);
      if (scope == Scope.CONFIG_ONLY) {
        AttestationProviders.Plan notChecked = new AttestationProviders.Plan(config.effectiveProvider(env),
            List.of("not checked on this machine (--config-only): whether its hardware offers this provider"));
        return new Preflight(config, env, address, bundle, catalog, catalogFile, policy, notChecked);
      }
      // An operator's certificate and key are read as start reads them: a key that is not the
      // certificate's, or a certificate out of date, is refused here too.
      if (config.tls().effectiveMode(address) == TlsSettings.Mode.FILES) {
        ServerIdentities.load(config.tls().certFile().orElseThrow(), config.tls().keyFile().orElseThrow(), Instant.now());
      }
      AttestationProviders.Plan attestation = AttestationProviders.plan(config, env);
      if (config.enforcementMode() != EnforcementMode.SILENT) {
        auditDirectory(config.auditDir());
      }
      return new Preflight(config, env, address, bundle, catalog, catalogFile, policy, attestation);
    } catch (ConfigException | PolicyException | CatalogException | AttestationException | TlsException e) {
      throw new Gateway.StartupException(e.getMessage(), e);
    } catch (IOException e) {
      throw new Gateway.StartupException("catalog_path " + config.catalogPath() + ": cannot read the file (" + e.getMessage() + ")", e);
    }
  }

  private static PolicyBundle bundle(Path path) throws PolicyException {
    if (!Files.isDirectory(path)) {
      throw new PolicyException("policy_bundle_path: " + path + (Files.exists(path) ? " is not a folder" : " does not exist")
          + "; set policy_bundle_path to the bundle's folder (manifest.json and the .cedar files), relative to the config file's folder");
    }
    try {
      return PolicyBundleLoader.load(path);
    } catch (PolicyException e) {
      throw new PolicyException("policy_bundle_path " + path + ": " + e.getMessage(), e);
    }
  }

  private static Catalog catalog(Path path, Map<String, String> environment) throws CatalogException {
    if (!Files.isRegularFile(path)) {
      throw new CatalogException("catalog_path: " + path + (Files.exists(path) ? " is not a file" : " does not exist")
          + "; set catalog_path to the catalog.json of approved servers and tools, relative to the config file's folder");
    }
    try {
      return CatalogLoader.load(path, environment);
    } catch (CatalogException e) {
      throw e.getMessage().contains("catalog_path") ? e : new CatalogException("catalog_path " + path + ": " + e.getMessage());
    }
  }

  /** The audit folder must be a writable folder, or one that can be made: the gateway writes it before it serves. */
  private static void auditDirectory(Path directory) throws ConfigException {
    Path existing = directory;
    while (existing != null && !Files.exists(existing)) {
      existing = existing.getParent();
    }
    if (existing == null) {
      throw new ConfigException("audit_dir: " + directory + " cannot be made: no part of the path exists");
    }
    if (!Files.isDirectory(existing)) {
      throw new ConfigException("audit_dir: " + existing + " is a file, not a folder; set audit_dir to a folder the gateway may write");
    }
    if (!Files.isWritable(existing)) {
      throw new ConfigException("audit_dir: " + existing + " is not writable by this user; set audit_dir to a folder the gateway may write"
          + (existing.equals(directory) ? "" : " (it makes " + directory + ")"));
    }
  }

  /**
   * Why the gateway could not listen on {@code address} now, or empty when the port is free (or
   * is 0, chosen at bind time). A probe: another program may still take the port before the
   * gateway binds it, and then the bind fails with the same words.
   */
  public static Optional<String> portProblem(ListenAddress address) {
    if (address.port() == 0) {
      return Optional.empty();
    }
    try (ServerSocket probe = new ServerSocket()) {
      // As Jetty binds: SO_REUSEADDR, so a port left in TIME_WAIT by a gateway just stopped is free.
      probe.setReuseAddress(true);
      probe.bind(new InetSocketAddress(InetAddress.getByName(address.host()), address.port()));
      return Optional.empty();
    } catch (BindException e) {
      return Optional.of(portInUse(address, e.getMessage()));
    } catch (IOException e) {
      return Optional.of("listen_addr " + address + ": cannot listen there (" + e.getMessage()
          + "); check that the host is an address of this machine");
    }
  }

  /** The words for a port another program holds, with the ways out. */
  static String portInUse(ListenAddress address, String detail) {
    int port = address.port();
    return "listen_addr " + address + ": port " + port + " is already in use (" + detail + "): another program, or a gateway "
        + "started earlier, listens there. Stop it (find it with: ss -ltnp 'sport = :" + port + "'), or set listen_addr to a free "
        + "port, for example listen_addr: \"" + new ListenAddress(address.host(), port == 65_535 ? port - 1 : port + 1, true) + "\"";
  }
}
