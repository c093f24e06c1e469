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
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

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

  private final Path file;
  private final String epoch;
  private final FileOutputStream out;
  private volatile boolean closed;
  private final Clock clock;

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition syncDone = lock.newCondition();
  private final Condition outcomeWaiting = lock.newCondition();
  private Thread outcomeSyncer;
  private Thread checkpointTimer;
  /** How often the timer asks whether a time-triggered checkpoint is due. */
  private static final Duration CHECKPOINT_POLL = Duration.ofSeconds(1);
  private final List<byte[]> entryHashes = new ArrayList<>();
  private final MerkleTree tree = new MerkleTree();
  private long durableThrough = -1;
  /** The hash of the last entry in hex, the next entry's {@code prev}; and the last entry time, formatted. */
  private String lastHashHex;
  private long entryTimeMillis;
  private String entryTimeText;
  private boolean syncing;
  private IOException failure;

  /** Per session, its calls by decision index: an outcome replaces one entry, whatever the session's length. */
  private final Map<String, ConcurrentSkipListMap<Long, RecordedCall>> callsBySession = new ConcurrentHashMap<>();
  private final SyncObserver syncs;
  private final List<Quarantine> quarantined;

  /** A recorded call of one session, with where its entries sit in the log. */
  public record RecordedCall(
      long decisionIndex, String decisionEntrySha256, Decision decision, Optional<Long> outcomeIndex,
      Optional<String> outcomeEntrySha256, Optional<String> resultSha256) {}

  /** The state of the log at one moment: enough to sign and to prove against. */
  public record Snapshot(String epoch, String root, String tip, long length) {}

  /** Told of each group-commit fsync, e.g. to measure it. Called outside the log's lock. */
  @FunctionalInterface
  public interface SyncObserver {
    /** One fsync took {@code nanos} and made {@code entries} entries durable. */
    void synced(long nanos, long entries);
  }

  private final CheckpointPolicy checkpoints;
  private final Optional<ClaimSigner> checkpointSigner;
  /** Index of the last checkpoint entry; -1 before the first. */
  private long lastCheckpoint = -1;
  /** Serialises the copies in {@code checkpoints/}; {@link #copiedThrough} is the newest kept. */
  private final ReentrantLock copyLock = new ReentrantLock();
  private long copiedThrough = -1;
  private Instant lastCheckpointAt;

  private AuditLog(
      Path file, String epoch, FileOutputStream out, Clock clock, SyncObserver syncs, List<Quarantine> quarantined,
      CheckpointPolicy checkpoints, Optional<ClaimSigner> checkpointSigner) {
    this.checkpoints = checkpoints;
    this.checkpointSigner = checkpointSigner;
    this.lastCheckpointAt = clock.instant();
    this.quarantined = quarantined;
    this.syncs = syncs;
    this.file = file;
    this.epoch = epoch;
    this.out = out;
    this.clock = clock;
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
    return open(directory, genesis, clock, syncs, CheckpointPolicy.OFF, Optional.empty(), Duration.ZERO);
  }

  /**
   * {@link #open(Path, Genesis, Clock, SyncObserver)}, writing signed checkpoints by {@code checkpoints}
   * with {@code signer}, the claim key the genesis entry names, and first deleting the epochs
   * {@code retention} allows ({@link Retention}; {@link Duration#ZERO} keeps every epoch).
   */
  public static AuditLog open(
      Path directory, Genesis genesis, Clock clock, SyncObserver syncs, CheckpointPolicy checkpoints, ClaimSigner signer,
      Duration retention) throws AuditException {
    if (!signer.jwk().thumbprint().equals(genesis.keyThumbprint())) {
      throw new IllegalArgumentException("checkpoints must be signed with the key the genesis entry names");
    }
    return open(directory, genesis, clock, syncs, checkpoints, Optional.of(signer), retention);
  }

  private static AuditLog open(
      Path directory, Genesis genesis, Clock clock, SyncObserver syncs, CheckpointPolicy checkpoints,
      Optional<ClaimSigner> signer, Duration retention) throws AuditException {
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
      String epoch = newEpoch(clock.instant(), previous);
      Path file = directory.resolve(FILE_PREFIX + epoch + FILE_SUFFIX);
      Files.createFile(file);
      // A stream, not a FileChannel: a channel closes itself when its thread is interrupted,
      // which would shut the log for every caller; stream writes and fd.sync() are not interruptible.
      FileOutputStream out = new FileOutputStream(file.toFile(), true);
      log = new AuditLog(file, epoch, out, clock, syncs, recovery.quarantined(), checkpoints, signer);
      byte[] previousTip = HexFormat.of().parseHex(previous.map(p -> p.head().tip()).orElse(AuditEntry.NO_PREDECESSOR));
      log.append(members(genesis.linkedTo(previous.map(PreviousEpoch::link)).toJson()), previousTip);
      if (previous.isPresent() && previous.get().needsRecoveryEntry()) {
        log.append(members(previous.get().recoveryEntry().toJson()), null);
      }
      for (Quarantine quarantine : recovery.quarantined()) {
        log.append(members(quarantine.toJson()), null);
      }
      for (AuditRecord.Retention deleted : retired) {
        log.append(members(deleted.toJson()), null);
      }
      out.getFD().sync();
      log.durableThrough = log.entryHashes.size() - 1L;
      log.outcomeSyncer = Thread.ofVirtual().name("cmcp-audit-outcome-sync").start(log::syncOutcomes);
      if (signer.isPresent() && !checkpoints.every().isZero()) {
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

  /**
   * The next boot takes the greatest file name as its predecessor, so this epoch's name must sort
   * after the previous one's even when both boots fall within one second (their random suffixes
   * would decide) or the clock was set back: then the time part moves just past the previous one.
   */
  private static String newEpoch(Instant now, Optional<PreviousEpoch> previous) {
    Instant time = now.truncatedTo(ChronoUnit.SECONDS);
    Optional<Instant> previousTime = previous.flatMap(PreviousEpoch::epochTime);
    if (previousTime.isPresent() && !time.isAfter(previousTime.get())) {
      time = previousTime.get().plusSeconds(1);
    }
    return EPOCH_TIME.format(time) + "-" + randomHex(4);
  }

  /** Records a decision durably; returns its index. */
  public long appendDecision(Decision decision) throws AuditException {
    Appended appended = appendDurably(decision);
    callsBySession.computeIfAbsent(decision.sessionId(), s -> new ConcurrentSkipListMap<>()).put(appended.index(),
        new RecordedCall(appended.index(), appended.hashHex(), decision, Optional.empty(), Optional.empty(), Optional.empty()));
    return appended.index();
  }

  /**
   * Records a request refused by authentication; returns its index. Written without waiting for
   * the disk, like an outcome: nothing was done that the entry must precede.
   */
  public long appendAuthRefused(AuditRecord.AuthRefused refused) throws AuditException {
    return appendWritten(refused).index();
  }

  /** Records what a forwarded call returned; returns its index. */
  public long appendOutcome(Outcome outcome) throws AuditException {
    Appended appended = appendWritten(outcome);
    ConcurrentSkipListMap<Long, RecordedCall> calls = callsBySession.get(outcome.sessionId());
    if (calls != null) {
      calls.computeIfPresent(outcome.decisionIndex(), (index, call) -> new RecordedCall(call.decisionIndex(),
          call.decisionEntrySha256(), call.decision(), Optional.of(appended.index()), Optional.of(appended.hashHex()),
          outcome.resultSha256()));
    }
    return appended.index();
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
    return appendDurably(reload).index();
  }

  /** Records that a reloaded catalog now serves; returns its index. */
  public long appendCatalogReload(CatalogReload reload) throws AuditException {
    return appendDurably(reload).index();
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

  /** The sessions with at least one call recorded in this epoch. */
  public Set<String> sessionIds() {
    return Set.copyOf(callsBySession.keySet());
  }

  /** The calls recorded for a session, in log order. */
  public List<RecordedCall> callsOf(String sessionId) {
    ConcurrentSkipListMap<Long, RecordedCall> calls = callsBySession.get(sessionId);
    return calls == null ? List.of() : List.copyOf(calls.values());
  }

  /**
   * The chain as far as it is on disk, after making every entry written so far durable: a claim must
   * not name entries a crash could still lose, nor leave out an outcome that was already delivered.
   */
  public Snapshot snapshot() {
    lock.lock();
    try {
      if (failure == null && !closed) {
        try {
          awaitDurable(entryHashes.size() - 1);
        } catch (IOException e) {
          // The log is poisoned now; the snapshot still names what did reach the disk.
        }
      }
      int length = (int) (durableThrough + 1);
      return new Snapshot(epoch, hex(tree.root(length)), hex(entryHashes.get(length - 1)), length);
    } finally {
      lock.unlock();
    }
  }

  /** The RFC 9162 audit path of entry {@code index} in the tree of the first {@code size} entries. */
  public List<String> inclusionProof(long index, long size) {
    lock.lock();
    try {
      // The tree is thread-safe on its own; the lock keeps size within what has been written.
      return tree.inclusionProof((int) index, (int) size).stream().map(AuditLog::hex).toList();
    } finally {
      lock.unlock();
    }
  }

  public Path file() {
    return file;
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

  public String epoch() {
    return epoch;
  }

  @Override
  public void close() {
    Optional<Appended> checkpoint = Optional.empty();
    lock.lock();
    try {
      if (failure == null && !closed) {
        awaitDurable(entryHashes.size() - 1);
        if (checkpoints.enabled() && checkpointSigner.isPresent() && entryHashes.size() - 1 > lastCheckpoint) {
          checkpoint = Optional.of(writeCheckpoint());
        }
      }
    } catch (IOException e) {
      System.getLogger("cmcp.audit").log(System.Logger.Level.WARNING, "audit log: last outcomes not synced: " + e.getMessage());
    } finally {
      closed = true;
      outcomeWaiting.signalAll();
      lock.unlock();
    }
    checkpoint.ifPresent(this::keepCopy);
    if (checkpointTimer != null) {
      checkpointTimer.interrupt();
    }
    if (outcomeSyncer != null) {
      outcomeSyncer.interrupt();
    }
    try {
      out.close();
    } catch (IOException e) {
      System.getLogger("cmcp.audit").log(System.Logger.Level.WARNING, "closing audit log: " + e.getMessage());
    }
  }

  /** An entry written: its index, hash, and line (its canonical form and a newline). */
  private record Appended(long index, String hashHex, byte[] line) {}

  private Appended appendDurably(AuditRecord record) throws AuditException {
    List<Member> members = members(record.toJson());
    Appended appended;
    Appended checkpoint = null;
    lock.lock();
    try {
      appended = append(members, null);
      awaitDurable(appended.index());
      if (checkpointDue()) {
        checkpoint = writeCheckpoint();
      }
    } catch (IOException e) {
      failure = failure == null ? e : failure;
      throw new AuditException("audit log " + file + " cannot record: " + describe(e), e);
    } finally {
      lock.unlock();
    }
    if (checkpoint != null) {
      keepCopy(checkpoint);
    }
    return appended;
  }

  /** Writes an entry without waiting for it to reach the disk; the outcome syncer or the next sync will. */
  private Appended appendWritten(AuditRecord record) throws AuditException {
    List<Member> members = members(record.toJson());
    lock.lock();
    try {
      Appended appended = append(members, null);
      outcomeWaiting.signal();
      return appended;
    } catch (IOException e) {
      throw new AuditException("audit log " + file + " cannot record: " + describe(e), e);
    } finally {
      lock.unlock();
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
        if (durableThrough >= entryHashes.size() - 1) {
          outcomeWaiting.await();
          continue;
        }
        long written = entryHashes.size() - 1L;
        lock.unlock();
        try {
          Thread.sleep(OUTCOME_SYNC_DELAY);
        } finally {
          lock.lock();
        }
        if (!closed && failure == null) {
          awaitDurable(written);
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

  /** The entry's own members in RFC 8785 form, in key order (by UTF-16 code units, as String.compareTo). */
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

  /** Writes one entry; {@code prev} overrides the link only for the genesis entry. Caller holds no sync. */
  private Appended append(List<Member> body, byte[] prev) throws IOException {
    lock.lock();
    try {
      if (closed) {
        throw new IOException("the audit log is closed");
      }
      if (failure != null) {
        throw new IOException("an earlier write failed (" + describe(failure) + "); refusing to write more", failure);
      }
      long index = entryHashes.size();
      String previous = prev != null ? hex(prev) : lastHashHex;
      // Already in key order, as these four are among themselves: merged, not sorted, under the lock.
      Member[] chain = {
          plainMember("epoch", epoch, true),
          plainMember("index", Long.toString(index), false),
          plainMember("prev", previous, true),
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
      out.write(line);
      MessageDigest sha256 = sha256();
      sha256.update(line, 0, line.length - 1);
      byte[] hash = sha256.digest();
      entryHashes.add(hash);
      tree.append(hash);
      lastHashHex = hex(hash);
      return new Appended(index, lastHashHex, line);
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
   * even when no further append comes. Runs until the log is closed or poisoned.
   */
  private void checkpointOnTime() {
    try {
      while (true) {
        Thread.sleep(CHECKPOINT_POLL);
        Appended checkpoint = null;
        lock.lock();
        try {
          if (closed || failure != null) {
            return;
          }
          if (checkpointDue()) {
            checkpoint = writeCheckpoint();
          }
        } finally {
          lock.unlock();
        }
        if (checkpoint != null) {
          keepCopy(checkpoint);
        }
      }
    } catch (InterruptedException e) {
      // closed
    } catch (IOException e) {
      // append or awaitDurable recorded the failure: every later append is refused.
    }
  }

  /** Whether a checkpoint is due by the policy. Holds the lock. */
  private boolean checkpointDue() {
    if (checkpointSigner.isEmpty() || !checkpoints.enabled()) {
      return false;
    }
    long uncovered = entryHashes.size() - 1 - lastCheckpoint;
    return (checkpoints.everyEntries() > 0 && uncovered >= checkpoints.everyEntries())
        || (!checkpoints.every().isZero() && uncovered > 0
            && !clock.instant().isBefore(lastCheckpointAt.plus(checkpoints.every())));
  }

  /**
   * Appends a checkpoint signing the chain as it stands and makes it durable; the caller then
   * keeps its line in {@code checkpoints/} ({@link #keepCopy}) after letting the lock go. Holds
   * the lock. The checkpoint's {@code length} must be its own index, so it is signed here.
   */
  private Appended writeCheckpoint() throws IOException {
    ClaimSigner signer = checkpointSigner.orElseThrow();
    int length = entryHashes.size();
    String root = hex(tree.root(length));
    String tip = hex(entryHashes.get(length - 1));
    AuditRecord.Checkpoint checkpoint = new AuditRecord.Checkpoint(length, root, tip, signer.jwk(),
        signer.signCheckpoint(epoch, length, root, tip));
    Appended appended = append(members(checkpoint.toJson()), null);
    // Counted before the sync lets the lock go: otherwise every durable append that finds the
    // trigger met while this one syncs writes a checkpoint of its own (under load, one per append).
    lastCheckpoint = appended.index();
    lastCheckpointAt = clock.instant();
    awaitDurable(appended.index());
    return appended;
  }

  /**
   * Keeps a durable checkpoint's line in {@code checkpoints/} beside the log, replaced in one
   * rename, where a log cut back behind it is caught. Outside the log's lock (the copy costs a
   * file of its own and an fsync, which appends need not wait for); copies are made one at a time
   * and never replace a newer one with an older one.
   */
  private void keepCopy(Appended checkpoint) {
    copyLock.lock();
    try {
      if (checkpoint.index() <= copiedThrough) {
        return;
      }
      Path folder = file.resolveSibling(AuditFolder.CHECKPOINTS);
      Files.createDirectories(folder);
      Path kept = folder.resolve(file.getFileName() + AuditFolder.CHECKPOINT_SUFFIX);
      Path temporary = folder.resolve(kept.getFileName() + ".tmp");
      try (FileOutputStream copy = new FileOutputStream(temporary.toFile())) {
        copy.write(checkpoint.line());
        copy.getFD().sync();
      }
      Files.move(temporary, kept, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      copiedThrough = checkpoint.index();
    } catch (IOException e) {
      // The checkpoint is in the log; only its copy, which catches a log cut back behind it, is missing.
      System.getLogger("cmcp.audit").log(System.Logger.Level.WARNING,
          "audit log: the copy of checkpoint " + checkpoint.index() + " in " + AuditFolder.CHECKPOINTS + "/ failed: " + describe(e));
    } finally {
      copyLock.unlock();
    }
  }

  /** Group commit: one fsync covers every entry written before it started. Holds the lock on entry. */
  private void awaitDurable(long index) throws IOException {
    while (durableThrough < index) {
      if (failure != null) {
        throw new IOException("an earlier write failed (" + describe(failure) + ")", failure);
      }
      if (syncing) {
        syncDone.awaitUninterruptibly();
        continue;
      }
      syncing = true;
      long target = entryHashes.size() - 1L;
      long batch = target - durableThrough;
      lock.unlock();
      try {
        long started = System.nanoTime();
        out.getFD().sync();
        syncs.synced(System.nanoTime() - started, batch);
      } catch (IOException e) {
        lock.lock();
        failure = failure == null ? e : failure;
        syncing = false;
        syncDone.signalAll();
        throw e;
      }
      lock.lock();
      syncing = false;
      durableThrough = Math.max(durableThrough, target);
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
