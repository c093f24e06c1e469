package dev.cmcp.verify.audit;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cmcp.verify.base.BoundedRead;
import dev.cmcp.verify.base.Digests;
import dev.cmcp.verify.base.StrictJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A whole audit folder: every epoch file replayed, in the order of their names (which sort by
 * boot time), and each epoch's genesis link followed to the one before it. An epoch's genesis
 * entry names the previous epoch's file, length, root and tip; the link holds when that file is
 * the epoch just before it and its replayed head is what the genesis entry says. Files set aside
 * as damaged ({@code *.quarantined}) are listed, and the epoch that set them aside must say so in a
 * "quarantine" entry naming the file's SHA-256.
 *
 * @param epochs the epoch files in order, oldest first
 * @param quarantined the quarantined files found beside them
 * @param faults what does not hold, one sentence each naming the file; empty when the chain holds
 */
public record AuditFolder(List<Path> epochs, List<Path> quarantined, List<String> faults) {

  static final String PREFIX = "audit-";
  static final String SUFFIX = ".jsonl";
  static final String QUARANTINED = ".quarantined";
  /** The folder, in the audit folder, of each epoch's last signed checkpoint. */
  public static final String CHECKPOINTS = "checkpoints";
  /** Appended to an epoch file's name to name its last checkpoint there. */
  public static final String CHECKPOINT_SUFFIX = ".checkpoint";

  public AuditFolder {
    epochs = List.copyOf(epochs);
    quarantined = List.copyOf(quarantined);
    faults = List.copyOf(faults);
  }

  /** Replays every epoch of {@code dir} and follows the links between them; never throws for what the files hold. */
  public static AuditFolder verify(Path dir) throws IOException {
    List<Path> epochs;
    List<Path> quarantined;
    try (Stream<Path> files = Files.list(dir)) {
      List<Path> all = files.sorted().toList();
      epochs = all.stream().filter(p -> name(p).startsWith(PREFIX) && name(p).endsWith(SUFFIX)).toList();
      quarantined = all.stream().filter(p -> name(p).startsWith(PREFIX) && name(p).contains(SUFFIX + QUARANTINED)).toList();
    }
    List<String> faults = new ArrayList<>();
    if (epochs.isEmpty()) {
      faults.add(dir + " holds no audit-*.jsonl epoch file");
    }
    Optional<AuditLogReplay.Intact> before = Optional.empty();
    Optional<Path> beforeFile = Optional.empty();
    List<String> quarantineEntries = new ArrayList<>();
    Map<String, AuditLogReplay.Intact> intact = new HashMap<>();
    List<AuditRecord.Retention> retired = new ArrayList<>();
    Optional<String> dangling = Optional.empty();
    Optional<AuditRecord.EpochLink> danglingLink = Optional.empty();
    for (Path file : epochs) {
      AuditLogReplay.Result replay = AuditLogReplay.replay(file);
      if (replay instanceof AuditLogReplay.Broken broken) {
        faults.add(name(file) + " " + broken.describe());
        before = Optional.empty();
        beforeFile = Optional.of(file);
        continue;
      }
      AuditLogReplay.Intact log = (AuditLogReplay.Intact) replay;
      Optional<AuditRecord.EpochLink> link = log.genesis().previousEpoch();
      for (int i = 1; i < log.length(); i++) {
        if (log.record(i) instanceof AuditRecord.Quarantine quarantine) {
          quarantineEntries.add(quarantine.quarantinedAs() + " " + quarantine.fileSha256());
        }
        if (log.record(i) instanceof AuditRecord.Retention retention) {
          retired.add(retention);
        }
      }
      if (beforeFile.isEmpty()) {
        if (link.isPresent()) {
          // Fine only when a retention entry, written later, says the link's file was deleted by policy.
          dangling = Optional.of(name(file));
          danglingLink = link;
        }
      } else if (link.isEmpty()) {
        faults.add(name(file) + ": its genesis links to no previous epoch, but " + name(beforeFile.get()) + " comes before it");
      } else if (!link.get().file().equals(name(beforeFile.get()))) {
        faults.add(name(file) + ": its genesis links to " + link.get().file() + ", but the epoch before it is "
            + name(beforeFile.get()) + " (an epoch between them was deleted, or this one was moved in)");
      } else if (before.isEmpty()) {
        faults.add(name(file) + ": links to " + name(beforeFile.get()) + ", which does not replay (see above)");
      } else {
        long length = link.get().length();
        ChainHead head = before.get().prefix((int) Math.max(0, Math.min(length, before.get().length())));
        if (length != before.get().length()) {
          faults.add(name(file) + ": its genesis says " + name(beforeFile.get()) + " held " + length
              + " entries; it holds " + before.get().length() + " (entries added after the epoch ended, or cut)");
        } else if (!head.root().equals(link.get().root()) || !head.tip().equals(link.get().tip())) {
          faults.add(name(file) + ": the root and tip its genesis names are not those of " + name(beforeFile.get()));
        } else if (!log.previousEpochTip().equals(head.tip())) {
          faults.add(name(file) + ": its genesis prev is not the tip of " + name(beforeFile.get()));
        }
      }
      before = Optional.of(log);
      beforeFile = Optional.of(file);
      intact.put(name(file), log);
    }
    faults.addAll(checkLastCheckpoints(dir, intact));
    if (dangling.isPresent()) {
      AuditRecord.EpochLink link = danglingLink.orElseThrow();
      boolean byRetention = retired.stream().anyMatch(r -> r.file().equals(link.file()) && r.length() == link.length()
          && r.root().equals(link.root()) && r.tip().equals(link.tip()));
      if (!byRetention) {
        faults.add(dangling.get() + ": its genesis links to " + link.file() + ", which is not in the folder"
            + " (deleted or moved away?), and no retention entry records its deletion");
      }
    }
    for (Path file : quarantined) {
      String digest = Digests.sha256Hex(file);
      if (quarantineEntries.stream().noneMatch(entry -> entry.startsWith(name(file) + " "))) {
        faults.add(name(file) + " is quarantined, but no epoch's quarantine entry names it");
      } else if (!quarantineEntries.contains(name(file) + " " + digest)) {
        faults.add(name(file) + ": its SHA-256 " + digest + " is not the one its quarantine entry recorded (changed since)");
      }
    }
    return new AuditFolder(epochs, quarantined, faults);
  }

