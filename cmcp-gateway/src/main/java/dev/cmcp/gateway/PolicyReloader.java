package dev.cmcp.gateway;

import dev.cmcp.gateway.attest.AttestationException;
import dev.cmcp.gateway.attest.CurrentEvidence;
import dev.cmcp.gateway.audit.AuditException;
import dev.cmcp.gateway.audit.AuditLog;
import dev.cmcp.gateway.catalog.Catalog;
import dev.cmcp.gateway.catalog.CatalogException;
import dev.cmcp.gateway.catalog.CatalogLoader;
import dev.cmcp.gateway.catalog.UpstreamServer;
import dev.cmcp.gateway.claim.ClaimIssuer;
import dev.cmcp.gateway.policy.ActivePolicy;
import dev.cmcp.gateway.policy.PolicyBundle;
import dev.cmcp.gateway.policy.PolicyBundleLoader;
import dev.cmcp.gateway.policy.PolicyException;
import dev.cmcp.verify.audit.AuditRecord;
import dev.cmcp.verify.base.Digests;
import dev.cmcp.verify.claim.Binding;
import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * Hot reload of the policy bundle and the catalog ({@code policy_reload_interval_seconds}): the
 * bundle folder is checked for a new bundle hash and the catalog file for new bytes. Whatever
 * changed is loaded and checked, the bundle is compiled against the catalog, the pair is attested
 * (the evidence binds both hashes) and audited, and only then do bundle, catalog and engine take
 * over together, as one {@link ActivePolicy}. Until then, and whenever any step fails, the old
 * ones keep deciding.
 *
 * <p>A catalog may change its tools (added, removed, renamed, attributes, pins) but not its
 * {@code servers}: those are the upstream processes and connections that live sessions are using,
 * started once at boot. A catalog whose servers differ is refused with a request to restart.
 *
 * <p>When both files changed, both take over together or neither does: a bundle written for a new
 * catalog must not decide under the old one. Files refused are not tried again until they change,
 * so a broken edit is reported once, not at every interval. A refused catalog is also audited,
 * once per content.
 *
 * <p>Claims read the policy hashes and the evidence under a read lock that a reload holds for
 * writing from renewing the evidence until the swap, so a claim never pairs evidence bound to one
 * bundle or catalog with the hashes of another.
 */
public final class PolicyReloader implements AutoCloseable {

  private static final Logger LOG = System.getLogger("cmcp.policy");

  /** The catalog file as the gateway loaded it: its later changes are what a check looks for. */
  public record CatalogFile(Path path, String sha256) {
    /** Reads the file's digest now, right after the catalog was loaded from it. */
    public static CatalogFile read(Path path) throws IOException {
      return new CatalogFile(path, Digests.sha256Hex(Files.readAllBytes(path)));
    }
  }

  /** What one check did. */
  public enum Outcome {
    /** Nothing to do: the files are those deciding, or those already refused. */
    UNCHANGED,
    /** A new bundle or catalog, or both, now decide. */
    RELOADED,
    /** A new bundle or catalog was found and refused; the old ones still decide. */
    REJECTED
  }

  /** The state of one file as a check reads it: a digest, or why it could not be read. */
  private record FileState(String key, Optional<String> unreadable) {
    static FileState digest(String digest) {
      return new FileState(digest, Optional.empty());
    }

    static FileState unreadable(String why) {
      return new FileState("unreadable: " + why, Optional.of(why));
    }
  }

  /** A change refused; the message goes to the log and to {@code /readyz}. */
  private static final class Refusal extends Exception {
    private static final long serialVersionUID = 1L;
    /** Whether the new catalog is what is wrong, so that the refusal is audited. */
    final boolean ofCatalog;

    Refusal(String message, boolean ofCatalog) {
      super(message);
      this.ofCatalog = ofCatalog;
    }
  }

