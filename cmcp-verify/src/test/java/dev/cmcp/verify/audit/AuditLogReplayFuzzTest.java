package dev.cmcp.verify.audit;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.cmcp.verify.base.CanonicalJson;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/**
 * Audit log files as an attacker with write access to the disk could leave them: replay never
 * throws, and a file it calls intact is exactly the canonical lines of the entries it reports,
 * chained from a genesis entry. Seeds: the log of signed-claim/ and its genesis line alone.
 */
class AuditLogReplayFuzzTest {

  @TempDir Path dir;

  @FuzzTest
  void anyFileReplaysToAVerdict(byte[] contents) throws IOException {
    Path file = dir.resolve("audit-fuzzed.jsonl");
    Files.write(file, contents);

    AuditLogReplay.Result result = AuditLogReplay.replay(file);

    if (result instanceof AuditLogReplay.Intact log) {
      ByteArrayOutputStream lines = new ByteArrayOutputStream();
      for (int i = 0; i < log.length(); i++) {
        lines.writeBytes(CanonicalJson.bytes(log.entry(i)));
        lines.write('\n');
      }
      assertThat(lines.toByteArray()).isEqualTo(contents);
      assertThat(log.entry(0).get("type").asText()).isEqualTo("genesis");
      assertThat(log.head().length()).isEqualTo(log.length());
      assertThat(log.prefix(log.length())).isEqualTo(log.head());
    } else {
      assertThat(((AuditLogReplay.Broken) result).describe()).isNotBlank();
    }
  }
}
