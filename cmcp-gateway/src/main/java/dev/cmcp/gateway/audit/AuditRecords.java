package dev.cmcp.gateway.audit;

import java.util.List;
import java.util.Optional;

/** What the gateway asks the audit log to record; the log adds index, time, epoch and prev. */
public final class AuditRecords {

  private AuditRecords() {}

  /** The boot of one epoch: what was loaded and which key signs its claims. */
  public record Genesis(
      String gatewayVersion,
      String platform,
      String measurement,
      String bundleHash,
      String catalogHash,
      String enforcementMode,
      String keyThumbprint) {}

  /** A policy decision, recorded before anything is forwarded. */
  public record Decision(
      String sessionId,
      String workflowId,
      String tool,
      String decision,
      String enforced,
      Optional<String> cause,
      List<String> policies,
      String argumentsSha256,
      String bundleHash,
      String mode) {
    public Decision {
      policies = List.copyOf(policies);
    }

    public boolean forwarded() {
      return "forwarded".equals(enforced);
    }
  }

  /** What came back for a forwarded call, as digests only. */
  public record Outcome(long decisionIndex, String sessionId, String tool, String outcome, Optional<String> resultSha256) {}

  /** A recorded call of one session, with where its entries sit in the log. */
  public record RecordedCall(
      long decisionIndex, String decisionEntrySha256, Decision decision, Optional<Long> outcomeIndex,
      Optional<String> outcomeEntrySha256, Optional<String> resultSha256) {}

  /** The state of the log at one moment: enough to sign and to prove against. */
  public record Snapshot(String epoch, String root, String tip, long length) {}
}
