package dev.cmcp.gateway.audit;

import dev.cmcp.verify.audit.AuditLogReplay;
import dev.cmcp.verify.audit.AuditRecord;
import dev.cmcp.verify.audit.AuditRecord.Quarantine;
import dev.cmcp.verify.audit.ChainHead;
import dev.cmcp.verify.base.Digests;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.text.ParsePosition;
import java.time.DateTimeException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * The newest earlier epoch in the audit folder, repaired after a crash: a last line cut off
 * mid-write is removed (it was never acknowledged, since appends return only after fsync), and
 * decisions that were forwarded but have no outcome are listed for the recovery entry.
 *
 * <p>The file is replayed as a verifier would before anything is repaired: a file broken
 * anywhere but in its last, unterminated line was not cut off by a crash, and the new epoch
 * must neither link to it nor change it. Such a file is quarantined instead (renamed with
 * {@link #QUARANTINE_SUFFIX}, so that no later start takes it for an epoch), its SHA-256 kept
 * for the new epoch to record, and the newest intact epoch before it is the predecessor: a
 * damaged file never stops the gateway from starting.
 */
record PreviousEpoch(Path file, ChainHead head, long truncatedBytes, List<Long> unfinished) {

  /** Appended to a damaged epoch file's name: it then no longer ends in {@code .jsonl}. */
  static final String QUARANTINE_SUFFIX = ".quarantined";

  /** The longest reason a quarantine entry carries; a replay's description is cut there. */
  private static final int MAX_REASON_CHARS = 512;

  /** The previous intact epoch, if any, and the damaged files set aside on the way to it, newest first. */
  record Recovery(Optional<PreviousEpoch> previous, List<Quarantine> quarantined) {}

  /** Finds the newest intact epoch, quarantining each damaged newer one. */
  static Recovery recoverOrQuarantine(Path directory) throws IOException {
    List<Quarantine> quarantined = new ArrayList<>();
    while (true) {
      try {
        return new Recovery(recover(directory), List.copyOf(quarantined));
      } catch (Damaged damaged) {
        quarantined.add(quarantine(damaged.file, damaged.getMessage()));
      }
    }
  }

  private static Quarantine quarantine(Path file, String reason) throws IOException {
    String digest = Digests.sha256Hex(file);
    Path renamed = file.resolveSibling(file.getFileName() + QUARANTINE_SUFFIX);
    for (int n = 2; Files.exists(renamed); n++) {
      renamed = file.resolveSibling(file.getFileName() + QUARANTINE_SUFFIX + "-" + n);
    }
    Files.move(file, renamed, StandardCopyOption.ATOMIC_MOVE);
    String shortReason = reason.length() > MAX_REASON_CHARS ? reason.substring(0, MAX_REASON_CHARS) + "..." : reason;
    return new Quarantine(file.getFileName().toString(), renamed.getFileName().toString(), digest, shortReason);
  }


  /** A previous epoch broken beyond a torn last line. */
  private static final class Damaged extends IOException {
    private static final long serialVersionUID = 1L;
    private final transient Path file;

    Damaged(Path file, String message) {
      super(message);
      this.file = file;
    }
  }

  static Optional<PreviousEpoch> recover(Path directory) throws IOException {
    Optional<Path> newest;
    try (Stream<Path> files = Files.list(directory)) {
      newest = files
          .filter(p -> p.getFileName().toString().startsWith(AuditLog.FILE_PREFIX)
              && p.getFileName().toString().endsWith(AuditLog.FILE_SUFFIX))
          .max(Path::compareTo);
    }
    if (newest.isEmpty()) {
      return Optional.empty();
    }
    Path file = newest.get();
    byte[] bytes = Files.readAllBytes(file);
    int end = bytes.length;
    while (end > 0 && bytes[end - 1] != '\n') {
      end--;
    }
    long wholeLines = 0;
    for (int i = 0; i < end; i++) {
      wholeLines += bytes[i] == '\n' ? 1 : 0;
    }
    long truncated = (long) bytes.length - end;
    if (wholeLines == 0 && truncated == 0) {
      return Optional.empty();
    }

    AuditLogReplay.Result replay = AuditLogReplay.replay(file);
    if (replay instanceof AuditLogReplay.Broken broken && !(truncated > 0 && broken.lineNumber() == wholeLines + 1)) {
      throw damaged(file, broken);
    }
    if (truncated > 0) {
      try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
        channel.truncate(end);
        channel.force(true);
      }
      if (wholeLines == 0) {
        // Not even the genesis entry was whole: that boot never served a call.
        return Optional.empty();
      }
      replay = AuditLogReplay.replay(file);
    }
    return switch (replay) {
      case AuditLogReplay.Broken broken -> throw damaged(file, broken);
      case AuditLogReplay.Intact intact ->
          Optional.of(new PreviousEpoch(file, intact.head(), truncated, unfinishedDecisions(intact)));
    };
  }

  /** Forwarded decisions that no outcome entry answers; blocked ones were never forwarded. */
  private static List<Long> unfinishedDecisions(AuditLogReplay.Intact log) {
    Set<Long> unfinished = new TreeSet<>();
    for (int i = 0; i < log.length(); i++) {
      switch (log.record(i)) {
        case AuditRecord.Decision decision when decision.forwarded() -> unfinished.add((long) i);
        // An outcome naming an earlier epoch answers a decision there, not this file's entry of that index.
        case AuditRecord.Outcome outcome when outcome.decisionEpoch().isEmpty() -> unfinished.remove(outcome.decisionIndex());
        default -> { }
      }
    }
    return List.copyOf(unfinished);
  }

  private static Damaged damaged(Path file, AuditLogReplay.Broken broken) {
    return new Damaged(file, broken.describe());
  }

  /** The time in this file's epoch name, which orders epochs; empty for a name not written by the gateway. */
  Optional<Instant> epochTime() {
    String name = file.getFileName().toString().substring(AuditLog.FILE_PREFIX.length());
    try {
      return Optional.of(Instant.from(AuditLog.EPOCH_TIME.parse(name, new ParsePosition(0))));
    } catch (DateTimeException e) {
      return Optional.empty();
    }
  }

  boolean needsRecoveryEntry() {
    return truncatedBytes > 0 || !unfinished.isEmpty();
  }

  /** What the next epoch's genesis entry names as its predecessor. */
  AuditRecord.EpochLink link() {
    return new AuditRecord.EpochLink(file.getFileName().toString(), head.length(), head.root(), head.tip());
  }

  AuditRecord.Recovery recoveryEntry() {
    return new AuditRecord.Recovery(file.getFileName().toString(), truncatedBytes, unfinished);
  }
}
