package dev.cmcp.gateway;

import dev.cmcp.gateway.attest.AttestationException;
import dev.cmcp.gateway.attest.CurrentEvidence;
import dev.cmcp.gateway.audit.AuditException;
import dev.cmcp.gateway.audit.AuditLog;
import dev.cmcp.gateway.audit.AuditRecords;
import dev.cmcp.gateway.catalog.Catalog;
import dev.cmcp.gateway.policy.ActivePolicy;
import dev.cmcp.gateway.policy.PolicyBundle;
import dev.cmcp.gateway.policy.PolicyBundleLoader;
import dev.cmcp.gateway.policy.PolicyEngine;
import dev.cmcp.gateway.policy.PolicyException;
import dev.cmcp.verify.Digests;
import dev.cmcp.verify.claim.Binding;
import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * Hot reload of the policy bundle ({@code policy_reload_interval_seconds}): the bundle folder is
 * checked for a new bundle hash, and a new bundle takes over only once it has loaded, compiled
 * against the catalog, been attested (the evidence binds the bundle hash) and been audited.
 * Until then, and whenever any of that fails, the old bundle keeps deciding.
 *
 * <p>A rejected bundle is not tried again until its files change, so a broken edit is reported
 * once, not at every interval.
 *
 * <p>The catalog is not reloaded: it decides which upstream processes run and what the pins are,
 * and swapping it under running sessions is not safe. A changed catalog file is logged and
 * audited once, so the operator knows a restart is needed.
 */
public final class PolicyReloader implements AutoCloseable {

  private static final Logger LOG = System.getLogger("cmcp.policy");

  /** The catalog file as the gateway loaded it; a change to it is reported, not applied. */
  public record CatalogFile(Path path, String sha256) {
    /** Reads the file's digest now, right after the catalog was loaded from it. */
    public static CatalogFile read(Path path) throws IOException {
      return new CatalogFile(path, Digests.sha256Hex(Files.readAllBytes(path)));
    }
  }

  /** What one check did. */
  public enum Outcome {
    /** Nothing to do: the files hash as the bundle deciding, or as a bundle already rejected. */
    UNCHANGED,
    /** A new bundle now decides. */
    RELOADED,
    /** A new bundle was found and refused; the old one still decides. */
    REJECTED
  }

  private final Path bundleDirectory;
  private final Catalog catalog;
  private final CatalogFile catalogFile;
  private final Function<String, Binding> bindingFor;
  private final CurrentEvidence evidence;
  private final Optional<AuditLog> audit;
  private final AtomicReference<ActivePolicy> current;
  // One check at a time: the timer's, or a test's.
  private final ReentrantLock checking = new ReentrantLock();
  /** Guarded by {@link #checking}: the bundle hash (or load error) last refused. */
  private String refused = "";
  /** Guarded by {@link #checking}: the catalog file digest last reported as ignored. */
  private String reportedCatalog = "";
  private volatile Optional<String> lastRejection = Optional.empty();
  private volatile Thread timer;

  /**
   * @param first the bundle and engine the gateway started with
   * @param bindingFor the attestation binding for a bundle hash (catalog hash, mode and claim key fixed)
   * @param audit where reloads are recorded; empty in silent mode
   */
  public PolicyReloader(Path bundleDirectory, Catalog catalog, CatalogFile catalogFile, ActivePolicy first,
      Function<String, Binding> bindingFor, CurrentEvidence evidence, Optional<AuditLog> audit) {
    this.bundleDirectory = bundleDirectory;
    this.catalog = catalog;
    this.catalogFile = catalogFile;
    this.bindingFor = bindingFor;
    this.evidence = evidence;
    this.audit = audit;
    this.current = new AtomicReference<>(first);
  }

  /** The bundle and engine deciding now. */
  public ActivePolicy current() {
    return current.get();
  }

  /** Why the latest new bundle was refused; empty when the latest check found nothing wrong. */
  public Optional<String> lastRejection() {
    return lastRejection;
  }

  /** Checks every {@code interval} on a virtual thread, until {@link #close}. */
  public void start(Duration interval) {
    timer = Thread.ofVirtual().name("cmcp-policy-reload").start(() -> {
      while (!Thread.currentThread().isInterrupted()) {
        try {
          Thread.sleep(interval);
          checkNow();
        } catch (InterruptedException e) {
          return;
        } catch (RuntimeException e) {
          LOG.log(Level.ERROR, "policy reload check failed; the current bundle keeps deciding", e);
        }
      }
    });
  }