  private final Path bundleDirectory;
  private final Path catalogPath;
  private final Map<String, String> environment;
  private final Function<ActivePolicy, Binding> bindingFor;
  private final CurrentEvidence evidence;
  private final Optional<AuditLog> audit;
  // One check at a time: the timer's, or a test's.
  private final ReentrantLock checking = new ReentrantLock();
  // Written from rebinding the evidence to the swap; read by claims, never by calls.
  private final ReentrantReadWriteLock attesting = new ReentrantReadWriteLock();
  private volatile ActivePolicy current;
  /** Guarded by {@link #checking}: the digest of the catalog file that {@link #current} was loaded from. */
  private String catalogFileServing;
  /** Guarded by {@link #checking}: the bundle and catalog file states last refused. */
  private String refused = "";
  /** Guarded by {@link #checking}: the catalog file state last audited as refused. */
  private String catalogAuditedAsRefused = "";
  private volatile Optional<String> lastRejection = Optional.empty();
  private volatile Thread timer;
  /** Who hears of each swap, as (old, new): the MCP endpoint, which tells agents their lists may have changed. */
  private final List<BiConsumer<ActivePolicy, ActivePolicy>> reloadListeners = new CopyOnWriteArrayList<>();

  /**
   * @param catalogFile the catalog file {@code first} was loaded from, and its digest then
   * @param environment the gateway's environment, for {@code ${NAME}} in a reloaded catalog
   * @param first the bundle, catalog and engine the gateway started with
   * @param bindingFor the attestation binding of a bundle and catalog (mode and claim key fixed)
   * @param audit where reloads are recorded; empty in silent mode
   */
  public PolicyReloader(Path bundleDirectory, CatalogFile catalogFile, Map<String, String> environment,
      ActivePolicy first, Function<ActivePolicy, Binding> bindingFor, CurrentEvidence evidence, Optional<AuditLog> audit) {
    this.bundleDirectory = bundleDirectory;
    this.catalogPath = catalogFile.path();
    this.catalogFileServing = catalogFile.sha256();
    this.environment = Map.copyOf(environment);
    this.bindingFor = bindingFor;
    this.evidence = evidence;
    this.audit = audit;
    this.current = first;
  }

  /** {@code listener} hears each swap, as (old, new), once the new ones decide; it must return quickly. */
  public void onReload(BiConsumer<ActivePolicy, ActivePolicy> listener) {
    reloadListeners.add(listener);
  }

  /** The bundle, catalog and engine deciding now. */
  public ActivePolicy current() {
    return current;
  }

  /** The hashes a claim names now, with the evidence bound to them; see the class comment. */
  public ClaimIssuer.Attested attested() {
    attesting.readLock().lock();
    try {
      ActivePolicy active = current;
      return new ClaimIssuer.Attested(active.bundle().bundleHash(), active.catalog().catalogHash(), evidence.runtime());
    } finally {
      attesting.readLock().unlock();
    }
  }

