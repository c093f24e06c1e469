package dev.cmcp.verify.audit;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cmcp.verify.base.CanonicalJson;
import dev.cmcp.verify.base.Digests;
import dev.cmcp.verify.base.StrictJson;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Replays one epoch's audit log file ({@code audit-<epoch>.jsonl}) from its first byte and says
 * either that the whole file is an intact chain, or which line breaks it and why.
 *
 * <p>Every line must be the canonical JSON of its entry (a re-encoded but equivalent line
 * would otherwise hash differently from what was signed and still look fine), indexes run
 * from 0 without gaps, line 1 is the genesis entry, every entry names the same epoch, and each
 * {@code prev} is the hash of the line before. The genesis {@code prev} links to the previous
 * epoch's tip, which lives in another file; it is reported, not checked, beyond agreeing with
 * the genesis entry's own {@code previous_epoch}. Every entry must also be one of the kinds
 * {@link AuditRecord} defines, with exactly its members.
 */
public final class AuditLogReplay {

  /** Entries hold hashes, not payloads; a longer line is not an entry this gateway wrote. */
  public static final int MAX_LINE_BYTES = 1024 * 1024;

  /**
   * The most a replayed log may hold, whatever the file is (a pipe or device has no size): every
   * entry is kept in memory to compare with claims. An epoch ends at every gateway start.
   */
  public static final long MAX_LOG_BYTES = 1024L * 1024 * 1024;

  private static final Pattern HEX_HASH = Pattern.compile("[0-9a-f]{64}");

  private AuditLogReplay() {}

  /** What a replay found: {@link Intact} or {@link Broken}. */
  public sealed interface Result permits Intact, Broken {}

  /**
   * The first fault in the file. {@code lineNumber} counts from 1 (line n holds entry n - 1);
   * 0 means the file as a whole (missing, unreadable, empty).
   */
  public record Broken(long lineNumber, String reason) implements Result {
    /** {@code line 7: prev does not match ...}, ready for a report. */
    public String describe() {
      return lineNumber == 0 ? reason : "line " + lineNumber + ": " + reason;
    }
  }

  /** A file whose every line replayed: its entries, their hashes and the Merkle tree over them. */
  public static final class Intact implements Result {
    private final String epoch;
    private final String previousEpochTip;
    private final List<JsonNode> entries;
    private final List<AuditRecord> records;
    private final List<String> entryHashes;
    private final MerkleTree tree;

    private Intact(
        String epoch, String previousEpochTip, List<JsonNode> entries, List<AuditRecord> records, List<String> entryHashes,
        MerkleTree tree) {
      this.epoch = epoch;
      this.previousEpochTip = previousEpochTip;
      this.entries = List.copyOf(entries);
      this.records = List.copyOf(records);
      this.entryHashes = List.copyOf(entryHashes);
      this.tree = tree;
    }

    /** The epoch every entry names. */
    public String epoch() {
      return epoch;
    }

    /** The genesis entry's {@code prev}: the previous epoch's tip, or 64 zeros for the first epoch. */
    public String previousEpochTip() {
      return previousEpochTip;
    }

    public int length() {
      return entries.size();
    }

    /** A copy of entry {@code index}. */
    public JsonNode entry(int index) {
      return entries.get(index).deepCopy();
    }

    /** What entry {@code index} records, read with the format's one definition. */
    public AuditRecord record(int index) {
      return records.get(index);
    }

    /** The genesis entry. */
    public AuditRecord.Genesis genesis() {
      return (AuditRecord.Genesis) records.get(0);
    }

    /** Hex entry hash of entry {@code index}. */
    public String entryHashHex(int index) {
      return entryHashes.get(index);
    }

    /** Root, tip and length of the whole file. */
    public ChainHead head() {
      return prefix(length());
    }

    /** Root, tip and length of the chain as it stood after its first {@code length} entries. */
    public ChainHead prefix(int length) {
      if (length < 0 || length > length()) {
        throw new IllegalArgumentException("the log holds " + length() + " entries, not " + length);
      }
      String tip = length == 0 ? AuditEntry.NO_PREDECESSOR : entryHashes.get(length - 1);
      return new ChainHead(length, HexFormat.of().formatHex(tree.root(length)), tip);
    }
  }

