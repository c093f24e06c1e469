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
import dev.cmcp.verify.claim.Binding;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
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
 * once, not at every interval. The catalog is not reloaded: a catalog change needs a restart.
 */
public final class PolicyReloader implements AutoCloseable {

  private static final Logger LOG = System.getLogger("cmcp.policy");

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
  private final Function<String, Binding> bindingFor;
  private final CurrentEvidence evidence;
  private final Optional<AuditLog> audit;
  private final AtomicReference<ActivePolicy> current;
  // One check at a time: the timer's, or a test's.
  private final ReentrantLock checking = new ReentrantLock();
  /** Guarded by {@link #checking}: the bundle hash (or load error) last refused. */
  private String refused = "";
  private volatile Optional<String> lastRejection = Optional.empty();
  private volatile Thread timer;

  /**
   * @param first the bundle and engine the gateway started with
   * @param bindingFor the attestation binding for a bundle hash (catalog hash, mode and claim key fixed)
   * @param audit where reloads are recorded; empty in silent mode
   */
  public PolicyReloader(Path bundleDirectory, Catalog catalog, ActivePolicy first, Function<String, Binding> bindingFor,
      CurrentEvidence evidence, Optional<AuditLog> audit) {
    this.bundleDirectory = bundleDirectory;
    this.catalog = catalog;
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
