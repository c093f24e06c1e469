package dev.cmcp.gateway.audit;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cmcp.verify.audit.AuditRecord;
import dev.cmcp.verify.audit.AuditRecord.Decision;
import dev.cmcp.verify.audit.AuditRecord.Genesis;
import dev.cmcp.verify.audit.AuditRecord.Outcome;
import dev.cmcp.verify.base.StrictJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Records and readers shared by the audit and claim tests. */
public final class AuditFixtures {

  /** A whole second, so that a time written without its millis would show. */
  public static final Instant NOW = Instant.parse("2026-11-25T10:00:00Z");
  public static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

  public static final String BUNDLE_HASH = "sha256:" + "1".repeat(64);
  public static final String CATALOG_HASH = "sha256:" + "2".repeat(64);
  public static final String MEASUREMENT = "3".repeat(64);

  private AuditFixtures() {}

  public static Genesis genesis(String keyThumbprint) {
    return new Genesis("1.2.3", "software", MEASUREMENT, BUNDLE_HASH, CATALOG_HASH, "enforcing", keyThumbprint, Optional.empty());
  }

  /** A {@code call_tool} decision of an untraced request without request id, principal or approval. */
  public static Decision decision(
      String session, String workflow, String tool, String decision, String enforced, Optional<String> cause,
      List<String> policies, String argumentsSha256, String bundleHash, String mode) {
    return new Decision(session, workflow, tool, decision, enforced, cause, policies, argumentsSha256, bundleHash, mode,
        "call_tool", Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
  }

  /** An outcome without request id. */
  public static Outcome outcome(
      long decisionIndex, String session, String tool, String outcome, Optional<String> resultSha256,
      Optional<AuditRecord.Redactions> redactions) {
    return new Outcome(decisionIndex, session, tool, outcome, resultSha256, redactions, Optional.empty());
  }

  public static Decision allowed(String session, String tool) {
    return decision(session, "wf-" + session, tool, "allow", "forwarded", Optional.empty(),
        List.of("permit-read"), "a".repeat(64), BUNDLE_HASH, "enforcing");
  }

  /** Denied, but advisory mode forwards it anyway. */
  public static Decision advisoryDenied(String session, String tool) {
    return decision(session, "wf-" + session, tool, "deny", "forwarded", Optional.of("forbidden_by_policy"),
        List.of("forbid-export"), "b".repeat(64), BUNDLE_HASH, "advisory");
  }

  public static Decision blocked(String session, String tool) {
    return decision(session, "wf-" + session, tool, "deny", "blocked", Optional.of("no_permit"),
        List.of(), "c".repeat(64), BUNDLE_HASH, "enforcing");
  }

  public static Outcome ok(long decisionIndex, String session, String tool) {
    return outcome(decisionIndex, session, tool, "ok", Optional.of("d".repeat(64)), Optional.empty());
  }

  /** Every line of an audit file, parsed strictly. */
  public static List<JsonNode> entries(Path file) throws IOException {
    StrictJson json = new StrictJson();
    List<JsonNode> entries = new ArrayList<>();
    for (String line : Files.readAllLines(file)) {
      try {
        entries.add(json.parse(line));
      } catch (StrictJson.MalformedJsonException e) {
        throw new AssertionError("not JSON: " + line, e);
      }
    }
    return entries;
  }
}
