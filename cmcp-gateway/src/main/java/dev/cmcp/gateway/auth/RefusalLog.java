package dev.cmcp.gateway.auth;

import dev.cmcp.gateway.audit.AuditException;
import dev.cmcp.gateway.audit.AuditLog;
import dev.cmcp.gateway.ops.GatewayMetrics;
import dev.cmcp.gateway.ops.LogField;
import dev.cmcp.verify.audit.AuditRecord;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.util.Optional;

/**
 * Records authentication refusals in the audit log and the gateway's log, each with its cause.
 * Anyone who can connect can be refused, so at most {@code perSecond} refusals a second are
 * recorded one by one; the rest are counted, and the next recorded refusal says how many were
 * left out ({@code suppressed}), so that a flood of bad tokens cannot fill the disk.
 */
public final class RefusalLog {

  private static final Logger LOG = System.getLogger("cmcp.auth");

  private final Optional<AuditLog> audit;
  private final Clock clock;
  private final int perSecond;
  private final Optional<GatewayMetrics> metrics;
  // Guarded by this.
  private long second = Long.MIN_VALUE;
  private int recordedThisSecond;
  private long suppressed;

  public RefusalLog(Optional<AuditLog> audit, Clock clock, int perSecond) {
    this(audit, clock, perSecond, Optional.empty());
  }

  /** @param metrics where every refusal is counted ({@code cmcp_auth_refusals_total}), the suppressed ones too */
  public RefusalLog(Optional<AuditLog> audit, Clock clock, int perSecond, Optional<GatewayMetrics> metrics) {
    this.audit = audit;
    this.clock = clock;
    this.perSecond = perSecond;
    this.metrics = metrics;
  }

  /** Records one refusal, unless over this second's budget. */
  public void refused(AuthRefusal refusal, Optional<String> requestId) {
    if (metrics.isPresent()) {
      metrics.get().authRefused(refusal.cause(), refusal.method().word());
    }
    long leftOut;
    synchronized (this) {
      long now = clock.instant().getEpochSecond();
      if (now != second) {
        second = now;
        recordedThisSecond = 0;
      }
      if (recordedThisSecond >= perSecond) {
        suppressed++;
        return;
      }
      recordedThisSecond++;
      leftOut = suppressed;
      suppressed = 0;
    }
    LOG.log(Level.INFO, "request refused by authentication", LogField.of("request_id", requestId.orElse(null)),
        LogField.of("cause", refusal.cause()), LogField.of("method", refusal.method().word()),
        LogField.of("status", refusal.status()));
    if (audit.isPresent()) {
      try {
        audit.get().appendAuthRefused(new AuditRecord.AuthRefused(refusal.cause(), refusal.method().word(), refusal.issuer(),
            refusal.tokenIdSha256(), requestId, leftOut));
      } catch (AuditException e) {
        // The request is refused anyway; the log's own failure is reported by /readyz and on the next call.
        LOG.log(Level.ERROR, "audit log cannot record an authentication refusal: {0}", e.getMessage());
      }
    }
  }
}
