package dev.cmcp.gateway.audit;

import static dev.cmcp.gateway.audit.AuditFixtures.CLOCK;
import static dev.cmcp.gateway.audit.AuditFixtures.allowed;
import static dev.cmcp.gateway.audit.AuditFixtures.genesis;
import static dev.cmcp.gateway.audit.AuditFixtures.ok;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cmcp.verify.audit.AuditLogReplay;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The log fails closed: once it cannot record, nothing is recorded and every append says why. */
class AuditLogFailureTest {

  @TempDir Path dir;

  @Test
  void appendsToALogThatCannotWriteFailAndKeepFailing() throws Exception {
    AuditLog log = AuditLog.open(dir, genesis("thumb-1"), CLOCK);
    long read = log.appendDecision(allowed("s1", "crm.read"));
    byte[] before = Files.readAllBytes(log.file());
    log.close();

    assertThatThrownBy(() -> log.appendDecision(allowed("s1", "crm.read")))
        .isInstanceOf(AuditException.class)
        .hasMessageContaining(log.file().toString())
        .hasMessageContaining("closed")
        .hasMessageNotContaining("null");
    assertThatThrownBy(() -> log.appendOutcome(ok(read, "s1", "crm.read")))
        .isInstanceOf(AuditException.class)
        .hasMessageContaining("closed");
    assertThatThrownBy(() -> log.appendDecision(allowed("s2", "crm.read")))
        .isInstanceOf(AuditException.class);

    assertThat(Files.readAllBytes(log.file())).isEqualTo(before);
    assertThat(AuditLogReplay.replay(log.file())).isInstanceOf(AuditLogReplay.Intact.class);
    assertThat(log.callsOf("s1")).as("a failed append records no call").hasSize(1);
    assertThat(log.callsOf("s2")).isEmpty();
    assertThat(log.snapshot().length()).isEqualTo(2);
  }

  @Test
  void aCallerWhoseInterruptFlagIsSetDoesNotBreakTheLogForEveryone() throws Exception {
    // Upstream clients restore an interrupt before the outcome is recorded; a FileChannel used
    // with the flag set would close itself and refuse every later call.
    try (AuditLog log = AuditLog.open(dir, genesis("thumb-1"), CLOCK)) {
      long read = log.appendDecision(allowed("s1", "crm.read"));
      Thread.currentThread().interrupt();
      try {
        log.appendOutcome(ok(read, "s1", "crm.read"));
        assertThat(Thread.currentThread().isInterrupted()).as("the caller keeps its interrupt").isTrue();
      } finally {
        Thread.interrupted();
      }

      assertThat(log.appendDecision(allowed("s2", "crm.read"))).isEqualTo(3);
      assertThat(AuditLogReplay.replay(log.file())).isInstanceOf(AuditLogReplay.Intact.class);
    }
  }

  @Test
  void anAuditDirThatIsAFileIsRefusedWithAClearMessage() throws Exception {
    Path notAFolder = dir.resolve("audit");
    Files.writeString(notAFolder, "a file, not a folder");

    assertThatThrownBy(() -> AuditLog.open(notAFolder, genesis("thumb-1"), CLOCK))
        .isInstanceOf(AuditException.class)
        .hasMessageContaining("audit_dir " + notAFolder)
        .hasMessageContaining("not a directory");
    assertThat(Files.readString(notAFolder)).isEqualTo("a file, not a folder");
  }

  @Test
  void anAuditDirInsideAFileIsRefused() throws Exception {
    Path file = dir.resolve("plain");
    Files.writeString(file, "x");

    assertThatThrownBy(() -> AuditLog.open(file.resolve("audit"), genesis("thumb-1"), CLOCK))
        .isInstanceOf(AuditException.class)
        .hasMessageContaining("audit_dir " + file.resolve("audit"))
        .hasMessageNotContaining("null");
  }
}