  /**
   * Each epoch's last signed checkpoint, which the gateway also keeps beside the log
   * ({@code checkpoints/<epoch file>.checkpoint}, the checkpoint entry's line), must still be in
   * its log, byte for byte: a log cut back behind its last checkpoint, with the checkpoint
   * entry, is caught here. An epoch that ended more than a checkpoint interval after its last
   * checkpoint still has an unprotected tail (docs/spec/audit-log.md, "Checkpoints").
   */
  private static List<String> checkLastCheckpoints(Path dir, Map<String, AuditLogReplay.Intact> intact) throws IOException {
    Path folder = dir.resolve(CHECKPOINTS);
    if (!Files.isDirectory(folder)) {
      return List.of();
    }
    List<Path> files;
    try (Stream<Path> listed = Files.list(folder)) {
      files = listed.filter(p -> name(p).endsWith(CHECKPOINT_SUFFIX)).sorted().toList();
    }
    List<String> faults = new ArrayList<>();
    for (Path file : files) {
      String label = CHECKPOINTS + "/" + name(file);
      String logName = name(file).substring(0, name(file).length() - CHECKPOINT_SUFFIX.length());
      byte[] line;
      try {
        line = BoundedRead.read(file, AuditLogReplay.MAX_LINE_BYTES, "checkpoint " + label);
      } catch (IOException e) {
        faults.add(label + ": cannot be read: " + e.getMessage());
        continue;
      }
      int end = line.length;
      while (end > 0 && (line[end - 1] == '\n')) {
        end--;
      }
      byte[] canonical = Arrays.copyOf(line, end);
      JsonNode entry;
      AuditRecord.Checkpoint checkpoint;
      try {
        entry = new StrictJson().parse(canonical);
        if (!(AuditRecord.fromJson(entry) instanceof AuditRecord.Checkpoint read)) {
          faults.add(label + ": not a checkpoint entry");
          continue;
        }
        checkpoint = read;
      } catch (StrictJson.MalformedJsonException | AuditFormatException e) {
        faults.add(label + ": not a checkpoint entry: " + e.getMessage());
        continue;
      }
      AuditLogReplay.Intact log = intact.get(logName);
      if (log == null) {
        faults.add(label + ": its log " + logName + " is not in the folder, or does not replay (deleted or moved away?)");
        continue;
      }
      long index = entry.path("index").asLong(-1);
      boolean signed = checkpoint.key().thumbprint().equals(log.genesis().keyThumbprint())
          && log.epoch().equals(entry.path("epoch").asText())
          && CheckpointSignature.verifies(checkpoint.key(), checkpoint.signature(), log.epoch(), checkpoint.length(),
              checkpoint.root(), checkpoint.tip());
      if (!signed) {
        faults.add(label + ": not signed by " + logName + "'s claim key for its epoch: altered or forged");
      } else if (index < 0 || index >= log.length()) {
        faults.add(logName + ": truncated: its last signed checkpoint (" + label + ") is entry " + index + ", covering "
            + checkpoint.length() + " entries, but the log holds only " + log.length() + " entries");
      } else if (!log.entryHashHex((int) index).equals(Digests.sha256Hex(canonical))) {
        faults.add(logName + ": line " + (index + 1) + " is not the signed checkpoint kept in " + label
            + " (the log was cut back and written again, or the checkpoint replaced)");
      }
    }
    return faults;
  }

  /** The epoch file of {@code epoch} in this folder, if any. */
  public Optional<Path> epochFile(String epoch) {
    return epochs.stream().filter(p -> name(p).equals(PREFIX + epoch + SUFFIX)).findFirst();
  }


  private static String name(Path file) {
    return file.getFileName().toString();
  }
}