  /** Replays {@code file}; never throws for what the file holds. */
  public static Result replay(Path file) {
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
      Chain chain = new Chain();
      ByteArrayOutputStream line = new ByteArrayOutputStream();
      long lineNumber = 1;
      long read = 0;
      for (int b = in.read(); b != -1; b = in.read()) {
        if (++read > MAX_LOG_BYTES) {
          return new Broken(lineNumber, file + " holds more than " + MAX_LOG_BYTES + " bytes: more than this verifier"
              + " replays (read stopped at the limit)");
        }
        if (b != '\n') {
          if (line.size() >= MAX_LINE_BYTES) {
            return new Broken(lineNumber, "longer than " + MAX_LINE_BYTES + " bytes: not an audit entry");
          }
          line.write(b);
          continue;
        }
        String fault = chain.append(line.toByteArray());
        if (fault != null) {
          return new Broken(lineNumber, fault);
        }
        line.reset();
        lineNumber++;
      }
      if (line.size() > 0) {
        return new Broken(lineNumber, "not terminated by a newline: the last write was torn (the gateway repairs the file at its next start)");
      }
      if (chain.entries.isEmpty()) {
        return new Broken(0, file + " is empty: every audit log starts with a genesis entry");
      }
      return new Intact(chain.epoch, chain.previousEpochTip, chain.entries, chain.records, chain.entryHashes, chain.tree);
    } catch (NoSuchFileException e) {
      return new Broken(0, "audit log " + file + " not found");
    } catch (IOException e) {
      return new Broken(0, "cannot read audit log " + file + ": " + e.getMessage());
    }
  }

  /** The chain as replayed so far. */
  private static final class Chain {
    private final StrictJson json = new StrictJson();
    private final List<JsonNode> entries = new ArrayList<>();
    private final List<AuditRecord> records = new ArrayList<>();
    private final List<String> entryHashes = new ArrayList<>();
    private final MerkleTree tree = new MerkleTree();
    private String epoch;
    private String previousEpochTip;
    private String keyThumbprint;

    /** Adds one line (without its newline); returns why it does not fit the chain, or null. */
    String append(byte[] line) {
      JsonNode entry;
      try {
        entry = json.parse(line);
      } catch (StrictJson.MalformedJsonException e) {
        return "not a JSON entry: " + e.getMessage();
      }
      if (!entry.isObject()) {
        return "not a JSON object";
      }
      if (!isCanonical(entry, line)) {
        return "not in canonical form (RFC 8785): a stored line must be byte for byte the canonical JSON of its entry";
      }
      int expectedIndex = entries.size();
      JsonNode index = entry.get("index");
      if (index == null || !index.isIntegralNumber() || !index.canConvertToLong()) {
        return "index is missing or not an integer";
      }
      if (index.longValue() != expectedIndex) {
        return "index is " + index.longValue() + ", expected " + expectedIndex + " (indexes run from 0 with no gap and no repeat)";
      }
      String type = text(entry, "type");
      if (type == null) {
        return "type is missing or not a string";
      }
      if (expectedIndex == 0 && !type.equals("genesis")) {
        return "the first entry must be the genesis entry, found type \"" + type + "\"";
      }
      if (expectedIndex > 0 && type.equals("genesis")) {
        return "a second genesis entry: one file holds one epoch";
      }
      if (text(entry, "time") == null) {
        return "time is missing or not a string";
      }
      String entryEpoch = text(entry, "epoch");
      if (entryEpoch == null || entryEpoch.isEmpty()) {
        return "epoch is missing or not a string";
      }
      if (expectedIndex > 0 && !entryEpoch.equals(epoch)) {
        return "epoch is \"" + entryEpoch + "\", but the genesis entry opened epoch \"" + epoch + "\"";
      }
      String prev = text(entry, "prev");
      if (prev == null || !HEX_HASH.matcher(prev).matches()) {
        return "prev is missing or not 64 lower-case hex digits";
      }
      String fault = expectedIndex == 0 ? checkGenesisLink(entry, prev) : checkLink(prev, expectedIndex);
      if (fault != null) {
        return fault;
      }
      AuditRecord record;
      try {
        record = AuditRecord.fromJson(entry);
      } catch (AuditFormatException e) {
        return "not an audit entry of this format: " + e.getMessage();
      }
      if (expectedIndex == 0) {
        epoch = entryEpoch;
        previousEpochTip = prev;
        keyThumbprint = ((AuditRecord.Genesis) record).keyThumbprint();
      }
      if (record instanceof AuditRecord.Checkpoint checkpoint) {
        String checkpointFault = checkCheckpoint(checkpoint, expectedIndex);
        if (checkpointFault != null) {
          return checkpointFault;
        }
      }
      byte[] hash = Digests.sha256(line);
      entries.add(entry);
      records.add(record);
      entryHashes.add(HexFormat.of().formatHex(hash));
      tree.append(hash);
      return null;
    }

    /** A checkpoint covers exactly the entries before it and is signed by the key the genesis entry names. */
    private String checkCheckpoint(AuditRecord.Checkpoint checkpoint, int index) {
      if (checkpoint.length() != index) {
        return "the checkpoint covers " + checkpoint.length() + " entries, but " + index + " come before it";
      }
      String root = HexFormat.of().formatHex(tree.root(index));
      if (!checkpoint.root().equals(root) || !checkpoint.tip().equals(entryHashes.get(index - 1))) {
        return "the checkpoint's root or tip is not that of the " + index + " entries before it";
      }
      if (!checkpoint.key().thumbprint().equals(keyThumbprint)) {
        return "the checkpoint is signed with key " + checkpoint.key().thumbprint()
            + ", not the claim key the genesis entry names (" + keyThumbprint + ")";
      }
      if (!CheckpointSignature.verifies(checkpoint.key(), checkpoint.signature(), epoch, index, root, checkpoint.tip())) {
        return "the checkpoint's signature does not verify with its key: it was altered or forged";
      }
      return null;
    }

    private String checkLink(String prev, int index) {
      if (prev.equals(entryHashes.get(index - 1))) {
        return null;
      }
      return "prev does not match the hash of line " + index
          + ": an earlier line was changed, or lines were removed or reordered";
    }

    private static String checkGenesisLink(JsonNode genesis, String prev) {
      JsonNode previous = genesis.get("previous_epoch");
      if (previous == null) {
        return "the genesis entry has no previous_epoch (null for the first epoch)";
      }
      if (previous.isNull()) {
        return prev.equals(AuditEntry.NO_PREDECESSOR)
            ? null
            : "the genesis entry names no previous epoch, so its prev must be 64 zeros";
      }
      String tip = text(previous, "tip");
      if (tip == null) {
        return "previous_epoch.tip is missing or not a string";
      }
      return prev.equals(tip) ? null : "the genesis prev does not match previous_epoch.tip";
    }

    private static boolean isCanonical(JsonNode entry, byte[] line) {
      try {
        return Arrays.equals(CanonicalJson.bytes(entry), line);
      } catch (IllegalArgumentException e) {
        return false;
      }
    }

    private static String text(JsonNode node, String field) {
      JsonNode value = node.get(field);
      return value != null && value.isTextual() ? value.asText() : null;
    }
  }
}
