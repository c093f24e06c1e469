package dev.cmcp.gateway.audit;

import dev.cmcp.verify.audit.AuditFolder;
import dev.cmcp.verify.audit.AuditLogReplay;
import dev.cmcp.verify.audit.AuditRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * {@code audit.retention_days}: at start, and within a run after each rotation or first checkpoint
 * of an epoch, the oldest epoch files last written longer ago than that are deleted, oldest first,
 * each only while the epoch after it stays: it must replay, its genesis must link to the file, and
 * a signed checkpoint must cover that genesis. The chain from the oldest kept epoch on stays
 * verifiable, and its first link still names the deleted file's length, root and tip, which a
 * {@code retention} entry records (at start in the new epoch, within a run before the deletion).
 */
final class Retention {

  private Retention() {}

  /** An epoch file the policy allows to delete, and the retention entry that records it. */
  record Deletable(Path file, AuditRecord.Retention entry) {}

  /** Deletes what the policy allows; returns what was deleted, oldest first. Never the newest epoch. */
  static List<AuditRecord.Retention> apply(Path directory, Duration keep, Instant now) throws IOException {
    List<AuditRecord.Retention> deleted = new ArrayList<>();
    for (Deletable old : deletable(directory, keep, now)) {
      delete(old.file());
      deleted.add(old.entry());
    }
    return List.copyOf(deleted);
  }

  /**
   * What the policy allows to delete now, oldest first: never the newest epoch file, and each only
   * while the file after it signs its link. Deletes nothing.
   */
  static List<Deletable> deletable(Path directory, Duration keep, Instant now) throws IOException {
    if (keep.isZero()) {
      return List.of();
    }
    List<Path> epochs;
    try (Stream<Path> files = Files.list(directory)) {
      epochs = files.filter(p -> p.getFileName().toString().startsWith(AuditLog.FILE_PREFIX)
          && p.getFileName().toString().endsWith(AuditLog.FILE_SUFFIX)).sorted().toList();
    }
    List<Deletable> deletable = new ArrayList<>();
    for (int i = 0; i + 1 < epochs.size(); i++) {
      Path old = epochs.get(i);
      if (!Files.getLastModifiedTime(old).toInstant().isBefore(now.minus(keep))) {
        break;
      }
      Optional<AuditRecord.EpochLink> link = signedLinkTo(epochs.get(i + 1), old.getFileName().toString());
      if (link.isEmpty()) {
        break;
      }
      deletable.add(new Deletable(old, new AuditRecord.Retention(link.get().file(), link.get().length(), link.get().root(),
          link.get().tip())));
    }
    return List.copyOf(deletable);
  }

  /**
   * Deletes an epoch file's last checkpoint copy in {@code checkpoints/}, then the file: a failure
   * between them leaves the file, which a later pass deletes, never a copy without its file.
   */
  static void delete(Path file) throws IOException {
    Files.deleteIfExists(file.resolveSibling(AuditFolder.CHECKPOINTS).resolve(file.getFileName() + AuditFolder.CHECKPOINT_SUFFIX));
    Files.deleteIfExists(file);
  }

  /** The genesis link of {@code next} to {@code name}, when {@code next} replays and a checkpoint signs its genesis. */
  private static Optional<AuditRecord.EpochLink> signedLinkTo(Path next, String name) {
    if (!(AuditLogReplay.replay(next) instanceof AuditLogReplay.Intact log)) {
      return Optional.empty();
    }
    Optional<AuditRecord.EpochLink> link = log.genesis().previousEpoch().filter(l -> l.file().equals(name));
    for (int i = 1; i < log.length() && link.isPresent(); i++) {
      // A checkpoint covers every entry before it, the genesis included; the replay checked its signature.
      if (log.record(i) instanceof AuditRecord.Checkpoint) {
        return link;
      }
    }
    return Optional.empty();
  }
}
