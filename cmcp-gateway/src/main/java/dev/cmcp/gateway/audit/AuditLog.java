package dev.cmcp.gateway.audit;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.verify.audit.AuditEntry;
import dev.cmcp.verify.audit.AuditFolder;
import dev.cmcp.verify.audit.AuditRecord;
import dev.cmcp.verify.audit.AuditRecord.BundleReload;
import dev.cmcp.verify.audit.AuditRecord.CatalogRejected;
import dev.cmcp.verify.audit.AuditRecord.CatalogReload;
import dev.cmcp.verify.audit.AuditRecord.Decision;
import dev.cmcp.verify.audit.AuditRecord.Genesis;
import dev.cmcp.verify.audit.AuditRecord.Outcome;
import dev.cmcp.verify.audit.AuditRecord.OversizedInput;
import dev.cmcp.verify.audit.AuditRecord.PinMismatch;
import dev.cmcp.verify.audit.AuditRecord.Quarantine;
import dev.cmcp.verify.audit.AuditRecord.RelayedAnswer;
import dev.cmcp.verify.audit.AuditRecord.RelayedRequest;
import dev.cmcp.verify.audit.MerkleTree;
import dev.cmcp.verify.base.CanonicalJson;
import dev.cmcp.verify.claim.ClaimSigner;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.text.ParsePosition;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * The append-only, hash-chained audit log of one gateway boot (an epoch): JSON lines, each the
 * RFC 8785 form of its entry, each naming the hash of the one before.
 *
 * <p>An append returns only once its entry is on disk, except an outcome's: concurrent appends
 * share one {@code fsync} (group commit): whoever finds no sync running starts one covering
 * everything written so far, and the others wait for it. An outcome is written at once but made
 * durable by the next sync, which the next decision starts anyway, or at the latest
 * {@link #OUTCOME_SYNC_DELAY} later: a decision must be on disk before its call is forwarded, but an
 * outcome records what already happened, and waiting for its own fsync doubled the cost of a call.
 * A crash in that window leaves the decision, and the next start's recovery entry names the call as
 * forwarded without an outcome. A {@link #snapshot} (what a claim signs) covers only what is on
 * disk, and first makes everything written durable. Any I/O failure poisons the log, so every later
 * append fails and the gateway refuses calls rather than serving them unrecorded.
 *
 * <p>With a {@link RotationPolicy}, the log also ends an epoch within a run: the thread that holds
 * the lock to write an entry finds the file past a threshold, makes it durable, signs a final
 * checkpoint, closes it and opens the next epoch, whose genesis links to it, then writes its entry
 * there; all under the lock, so every entry lands in exactly one file. The {@link RotationListener}
 * hears of the closed epoch after the lock is released. A timer also rotates an epoch that has
 * outlived its age while no entry came.
 *
 * <p>With a retention period, the epochs it allows are deleted at open ({@link Retention}) and
 * again within the run, on a thread of their own, after each rotation and after an epoch's first
 * checkpoint (which may be what signs the link to the file before it): each deletion is recorded in a
 * durable {@code retention} entry first, never holding the lock while files are read or deleted.
 */
public final class AuditLog implements AutoCloseable {

  static final String FILE_PREFIX = "audit-";
  static final String FILE_SUFFIX = ".jsonl";
  static final DateTimeFormatter EPOCH_TIME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
  /** Always three fraction digits: {@code Instant.toString} drops them on a whole second. */
  private static final DateTimeFormatter ENTRY_TIME =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  /** How long a written outcome may wait for a sync that a decision would start anyway. */
  static final Duration OUTCOME_SYNC_DELAY = Duration.ofMillis(50);

  private final Path directory;
  private volatile boolean closed;
  private final Clock clock;

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition syncDone = lock.newCondition();
  private final Condition outcomeWaiting = lock.newCondition();
  private Thread outcomeSyncer;
  private Thread checkpointTimer;
  /** How often the timer asks whether a time-triggered checkpoint is due. */
  private static final Duration CHECKPOINT_POLL = Duration.ofSeconds(1);
  private IOException failure;
  /** Checkpoints written, in log order, whose copy in {@code checkpoints/} is still to be made. */
  private final ConcurrentLinkedQueue<Appended> toKeep = new ConcurrentLinkedQueue<>();
  /** Makes the copies one at a time. */
  private final ReentrantLock copying = new ReentrantLock();
  /** The last entry time, formatted, and its millisecond; under the lock. */
  private long entryTimeMillis;
  private String entryTimeText;
  /** The epoch entries go to. Holds the lock to read or change. */
  private Epoch current;
  /** What the genesis of the next rotated epoch names: the opening one's, with reloads applied. Holds the lock. */
  private Genesis genesis;
  /** Epochs ended by rotation whose listener has not yet been told; drained with the lock released. */
  private final ConcurrentLinkedQueue<Epoch> ended = new ConcurrentLinkedQueue<>();
  private volatile RotationListener rotationListener = epoch -> { };
  /** {@code audit.retention_days}; zero keeps every epoch. */
  private final Duration retention;
  /** Runs retention within the run, one pass at a time; null when retention is off. */
  private final ExecutorService retainer;
  /** Set when a rotation or an epoch's first checkpoint may have made a file deletable. */
  private final AtomicBoolean retentionWanted = new AtomicBoolean();
  /** Epoch files whose retention entry this run wrote: a deletion that failed is retried without a second entry. */
  private final Set<String> retentionRecorded = ConcurrentHashMap.newKeySet();
  private volatile RetentionObserver retentionObserver = new RetentionObserver() {
    @Override
    public void deleted(String file) {}

    @Override
    public void failed(String reason) {}
  };
  /** Makes a file's written entries durable; {@link FileDescriptor#sync} but where a test holds it. */
  private final FileSync fileSync;

  private final SyncObserver syncs;
  private final List<Quarantine> quarantined;

  /** A recorded call of one session, with where its entries sit in the log. */
  public record RecordedCall(
      long decisionIndex, String decisionEntrySha256, Decision decision, Optional<Long> outcomeIndex,
      Optional<String> outcomeEntrySha256, Optional<String> resultSha256) {}

  /** The state of the log at one moment: enough to sign and to prove against. */
  public record Snapshot(String epoch, String root, String tip, long length) {}

  /** Where an entry was written: its epoch and its index there. */
  public record Position(String epoch, long index) {}

  /** Told of each group-commit fsync, e.g. to measure it. Called outside the log's lock. */
  @FunctionalInterface
  public interface SyncObserver {
    /** One fsync took {@code nanos} and made {@code entries} entries durable. */
    void synced(long nanos, long entries);
  }

  /** Told of each epoch that rotation closed, e.g. to claim its sessions. Called outside the log's lock. */
  @FunctionalInterface
  public interface RotationListener {
    /** {@code closed} is on disk in full, with its final checkpoint, and the next epoch is open. */
    void rotated(Epoch closed);
  }

  /** Told of what retention within the run deleted, and of its failures, e.g. to count them. Called outside the log's lock. */
  public interface RetentionObserver {
    /** {@code file} was deleted, after its retention entry was made durable. */
    void deleted(String file);

    /** A retention pass stopped on an error; the log itself goes on. */
    void failed(String reason);
  }

  /** How a group-commit sync reaches the disk; a test may hold it to order threads around it. */
  @FunctionalInterface
  interface FileSync {
    void sync(FileDescriptor fd) throws IOException;
  }

  private final CheckpointPolicy checkpoints;
  private final Optional<ClaimSigner> checkpointSigner;
  private final RotationPolicy rotation;

  /**
   * One epoch's file and chain. Its state is guarded by the log's lock; once rotation closed it, it
   * no longer changes, and its calls, snapshot and proofs can still be read (to claim its sessions).
   */
  public final class Epoch {
    private final Path file;
    private final String name;
    private final FileOutputStream out;
    private final Instant opened;
    private final List<byte[]> entryHashes = new ArrayList<>();
    private final MerkleTree tree = new MerkleTree();
    /** Per session, its calls by decision index: an outcome replaces one entry, whatever the session's length. */
    private final Map<String, ConcurrentSkipListMap<Long, RecordedCall>> callsBySession = new ConcurrentHashMap<>();
    private long durableThrough = -1;
    private boolean syncing;
    private long bytes;
    /** How many entries the epoch opened with (genesis, recovery, ...): rotation waits for one more. */
    private long opening;
    /** Index of the last checkpoint entry; -1 before the first. */
    private long lastCheckpoint = -1;
    private Instant lastCheckpointAt;
    /** Closed by rotation: every entry durable, the file closed. */
    private boolean rotatedAway;

    private Epoch(Path file, String name, FileOutputStream out, Instant opened) {
      this.file = file;
      this.name = name;
      this.out = out;
      this.opened = opened;
      this.lastCheckpointAt = opened;
    }

    /** The epoch's name, as entries and claims carry it. */
    public String name() {
      return name;
    }

    public Path file() {
      return file;
    }

    /** The sessions with at least one call recorded in this epoch. */
    public Set<String> sessionIds() {
      return Set.copyOf(callsBySession.keySet());
    }

    /** The calls recorded for a session in this epoch, in log order. */
    public List<RecordedCall> callsOf(String sessionId) {
      ConcurrentSkipListMap<Long, RecordedCall> calls = callsBySession.get(sessionId);
      return calls == null ? List.of() : List.copyOf(calls.values());
    }

    /**
     * This epoch's chain as far as it is on disk, after making every entry written so far durable: a
     * claim must not name entries a crash could still lose, nor leave out an outcome already delivered.
     */
    public Snapshot snapshot() {
      lock.lock();
      try {
        if (failure == null && !closed && !rotatedAway) {
          try {
            awaitDurable(this, entryHashes.size() - 1);
          } catch (IOException e) {
            // The log is poisoned now; the snapshot still names what did reach the disk.
          }
        }
        int length = (int) (durableThrough + 1);
        return new Snapshot(name, hex(tree.root(length)), hex(entryHashes.get(length - 1)), length);
      } finally {
        lock.unlock();
      }
    }

    /** The RFC 9162 audit path of entry {@code index} in the tree of this epoch's first {@code size} entries. */
    public List<String> inclusionProof(long index, long size) {
      lock.lock();
      try {
        // The tree is thread-safe on its own; the lock keeps size within what has been written.
        return tree.inclusionProof((int) index, (int) size).stream().map(AuditLog::hex).toList();
      } finally {
        lock.unlock();
      }
    }
  }

  private AuditLog(
      Path directory, Clock clock, SyncObserver syncs, List<Quarantine> quarantined, CheckpointPolicy checkpoints,
      Optional<ClaimSigner> checkpointSigner, RotationPolicy rotation, Genesis genesis, Duration retention, FileSync fileSync) {
    this.directory = directory;
    this.retention = retention;
    this.fileSync = fileSync;
    this.retainer = retention.isZero() ? null
        : Executors.newSingleThreadExecutor(Thread.ofVirtual().name("cmcp-audit-retention").factory());
    this.checkpoints = checkpoints;
    this.checkpointSigner = checkpointSigner;
    this.rotation = rotation;
    this.quarantined = quarantined;
    this.syncs = syncs;
    this.clock = clock;
    this.genesis = genesis.linkedTo(Optional.empty());
  }

  /**
   * Repairs the previous epoch's file if it was cut off, then opens a new epoch whose genesis
   * entry links to the previous tip, followed by a recovery entry when the previous epoch left
   * calls without an outcome.
   */
  public static AuditLog open(Path directory, Genesis genesis, Clock clock) throws AuditException {
    return open(directory, genesis, clock, (nanos, entries) -> { });
  }

  /** {@link #open(Path, Genesis, Clock)}, telling {@code syncs} of each fsync after the first. */
  public static AuditLog open(Path directory, Genesis genesis, Clock clock, SyncObserver syncs) throws AuditException {
    return open(directory, genesis, clock, syncs, CheckpointPolicy.OFF, Optional.empty(), Duration.ZERO, RotationPolicy.OFF,
        FileDescriptor::sync);
  }

  /**
   * {@link #open(Path, Genesis, Clock, SyncObserver)}, writing signed checkpoints by {@code checkpoints}
   * with {@code signer}, the claim key the genesis entry names, and first deleting the epochs
   * {@code retention} allows ({@link Retention}; {@link Duration#ZERO} keeps every epoch).
   */
  public static AuditLog open(
      Path directory, Genesis genesis, Clock clock, SyncObserver syncs, CheckpointPolicy checkpoints, ClaimSigner signer,
      Duration retention) throws AuditException {
    return open(directory, genesis, clock, syncs, checkpoints, signer, retention, RotationPolicy.OFF);
  }

  /** {@link #open(Path, Genesis, Clock, SyncObserver, CheckpointPolicy, ClaimSigner, Duration)}, rotating by {@code rotation}. */
  public static AuditLog open(
      Path directory, Genesis genesis, Clock clock, SyncObserver syncs, CheckpointPolicy checkpoints, ClaimSigner signer,
      Duration retention, RotationPolicy rotation) throws AuditException {
    if (!signer.jwk().thumbprint().equals(genesis.keyThumbprint())) {
      throw new IllegalArgumentException("checkpoints must be signed with the key the genesis entry names");
    }
    return open(directory, genesis, clock, syncs, checkpoints, Optional.of(signer), retention, rotation, FileDescriptor::sync);
  }

  /** As the public one, with the group-commit sync going through {@code fileSync} (tests). */
  static AuditLog open(
      Path directory, Genesis genesis, Clock clock, CheckpointPolicy checkpoints, ClaimSigner signer, Duration retention,
      RotationPolicy rotation, FileSync fileSync) throws AuditException {
    return open(directory, genesis, clock, (nanos, entries) -> { }, checkpoints, Optional.of(signer), retention, rotation, fileSync);
  }

  private static AuditLog open(
      Path directory, Genesis genesis, Clock clock, SyncObserver syncs, CheckpointPolicy checkpoints,
      Optional<ClaimSigner> signer, Duration retention, RotationPolicy rotation, FileSync fileSync) throws AuditException {
    if (Files.exists(directory) && !Files.isDirectory(directory)) {
      throw new AuditException("audit_dir " + directory + ": not a directory; name a folder for the audit log "
          + "(it is created when missing)");
    }
    AuditLog log = null;
    try {
      Files.createDirectories(directory);
      PreviousEpoch.Recovery recovery = PreviousEpoch.recoverOrQuarantine(directory);
      List<AuditRecord.Retention> retired = Retention.apply(directory, retention, clock.instant());
      Optional<PreviousEpoch> previous = recovery.previous();
      log = new AuditLog(directory, clock, syncs, recovery.quarantined(), checkpoints, signer, rotation, genesis, retention, fileSync);
      Epoch epoch = log.newEpochFile(previous.flatMap(PreviousEpoch::epochTime));
      log.current = epoch;
      byte[] previousTip = HexFormat.of().parseHex(previous.map(p -> p.head().tip()).orElse(AuditEntry.NO_PREDECESSOR));
      log.append(epoch, members(genesis.linkedTo(previous.map(PreviousEpoch::link)).toJson()), previousTip);
      if (previous.isPresent() && previous.get().needsRecoveryEntry()) {
        log.append(epoch, members(previous.get().recoveryEntry().toJson()), null);
      }
      for (Quarantine quarantine : recovery.quarantined()) {
        log.append(epoch, members(quarantine.toJson()), null);
      }
      for (AuditRecord.Retention deleted : retired) {
        log.append(epoch, members(deleted.toJson()), null);
      }
      epoch.out.getFD().sync();
      epoch.durableThrough = epoch.entryHashes.size() - 1L;
      epoch.opening = epoch.entryHashes.size();
      log.outcomeSyncer = Thread.ofVirtual().name("cmcp-audit-outcome-sync").start(log::syncOutcomes);
      if ((signer.isPresent() && !checkpoints.every().isZero()) || !rotation.maxAge().isZero()) {
        log.checkpointTimer = Thread.ofVirtual().name("cmcp-audit-checkpoint").start(log::checkpointOnTime);
      }
      return log;
    } catch (IOException e) {
      if (log != null) {
        log.close();
      }
      throw new AuditException("audit_dir " + directory + ": cannot open the audit log: " + describe(e), e);
    }
  }

  /** Creates the file of a new epoch, named to sort after {@code previousTime}'s. */
  private Epoch newEpochFile(Optional<Instant> previousTime) throws IOException {
    Instant now = clock.instant();
    String epoch = newEpoch(now, previousTime);
    Path file = directory.resolve(FILE_PREFIX + epoch + FILE_SUFFIX);
    Files.createFile(file);
    // A stream, not a FileChannel: a channel closes itself when its thread is interrupted,
    // which would shut the log for every caller; stream writes and fd.sync() are not interruptible.
    return new Epoch(file, epoch, new FileOutputStream(file.toFile(), true), now);
  }

  /**
   * The next boot takes the greatest file name as its predecessor, so this epoch's name must sort
   * after the previous one's even when both boots fall within one second (their random suffixes
   * would decide) or the clock was set back: then the time part moves just past the previous one.
   */
  private static String newEpoch(Instant now, Optional<Instant> previousTime) {
    Instant time = now.truncatedTo(ChronoUnit.SECONDS);
    if (previousTime.isPresent() && !time.isAfter(previousTime.get())) {
      time = previousTime.get().plusSeconds(1);
    }
    return EPOCH_TIME.format(time) + "-" + randomHex(4);
  }

  /** The time in an epoch's name. */
  private static Instant epochTime(String epoch) {
    return Instant.from(EPOCH_TIME.parse(epoch, new ParsePosition(0)));
  }

  /** Who hears of what retention within the run deletes or fails to; replaces any earlier observer. */
  public void onRetention(RetentionObserver observer) {
    this.retentionObserver = Objects.requireNonNull(observer, "observer");
  }

  /** Who hears of each epoch that rotation closes; replaces any earlier listener. */
  public void onRotation(RotationListener listener) {
    this.rotationListener = Objects.requireNonNull(listener, "listener");
  }

  /** Records a decision durably; returns its index in the epoch it went to. */
  public long appendDecision(Decision decision) throws AuditException {
    return recordDecision(decision).index();
  }

  /**
   * Records a decision durably; returns where it went. Its outcome names that epoch
   * ({@link Outcome#inEpoch}), since the log may rotate while the call is forwarded.
   */
  public Position recordDecision(Decision decision) throws AuditException {
    Appended appended = appendDurably(decision, (epoch, written) ->
        epoch.callsBySession.computeIfAbsent(decision.sessionId(), s -> new ConcurrentSkipListMap<>()).put(written.index(),
            new RecordedCall(written.index(), written.hashHex(), decision, Optional.empty(), Optional.empty(), Optional.empty())));
    return new Position(appended.epoch().name, appended.index());
  }

  /**
   * Records a request refused by authentication; returns its index. Written without waiting for
   * the disk, like an outcome: nothing was done that the entry must precede.
   */
  public long appendAuthRefused(AuditRecord.AuthRefused refused) throws AuditException {
    List<Member> members = members(refused.toJson());
    return appendWritten(epoch -> members, (epoch, written) -> { }).index();
  }

  /**
   * Records what a forwarded call returned; returns its index. An outcome whose
   * {@link Outcome#decisionEpoch} names the epoch it is written to, or none, answers a decision of
   * that epoch; one naming an earlier epoch (the log rotated meanwhile) keeps the name in its entry.
   */
  public long appendOutcome(Outcome outcome) throws AuditException {
    List<Member> local = members(outcome.inEpoch(Optional.empty()).toJson());
    return appendWritten(
        epoch -> isForeign(outcome, epoch) ? members(outcome.toJson()) : local,
        (epoch, written) -> {
          ConcurrentSkipListMap<Long, RecordedCall> calls = callsBySessionOf(epoch, outcome);
          if (calls != null) {
            calls.computeIfPresent(outcome.decisionIndex(), (index, call) -> new RecordedCall(call.decisionIndex(),
                call.decisionEntrySha256(), call.decision(), Optional.of(written.index()), Optional.of(written.hashHex()),
                outcome.resultSha256()));
          }
        }).index();
  }

  private static boolean isForeign(Outcome outcome, Epoch epoch) {
    return outcome.decisionEpoch().isPresent() && !outcome.decisionEpoch().get().equals(epoch.name);
  }

  private static ConcurrentSkipListMap<Long, RecordedCall> callsBySessionOf(Epoch epoch, Outcome outcome) {
    return isForeign(outcome, epoch) ? null : epoch.callsBySession.get(outcome.sessionId());
  }

  /** Records that a pinned tool's upstream definition changed; returns its index. */
  public long appendPinMismatch(PinMismatch mismatch) throws AuditException {
    return appendDurably(mismatch).index();
  }

  /**
   * The damaged previous epochs this start set aside (renamed, recorded after the genesis
   * entry), newest first; empty when every earlier file was intact.
   */
  public List<Quarantine> quarantined() {
    return quarantined;
  }

  /** Records that an agent's name or URI was refused for its length, by digest only; returns its index. */
  public long appendOversizedInput(OversizedInput refused) throws AuditException {
    return appendDurably(refused).index();
  }

  /** Records that a reloaded policy bundle now decides; returns its index. */
  public long appendBundleReload(BundleReload reload) throws AuditException {
    return appendDurably(reload, (epoch, written) -> genesis = new Genesis(genesis.gatewayVersion(), genesis.platform(),
        genesis.measurement(), reload.bundleHash(), genesis.catalogHash(), genesis.enforcementMode(),
        genesis.keyThumbprint(), Optional.empty())).index();
  }

  /** Records that a reloaded catalog now serves; returns its index. */
  public long appendCatalogReload(CatalogReload reload) throws AuditException {
    return appendDurably(reload, (epoch, written) -> genesis = new Genesis(genesis.gatewayVersion(), genesis.platform(),
        genesis.measurement(), reload.bundleHash(), reload.catalogHash(), genesis.enforcementMode(),
        genesis.keyThumbprint(), Optional.empty())).index();
  }

  /** Records that a changed catalog file was refused; returns its index. */
  public long appendCatalogRejected(CatalogRejected rejected) throws AuditException {
    return appendDurably(rejected).index();
  }

  /** Records an upstream's request relayed to the agent, before the agent sees it; returns its index. */
  public long appendRelayedRequest(RelayedRequest relayed) throws AuditException {
    return appendDurably(relayed).index();
  }

  /** Records how a person answered the approval a call needed, before the call's decision; returns its index. */
  public long appendApproval(AuditRecord.Approval approval) throws AuditException {
    return appendDurably(approval).index();
  }

  /** Records what goes back to the upstream for a relayed request, before it is sent; returns its index. */
  public long appendRelayedAnswer(RelayedAnswer answer) throws AuditException {
    return appendDurably(answer).index();
  }

  /** The epoch entries go to now; after a rotation, a later call returns the next one. */
  public Epoch currentEpoch() {
    lock.lock();
    try {
      return current;
    } finally {
      lock.unlock();
    }
  }

  /** The sessions with at least one call recorded in the current epoch. */
  public Set<String> sessionIds() {
    return currentEpoch().sessionIds();
  }

  /** The calls recorded for a session in the current epoch, in log order. */
  public List<RecordedCall> callsOf(String sessionId) {
    return currentEpoch().callsOf(sessionId);
  }

  /** {@link Epoch#snapshot} of the current epoch. */
  public Snapshot snapshot() {
    return currentEpoch().snapshot();
  }

  /** The RFC 9162 audit path of entry {@code index} in the tree of the current epoch's first {@code size} entries. */
  public List<String> inclusionProof(long index, long size) {
    return currentEpoch().inclusionProof(index, size);
  }

  /** The current epoch's file. */
  public Path file() {
    return currentEpoch().file();
  }

  /** Whether the log still accepts entries: open, and no earlier write or fsync failed. */
  public boolean healthy() {
    lock.lock();
    try {
      return !closed && failure == null;
    } finally {
      lock.unlock();
    }
  }

  /** The current epoch's name. */
  public String epoch() {
    return currentEpoch().name();
  }

  @Override
  public void close() {
    Epoch last = null;
    lock.lock();
    try {
      last = current;
      if (failure == null && !closed && last != null) {
        awaitDurable(last, last.entryHashes.size() - 1);
        if (checkpoints.enabled() && checkpointSigner.isPresent() && last.entryHashes.size() - 1 > last.lastCheckpoint) {
          writeCheckpoint(last, false);
        }
      }
    } catch (IOException e) {
      System.getLogger("cmcp.audit").log(System.Logger.Level.WARNING, "audit log: last outcomes not synced: " + e.getMessage());
    } finally {
      closed = true;
      outcomeWaiting.signalAll();
      lock.unlock();
    }
    if (checkpointTimer != null) {
      checkpointTimer.interrupt();
    }
    if (outcomeSyncer != null) {
      outcomeSyncer.interrupt();
    }
    tellRotated();
    keepCheckpointCopies();
    if (retainer != null) {
      // A pass under way finds the log closed before it deletes anything more; the next start goes on.
      retainer.shutdown();
    }
    if (last != null) {
      try {
        last.out.close();
      } catch (IOException e) {
        System.getLogger("cmcp.audit").log(System.Logger.Level.WARNING, "closing audit log: " + e.getMessage());
      }
    }
  }

  /** An entry written: its epoch, index, hash, and line (its canonical form and a newline). */
  private record Appended(Epoch epoch, long index, String hashHex, byte[] line) {}

  /** What an append does under the lock once its entry is written, e.g. index a call. */
  @FunctionalInterface
  private interface OnWritten {
    void written(Epoch epoch, Appended appended);
  }

  private Appended appendDurably(AuditRecord record) throws AuditException {
    return appendDurably(record, (epoch, written) -> { });
  }

  private Appended appendDurably(AuditRecord record, OnWritten then) throws AuditException {
    List<Member> members = members(record.toJson());
    Epoch epoch = null;
    lock.lock();
    try {
      epoch = writable();
      Appended appended = append(epoch, members, null);
      then.written(epoch, appended);
      awaitDurable(epoch, appended.index());
      Epoch now = current;
      if (checkpointDue(now)) {
        writeCheckpoint(now, false);
      }
      return appended;
    } catch (IOException e) {
      failure = failure == null ? e : failure;
      throw new AuditException("audit log " + (epoch == null ? directory : epoch.file) + " cannot record: " + describe(e), e);
    } finally {
      lock.unlock();
      tellRotated();
      keepCheckpointCopies();
    }
  }

  /** Writes an entry without waiting for it to reach the disk; the outcome syncer or the next sync will. */
  private Appended appendWritten(Function<Epoch, List<Member>> members, OnWritten then)
      throws AuditException {
    Epoch epoch = null;
    lock.lock();
    try {
      epoch = writable();
      Appended appended = append(epoch, members.apply(epoch), null);
      then.written(epoch, appended);
      outcomeWaiting.signal();
      return appended;
    } catch (IOException e) {
      throw new AuditException("audit log " + (epoch == null ? directory : epoch.file) + " cannot record: " + describe(e), e);
    } finally {
      lock.unlock();
      tellRotated();
      keepCheckpointCopies();
    }
  }

  /**
   * The epoch the next entry goes to, after rotating the current one when the policy says so. Holds
   * the lock; may release it while a sync of the current epoch finishes, so another appender may
   * have rotated meanwhile.
   */
  private Epoch writable() throws IOException {
    Epoch epoch = current;
    if (closed || failure != null || !rotationDue(epoch)) {
      return epoch;
    }
    while (epoch.syncing) {
      // Its file is being synced without the lock; it is closed only once that is done.
      syncDone.awaitUninterruptibly();
    }
    if (current != epoch || closed || failure != null) {
      return current;
    }
    rotate(epoch);
    return current;
  }

  /** Whether the current epoch is past a rotation threshold with an entry of its own. Holds the lock. */
  private boolean rotationDue(Epoch epoch) {
    if (!rotation.enabled() || epoch.entryHashes.size() <= epoch.opening) {
      return false;
    }
    return (rotation.maxBytes() > 0 && epoch.bytes >= rotation.maxBytes())
        || (!rotation.maxAge().isZero() && !clock.instant().isBefore(epoch.opened.plus(rotation.maxAge())));
  }

  /**
   * Ends {@code old} as a stop would (everything durable, a final checkpoint), then opens the next
   * epoch linked to it and makes it current. Holds the lock throughout and never releases it, so no
   * entry is written meanwhile; no sync of {@code old} is running.
   */
  private void rotate(Epoch old) throws IOException {
    try {
      syncHeld(old);
      if (checkpoints.enabled() && checkpointSigner.isPresent() && old.entryHashes.size() - 1 > old.lastCheckpoint) {
        writeCheckpoint(old, true);
      }
      Epoch next = newEpochFile(Optional.of(epochTime(old.name)));
      int length = old.entryHashes.size();
      byte[] tip = old.entryHashes.get(length - 1);
      AuditRecord.EpochLink link = new AuditRecord.EpochLink(old.file.getFileName().toString(), length,
          hex(old.tree.root(length)), hex(tip));
      append(next, members(genesis.linkedTo(Optional.of(link)).toJson()), tip);
      next.opening = next.entryHashes.size();
      syncHeld(next);
      old.rotatedAway = true;
      current = next;
      ended.add(old);
      retentionWanted.set(true);
    } catch (IOException e) {
      failure = failure == null ? e : failure;
      throw e;
    }
    try {
      old.out.close();
    } catch (IOException e) {
      System.getLogger("cmcp.audit").log(System.Logger.Level.WARNING, "closing rotated audit log " + old.file + ": " + describe(e));
    }
  }

  /** Makes every entry of {@code epoch} durable without releasing the lock. Holds it; no sync of {@code epoch} runs. */
  private void syncHeld(Epoch epoch) throws IOException {
    long target = epoch.entryHashes.size() - 1L;
    if (epoch.durableThrough >= target) {
      return;
    }
    epoch.out.getFD().sync();
    epoch.durableThrough = target;
    syncDone.signalAll();
  }

  /**
   * Tells the listener of each epoch rotation closed, and points {@code current} at the new file when
   * the gateway made that link. Never with the lock held: the listener may read the log.
   */
  private void tellRotated() {
    if (lock.isHeldByCurrentThread()) {
      return;
    }
    Epoch closedEpoch;
    while ((closedEpoch = ended.poll()) != null) {
      if (Files.isSymbolicLink(directory.resolve(CurrentLink.NAME))) {
        try {
          CurrentLink.point(this);
        } catch (IOException e) {
          System.getLogger("cmcp.audit").log(System.Logger.Level.WARNING,
              "audit_dir: " + CurrentLink.NAME + " not moved to the rotated log: " + describe(e));
        }
      }
      try {
        rotationListener.rotated(closedEpoch);
      } catch (RuntimeException e) {
        System.getLogger("cmcp.audit").log(System.Logger.Level.WARNING,
            "audit log: after rotating " + closedEpoch.file + ": " + e.getMessage());
      }
    }
    if (retainer != null && !closed && retentionWanted.getAndSet(false)) {
      try {
        retainer.execute(this::retain);
      } catch (RejectedExecutionException e) {
        // closed meanwhile: the next start applies retention.
      }
    }
  }

  /**
   * One retention pass within the run, on the retention thread, never under the log's lock: for
   * each file {@link Retention#deletable} names, oldest first, a durable retention entry, then the
   * deletion. Never the current epoch's file. An error stops the pass, is logged and told to the
   * observer; the log goes on, and the next pass tries again.
   */
  private void retain() {
    try {
      for (Retention.Deletable old : Retention.deletable(directory, retention, clock.instant())) {
        String name = old.file().getFileName().toString();
        if (closed || old.file().equals(currentEpoch().file)) {
          return;
        }
        if (!retentionRecorded.contains(name)) {
          // Recorded first: a crash after the deletion must not leave a link to a file no entry explains.
          appendDurably(old.entry());
          retentionRecorded.add(name);
        }
        Retention.delete(old.file());
        retentionObserver.deleted(name);
      }
    } catch (IOException | AuditException | RuntimeException e) {
      if (closed) {
        return;
      }
      String reason = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
      System.getLogger("cmcp.audit").log(System.Logger.Level.WARNING, "audit log: retention within the run stopped: " + reason);
      retentionObserver.failed(reason);
    }
  }

  /** Whether a thread waits for a running sync to end, as rotation does before it closes a file (tests). */
  boolean waitingForSync() {
    lock.lock();
    try {
      return lock.hasWaiters(syncDone);
    } finally {
      lock.unlock();
    }
  }

  /** Waits for the retention passes asked for so far to end (tests). */
  void awaitRetention() throws InterruptedException, ExecutionException {
    if (retainer != null) {
      retainer.submit(() -> { }).get();
    }
  }

  /**
   * Makes written outcomes durable within {@link #OUTCOME_SYNC_DELAY} when no decision's sync does
   * it first. Runs until the log is closed or poisoned.
   */
  private void syncOutcomes() {
    lock.lock();
    try {
      while (!closed && failure == null) {
        Epoch epoch = current;
        if (epoch.durableThrough >= epoch.entryHashes.size() - 1) {
          outcomeWaiting.await();
          continue;
        }
        long written = epoch.entryHashes.size() - 1L;
        lock.unlock();
        try {
          Thread.sleep(OUTCOME_SYNC_DELAY);
        } finally {
          lock.lock();
        }
        if (!closed && failure == null) {
          awaitDurable(epoch, written);
        }
      }
    } catch (InterruptedException e) {
      // closed
    } catch (IOException e) {
      // awaitDurable recorded the failure: every later append is refused.
    } finally {
      lock.unlock();
    }
  }

  /**
   * One member of an entry in RFC 8785 form ({@code "key":value}). An entry's own members are
   * canonicalised before the lock is taken, so that only the four chain members are made under it.
   */
  private record Member(String key, byte[] canonical) implements Comparable<Member> {
    /** RFC 8785 orders members by the UTF-16 code units of their keys, as String.compareTo does. */
    @Override
    public int compareTo(Member other) {
      return key.compareTo(other.key);
    }
  }

  /** The entry's own members in RFC 8785 form, in key order. */
  private static List<Member> members(ObjectNode body) {
    List<Member> members = new ArrayList<>(body.size() + CHAIN_MEMBERS);
    body.properties().forEach(field -> members.add(new Member(field.getKey(), CanonicalJson.member(field.getKey(), field.getValue()))));
    Collections.sort(members);
    return members;
  }

  /** {@code epoch}, {@code index}, {@code prev}, {@code time}: added to every entry under the lock. */
  private static final int CHAIN_MEMBERS = 4;

  /**
   * A chain member whose value needs no escaping: an index, or a string of ASCII letters, digits
   * and punctuation other than quote and backslash (a time, the epoch, a hex hash).
   */
  private static Member plainMember(String key, String value, boolean quoted) {
    String text = "\"" + key + "\":" + (quoted ? "\"" + value + "\"" : value);
    return new Member(key, text.getBytes(StandardCharsets.US_ASCII));
  }

  /** Writes one entry to {@code epoch}; {@code prev} overrides the link only for the genesis entry. */
  private Appended append(Epoch epoch, List<Member> body, byte[] prev) throws IOException {
    lock.lock();
    try {
      if (closed) {
        throw new IOException("the audit log is closed");
      }
      if (failure != null) {
        throw new IOException("an earlier write failed (" + describe(failure) + "); refusing to write more", failure);
      }
      long index = epoch.entryHashes.size();
      byte[] previous = prev != null ? prev : epoch.entryHashes.get(epoch.entryHashes.size() - 1);
      // Already in key order, as these four are among themselves: merged, not sorted, under the lock.
      Member[] chain = {
          plainMember("epoch", epoch.name, true),
          plainMember("index", Long.toString(index), false),
          plainMember("prev", hex(previous), true),
          plainMember("time", entryTime(), true)};
      List<Member> members = new ArrayList<>(body.size() + chain.length);
      int next = 0;
      for (Member member : body) {
        while (next < chain.length && chain[next].key().compareTo(member.key()) < 0) {
          members.add(chain[next++]);
        }
        members.add(member);
      }
      while (next < chain.length) {
        members.add(chain[next++]);
      }
      // The line: '{', the members separated by ',', '}', then '\n', which the hash leaves out.
      int size = 2 + members.size();
      for (Member member : members) {
        size += member.canonical().length;
      }
      byte[] line = new byte[size];
      int at = 0;
      line[at++] = '{';
      for (int i = 0; i < members.size(); i++) {
        if (i > 0) {
          line[at++] = ',';
        }
        byte[] canonical = members.get(i).canonical();
        System.arraycopy(canonical, 0, line, at, canonical.length);
        at += canonical.length;
      }
      line[at++] = '}';
      line[at] = '\n';
      epoch.out.write(line);
      epoch.bytes += line.length;
      MessageDigest sha256 = sha256();
      sha256.update(line, 0, line.length - 1);
      byte[] hash = sha256.digest();
      epoch.entryHashes.add(hash);
      epoch.tree.append(hash);
      return new Appended(epoch, index, hex(hash), line);
    } catch (IOException e) {
      failure = failure == null ? e : failure;
      throw e;
    } finally {
      lock.unlock();
    }
  }

  /** The entry time, formatted once per millisecond. Holds the lock. */
  private String entryTime() {
    long millis = clock.millis();
    if (millis != entryTimeMillis || entryTimeText == null) {
      entryTimeText = ENTRY_TIME.format(Instant.ofEpochMilli(millis));
      entryTimeMillis = millis;
    }
    return entryTimeText;
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }

  /**
   * Signs the tail once {@code audit.checkpoint_every_seconds} have passed with an entry waiting,
   * and rotates an epoch past {@code audit.rotate_max_age_seconds}, even when no further append
   * comes. Runs until the log is closed or poisoned.
   */
  private void checkpointOnTime() {
    try {
      while (true) {
        Thread.sleep(CHECKPOINT_POLL);
        if (!onTime()) {
          return;
        }
      }
    } catch (InterruptedException e) {
      // closed
    }
  }

  /**
   * One tick of the timer: rotates the current epoch when a threshold is met (as an append would,
   * {@link #writable}), then writes a time-triggered checkpoint when due; the listener, copies and
   * retention follow once the lock is let go. Returns false once the log is closed or poisoned.
   */
  boolean onTime() {
    lock.lock();
    try {
      if (closed || failure != null) {
        return false;
      }
      Epoch epoch = writable();
      if (checkpointDue(epoch)) {
        writeCheckpoint(epoch, false);
      }
    } catch (IOException e) {
      // append, rotate or awaitDurable recorded the failure: every later append is refused.
      return false;
    } finally {
      lock.unlock();
      tellRotated();
      keepCheckpointCopies();
    }
    return true;
  }

  /** Whether a checkpoint of {@code epoch} is due by the policy. Holds the lock. */
  private boolean checkpointDue(Epoch epoch) {
    if (checkpointSigner.isEmpty() || !checkpoints.enabled() || epoch.rotatedAway) {
      return false;
    }
    long uncovered = epoch.entryHashes.size() - 1 - epoch.lastCheckpoint;
    return (checkpoints.everyEntries() > 0 && uncovered >= checkpoints.everyEntries())
        || (!checkpoints.every().isZero() && uncovered > 0
            && !clock.instant().isBefore(epoch.lastCheckpointAt.plus(checkpoints.every())));
  }

  /**
   * Appends a checkpoint signing {@code epoch}'s chain as it stands, makes it durable (without
   * releasing the lock when {@code held}), then queues its line for {@code checkpoints/}
   * ({@link #keepCheckpointCopies}, once the lock is let go). Holds the lock.
   */
  private void writeCheckpoint(Epoch epoch, boolean held) throws IOException {
    ClaimSigner signer = checkpointSigner.orElseThrow();
    int length = epoch.entryHashes.size();
    String root = hex(epoch.tree.root(length));
    String tip = hex(epoch.entryHashes.get(length - 1));
    AuditRecord.Checkpoint checkpoint = new AuditRecord.Checkpoint(length, root, tip, signer.jwk(),
        signer.signCheckpoint(epoch.name, length, root, tip));
    Appended appended = append(epoch, members(checkpoint.toJson()), null);
    if (epoch.lastCheckpoint < 0) {
      // The first to sign this epoch's genesis, and with it the link to the file before.
      retentionWanted.set(true);
    }
    // Counted before the sync lets the lock go: otherwise every durable append that finds the
    // trigger met while this one syncs writes a checkpoint of its own (under load, one per append).
    epoch.lastCheckpoint = appended.index();
    epoch.lastCheckpointAt = clock.instant();
    if (held) {
      syncHeld(epoch);
    } else {
      awaitDurable(epoch, appended.index());
    }
    toKeep.add(appended);
  }

  /**
   * Keeps the checkpoints written so far in {@code checkpoints/} beside their logs, each replaced
   * in one rename, where a log cut back behind it is caught. Called after the log's lock is let
   * go (a copy costs a file of its own, an fsync and a rename, which appends need not wait for),
   * by the thread that wrote the checkpoint before its append returns; copies are made one at a
   * time, in log order.
   */
  private void keepCheckpointCopies() {
    if (toKeep.isEmpty() || lock.isHeldByCurrentThread()) {
      return;
    }
    copying.lock();
    try {
      Appended appended;
      while ((appended = toKeep.poll()) != null) {
        Path file = appended.epoch().file;
        try {
          Path folder = file.resolveSibling(AuditFolder.CHECKPOINTS);
          Files.createDirectories(folder);
          Path kept = folder.resolve(file.getFileName() + AuditFolder.CHECKPOINT_SUFFIX);
          Path temporary = folder.resolve(kept.getFileName() + ".tmp");
          try (FileOutputStream copy = new FileOutputStream(temporary.toFile())) {
            copy.write(appended.line());
            copy.getFD().sync();
          }
          Files.move(temporary, kept, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
          // The checkpoint is in the log; only its copy, which catches a log cut back behind it, is missing.
          System.getLogger("cmcp.audit").log(System.Logger.Level.WARNING,
              "audit log: the copy of checkpoint " + appended.index() + " in " + AuditFolder.CHECKPOINTS + "/ failed: " + describe(e));
        }
      }
    } finally {
      copying.unlock();
    }
  }

  /**
   * Group commit: one fsync covers every entry of {@code epoch} written before it started. Holds the
   * lock on entry. An epoch closed by rotation is durable in full, so waiting on it ends at once.
   */
  private void awaitDurable(Epoch epoch, long index) throws IOException {
    while (epoch.durableThrough < index) {
      if (failure != null) {
        throw new IOException("an earlier write failed (" + describe(failure) + ")", failure);
      }
      if (epoch.syncing) {
        syncDone.awaitUninterruptibly();
        continue;
      }
      epoch.syncing = true;
      long target = epoch.entryHashes.size() - 1L;
      long batch = target - epoch.durableThrough;
      lock.unlock();
      try {
        long started = System.nanoTime();
        fileSync.sync(epoch.out.getFD());
        syncs.synced(System.nanoTime() - started, batch);
      } catch (IOException e) {
        lock.lock();
        failure = failure == null ? e : failure;
        epoch.syncing = false;
        syncDone.signalAll();
        throw e;
      }
      lock.lock();
      epoch.syncing = false;
      epoch.durableThrough = Math.max(epoch.durableThrough, target);
      syncDone.signalAll();
    }
  }

  /** A failure in words: some JDK exceptions carry no message, or only a path. */
  private static String describe(IOException e) {
    return switch (e) {
      case FileSystemException fs when fs.getReason() == null -> fs.getClass().getSimpleName() + ": " + fs.getMessage();
      default -> e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    };
  }

  static String hex(byte[] bytes) {
    return HexFormat.of().formatHex(bytes);
  }

  private static String randomHex(int bytes) {
    byte[] random = new byte[bytes];
    new SecureRandom().nextBytes(random);
    return hex(random);
  }
}