  /** Why the latest new bundle or catalog was refused; empty when the latest check found nothing wrong. */
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
          LOG.log(Level.ERROR, "policy reload check failed; the current bundle and catalog keep deciding", e);
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
    ActivePolicy old = current;
    FileState bundleState = bundleState();
    FileState catalogState = catalogState();
    boolean bundleChanged = !bundleState.key().equals(old.bundle().bundleHash());
    boolean catalogChanged = !catalogState.key().equals(catalogFileServing);
    if (!bundleChanged && !catalogChanged) {
      refused = "";
      lastRejection = Optional.empty();
      return Outcome.UNCHANGED;
    }
    String states = bundleState.key() + " " + catalogState.key();
    if (states.equals(refused)) {
      return Outcome.UNCHANGED;
    }
    ActivePolicy next;
    try {
      PolicyBundle bundle = bundleChanged ? loadBundle(bundleState) : old.bundle();
      Catalog catalog = catalogChanged ? loadCatalog(catalogState, old.catalog()) : old.catalog();
      // A file saved again unchanged (or re-indented) keeps what serves.
      boolean newBundle = !bundle.bundleHash().equals(old.bundle().bundleHash());
      boolean newCatalog = !catalog.catalogHash().equals(old.catalog().catalogHash());
      if (!newBundle && !newCatalog) {
        catalogFileServing = catalogState.key();
        refused = "";
        lastRejection = Optional.empty();
        return Outcome.UNCHANGED;
      }
      next = compile(newBundle ? bundle : old.bundle(), newCatalog ? catalog : old.catalog(), newCatalog);
    } catch (Refusal e) {
      refused = states;
      if (e.ofCatalog) {
        recordCatalogRejected(old, catalogState, e.getMessage());
      }
      return reject(e.getMessage());
    }
    Outcome outcome = swap(old, next);
    if (outcome == Outcome.RELOADED) {
      catalogFileServing = catalogState.key();
      reloadListeners.forEach(listener -> listener.accept(old, next));
    }
    return outcome;
  }

  private FileState bundleState() {
    try {
      return FileState.digest(PolicyBundleLoader.computeHash(bundleDirectory));
    } catch (PolicyException e) {
      return FileState.unreadable(e.getMessage());
    }
  }

  private FileState catalogState() {
    try {
      return FileState.digest(Digests.sha256Hex(Files.readAllBytes(catalogPath)));
    } catch (IOException e) {
      return FileState.unreadable("catalog_path " + catalogPath + ": cannot read the file (" + e.getMessage() + ")");
    }
  }

  private PolicyBundle loadBundle(FileState state) throws Refusal {
    try {
      if (state.unreadable().isPresent()) {
        throw new Refusal(bundleRefused(state.unreadable().get()), false);
      }
      return PolicyBundleLoader.load(bundleDirectory);
    } catch (PolicyException e) {
      throw new Refusal(bundleRefused(e.getMessage()), false);
    }
  }

  private Catalog loadCatalog(FileState state, Catalog serving) throws Refusal {
    if (state.unreadable().isPresent()) {
      throw new Refusal(catalogRefused(serving, state.unreadable().get()), true);
    }
    Catalog catalog;
    try {
      catalog = CatalogLoader.load(catalogPath, environment);
    } catch (CatalogException e) {
      throw new Refusal(catalogRefused(serving, e.getMessage()), true);
    }
    List<String> changed = changedServers(serving.servers(), catalog.servers());
    if (!changed.isEmpty()) {
      throw new Refusal(catalogRefused(serving, "catalog servers changed (" + String.join(", ", changed)
          + "): restart the gateway to apply; only changes to tools reload"), true);
    }
    return catalog;
  }

  /** Each server added, removed or changed, in name order. */
  private static List<String> changedServers(Map<String, UpstreamServer> serving, Map<String, UpstreamServer> offered) {
    TreeSet<String> names = new TreeSet<>(serving.keySet());
    names.addAll(offered.keySet());
    List<String> changed = new ArrayList<>();
    for (String name : names) {
      if (!serving.containsKey(name)) {
        changed.add("server " + name + " added");
      } else if (!offered.containsKey(name)) {
        changed.add("server " + name + " removed");
      } else if (!serving.get(name).equals(offered.get(name))) {
        changed.add("server " + name + " changed");
      }
    }
    return changed;
  }

  private ActivePolicy compile(PolicyBundle bundle, Catalog catalog, boolean catalogChanged) throws Refusal {
    try {
      return ActivePolicy.compile(bundle, catalog);
    } catch (PolicyException e) {
      String why = "the bundle " + bundle.bundleHash() + " does not compile against the catalog "
          + catalog.catalogHash() + ": " + e.getMessage();
      throw catalogChanged ? new Refusal(catalogRefused(current.catalog(), why), true) : new Refusal(bundleRefused(why), false);
    }
  }

  /** Attests, audits and swaps; claims wait meanwhile, calls do not. */
  private Outcome swap(ActivePolicy old, ActivePolicy next) {
    attesting.writeLock().lock();
    try {
      try {
        evidence.rebind(bindingFor.apply(next));
      } catch (AttestationException e) {
        // Not remembered as refused: the platform may answer at the next interval.
        return reject(what(old, next) + " refused: the evidence could not be renewed for it: " + e.getMessage());
      }
      try {
        recordReload(old, next);
      } catch (AuditException e) {
        restoreBinding(old);
        return reject(what(old, next) + " refused: the reload could not be audited: " + e.getMessage());
      }
      current = next;
    } finally {
      attesting.writeLock().unlock();
    }
    refused = "";
    lastRejection = Optional.empty();
    LOG.log(Level.INFO, "policy reloaded: bundle {0} ({1} policies, version {2}), catalog {3} ({4} tools); was bundle {5}, catalog {6}",
        next.bundle().bundleHash(), next.bundle().policyCount(), next.bundle().version(), next.catalog().catalogHash(),
        next.catalog().tools().size(), old.bundle().bundleHash(), old.catalog().catalogHash());
    return Outcome.RELOADED;
  }

  /** One entry per swap: a bundle alone is a {@code bundle_reload}, anything with a catalog a {@code catalog_reload}. */
  private void recordReload(ActivePolicy old, ActivePolicy next) throws AuditException {
    if (audit.isEmpty()) {
      return;
    }
    if (next.catalog().catalogHash().equals(old.catalog().catalogHash())) {
      audit.get().appendBundleReload(new AuditRecord.BundleReload(old.bundle().bundleHash(), next.bundle().bundleHash()));
    } else {
      audit.get().appendCatalogReload(new AuditRecord.CatalogReload(old.catalog().catalogHash(),
          next.catalog().catalogHash(), old.bundle().bundleHash(), next.bundle().bundleHash()));
    }
  }

  private void recordCatalogRejected(ActivePolicy serving, FileState catalogState, String reason) {
    if (audit.isEmpty() || catalogState.key().equals(catalogAuditedAsRefused)) {
      return;
    }
    catalogAuditedAsRefused = catalogState.key();
    Optional<String> fileSha256 = catalogState.unreadable().isPresent() ? Optional.empty() : Optional.of(catalogState.key());
    try {
      audit.get().appendCatalogRejected(new AuditRecord.CatalogRejected(serving.catalog().catalogHash(), fileSha256, reason));
    } catch (AuditException e) {
      LOG.log(Level.ERROR, "the refused catalog could not be audited: " + e.getMessage());
    }
  }

  private String bundleRefused(String reason) {
    return "policy_bundle_path " + bundleDirectory + ": new bundle refused, " + current.bundle().bundleHash()
        + " keeps deciding: " + reason;
  }

  private String catalogRefused(Catalog serving, String reason) {
    return "catalog_path " + catalogPath + ": new catalog refused, " + serving.catalogHash() + " keeps serving: " + reason;
  }

  private String what(ActivePolicy old, ActivePolicy next) {
    boolean bundle = !next.bundle().bundleHash().equals(old.bundle().bundleHash());
    boolean catalog = !next.catalog().catalogHash().equals(old.catalog().catalogHash());
    String files = bundle && catalog ? "policy_bundle_path " + bundleDirectory + " and catalog_path " + catalogPath
        : bundle ? "policy_bundle_path " + bundleDirectory : "catalog_path " + catalogPath;
    return files + ": new " + (bundle && catalog ? "bundle and catalog" : bundle ? "bundle" : "catalog");
  }

  private Outcome reject(String message) {
    lastRejection = Optional.of(message);
    LOG.log(Level.ERROR, message);
    return Outcome.REJECTED;
  }

  /** The evidence must describe the bundle and catalog that decide, which are still the old ones. */
  private void restoreBinding(ActivePolicy old) {
    try {
      evidence.rebind(bindingFor.apply(old));
    } catch (AttestationException e) {
      LOG.log(Level.ERROR, "attestation evidence could not be renewed for the bundle and catalog that still decide ("
          + old.bundle().bundleHash() + ", " + old.catalog().catalogHash() + "); claims may not verify until it is: "
          + e.getMessage());
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
