package dev.cmcp.gateway.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.verify.Digests;
import dev.cmcp.verify.StrictJson;
import dev.cmcp.verify.audit.MerkleTree;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The newest earlier epoch in the audit folder, repaired after a crash: a last line cut off
 * mid-write is removed (it was never acknowledged, since appends return only after fsync), and
 * decisions that were forwarded but have no outcome are listed for the recovery entry.
 */
record PreviousEpoch(Path file, long length, byte[] root, byte[] tipBytes, long truncatedBytes, List<Long> unfinished) {

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
    long truncated = bytes.length - end;
    if (truncated > 0) {
      try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
        channel.truncate(end);
        channel.force(true);
      }
    }
    StrictJson json = new StrictJson();
    List<byte[]> hashes = new ArrayList<>();
    Set<Long> forwarded = new java.util.TreeSet<>();
    Set<Long> finished = new HashSet<>();
    int start = 0;
    for (int i = 0; i < end; i++) {
      if (bytes[i] != '\n') {
        continue;
      }
      byte[] line = java.util.Arrays.copyOfRange(bytes, start, i);
      JsonNode entry;
      try {
        entry = json.parse(line);
      } catch (StrictJson.MalformedJsonException e) {
        throw new IOException("previous audit file " + file + " line " + (hashes.size() + 1)
            + " is not a valid entry (" + e.getMessage() + "); it was not cut off by a crash, so it is left "
            + "untouched: move it out of the audit folder after securing it, then start again");
      }
      hashes.add(Digests.sha256(line));
      String type = entry.path("type").asText();
      if (type.equals("decision") && entry.path("enforced").asText().equals("forwarded")) {
        forwarded.add(entry.path("index").asLong());
      } else if (type.equals("outcome")) {
        finished.add(entry.path("decision_index").asLong());
      }
      start = i + 1;
    }
    if (hashes.isEmpty()) {
      return Optional.empty();
    }
    forwarded.removeAll(finished);
    return Optional.of(new PreviousEpoch(file, hashes.size(), MerkleTree.root(hashes), hashes.get(hashes.size() - 1),
        truncated, List.copyOf(forwarded)));
  }

  boolean needsRecoveryEntry() {
    return truncatedBytes > 0 || !unfinished.isEmpty();
  }

  JsonNode summary() {
    ObjectNode summary = JsonNodeFactory.instance.objectNode();
    summary.put("file", file.getFileName().toString());
    summary.put("length", length);
    summary.put("root", AuditLog.hex(root));
    summary.put("tip", AuditLog.hex(tipBytes));
    return summary;
  }

  ObjectNode recoveryEntry() {
    ObjectNode entry = JsonNodeFactory.instance.objectNode();
    entry.put("type", "recovery");
    entry.put("repaired_file", file.getFileName().toString());
    entry.put("truncated_bytes", truncatedBytes);
    ArrayNode list = entry.putArray("unfinished_decisions");
    unfinished.forEach(list::add);
    return entry;
  }
}
