package dev.cmcp.gateway.audit;

import static dev.cmcp.gateway.audit.AuditFixtures.BUNDLE_HASH;
import static dev.cmcp.gateway.audit.AuditFixtures.CLOCK;
import static dev.cmcp.gateway.audit.AuditFixtures.entries;
import static dev.cmcp.gateway.audit.AuditFixtures.genesis;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cmcp.gateway.redaction.RedactionReport;
import dev.cmcp.verify.audit.AuditLogReplay;
import dev.cmcp.verify.audit.AuditRecord;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RedactionAndPinEntriesTest {

  @TempDir Path dir;

  @Test
  void aRedactedReadAndAPinMismatchAreRecordedAndTheLogStillReplays() throws Exception {
    try (AuditLog log = AuditLog.open(dir, genesis("thumb"), CLOCK)) {
      long decision = log.appendDecision(new AuditRecord.Decision("s-1", "wf", "crm:crm://accounts/acme", "redact", "forwarded",
          Optional.empty(), List.of("accounts-without-pii"), "a".repeat(64), BUNDLE_HASH, "enforcing", "read_resource",
          Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty()));
      log.appendOutcome(new AuditRecord.Outcome(decision, "s-1", "crm:crm://accounts/acme", "ok", Optional.of("b".repeat(64)),
          Optional.of(new RedactionReport(3, List.of("contents[0].text"), false).toAudit()), Optional.empty()));
      log.appendPinMismatch(new AuditRecord.PinMismatch("crm.contacts", "crm", "sha256:" + "c".repeat(64), Optional.empty()));

      List<JsonNode> entries = entries(log.file());
      assertThat(entries.get(1).path("action").asText()).isEqualTo("read_resource");
      assertThat(entries.get(1).path("decision").asText()).isEqualTo("redact");
      assertThat(entries.get(2).path("redactions").toString())
          .isEqualTo("{\"count\":3,\"paths\":[\"contents[0].text\"],\"paths_truncated\":false}");
      assertThat(entries.get(3).toString()).contains("\"type\":\"pin_mismatch\"", "\"actual\":null", "\"server\":\"crm\"");
      assertThat(AuditLogReplay.replay(log.file())).isInstanceOf(AuditLogReplay.Intact.class);
      assertThat(log.callsOf("s-1")).singleElement().satisfies(call -> assertThat(call.outcomeIndex()).contains(2L));
    }
  }
}