  /** One check, as the timer makes it. */
  Outcome checkNow() {
    checking.lock();
    try {
      reportCatalogChange();
      return check();
    } finally {
      checking.unlock();
    }
  }

  private Outcome check() {
    ActivePolicy old = current.get();
    String hash;
    try {
      hash = PolicyBundleLoader.computeHash(bundleDirectory);
    } catch (PolicyException e) {
      String key = "unreadable: " + e.getMessage();
      return key.equals(refused) ? Outcome.UNCHANGED : refuse(key, e.getMessage());
    }
    if (hash.equals(old.bundle().bundleHash())) {
      refused = "";
      lastRejection = Optional.empty();
      return Outcome.UNCHANGED;
    }
    if (hash.equals(refused)) {
      return Outcome.UNCHANGED;
    }
    PolicyBundle bundle;
    PolicyEngine engine;
    try {
      bundle = PolicyBundleLoader.load(bundleDirectory);
      engine = new PolicyEngine(bundle, catalog);
    } catch (PolicyException e) {
      return refuse(hash, e.getMessage());
    }
    String previousHash = old.bundle().bundleHash();
    try {
      evidence.rebind(bindingFor.apply(bundle.bundleHash()));
    } catch (AttestationException e) {
      // Not remembered as refused: the platform may answer at the next interval.
      return reject("the evidence could not be renewed for it: " + e.getMessage());
    }
    try {
      if (audit.isPresent()) {
        audit.get().appendBundleReload(new AuditRecords.BundleReload(previousHash, bundle.bundleHash()));
      }
    } catch (AuditException e) {
      restoreBinding(previousHash);
      return reject("the reload could not be audited: " + e.getMessage());
    }
    current.set(new ActivePolicy(bundle, engine));
    refused = "";
    lastRejection = Optional.empty();
    LOG.log(Level.INFO, "policy bundle reloaded: {0} ({1} policies, version {2}), was {3}",
        bundle.bundleHash(), bundle.policyCount(), bundle.version(), previousHash);
    return Outcome.RELOADED;
  }

  private void reportCatalogChange() {
    String now;
    try {
      now = Digests.sha256Hex(Files.readAllBytes(catalogFile.path()));
    } catch (IOException e) {
      // The catalog serving is in memory; a file being replaced is read again at the next check.
      return;
    }
    if (now.equals(catalogFile.sha256())) {
      reportedCatalog = "";
      return;
    }
    if (now.equals(reportedCatalog)) {
      return;
    }
    reportedCatalog = now;
    LOG.log(Level.WARNING, "catalog_path {0} changed on disk; the catalog is not reloaded, "
        + "restart the gateway to serve the new one ({1} still serves)", catalogFile.path(), catalog.catalogHash());
    try {
      if (audit.isPresent()) {
        audit.get().appendCatalogChangeIgnored(new AuditRecords.CatalogChangeIgnored(catalog.catalogHash(), now));
      }
    } catch (AuditException e) {
      LOG.log(Level.ERROR, "the ignored catalog change could not be audited: " + e.getMessage());
    }
  }

  private Outcome refuse(String key, String reason) {
    refused = key;
    return reject(reason);
  }

  private Outcome reject(String reason) {
    String message = "policy_bundle_path " + bundleDirectory + ": new bundle refused, "
        + current.get().bundle().bundleHash() + " keeps deciding: " + reason;
    lastRejection = Optional.of(message);
    LOG.log(Level.ERROR, message);
    return Outcome.REJECTED;
  }

  /** The evidence must describe the bundle that decides, which is still the old one. */
  private void restoreBinding(String previousHash) {
    try {
      evidence.rebind(bindingFor.apply(previousHash));
    } catch (AttestationException e) {
      LOG.log(Level.ERROR, "attestation evidence could not be renewed for the bundle that still decides ("
          + previousHash + "); claims may not verify until it is: " + e.getMessage());
    }
  }

  @Override
  public void close() {
    Thread running = timer;
    if (running != null) {
      running.interrupt();
    }
  }
}
