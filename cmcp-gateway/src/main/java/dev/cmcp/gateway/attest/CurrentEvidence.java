package dev.cmcp.gateway.attest;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.gateway.config.StalenessPolicy;
import dev.cmcp.verify.claim.Binding;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The gateway's attestation evidence for its whole run: made at start, before anything is
 * served, and renewed so that it is never older than {@code validity_seconds}. Every renewal
 * binds the claim key and policy hashes of the latest {@link #rebind}, or of the first.
 *
 * <p>Renewal happens on demand, when a call or a claim asks for the evidence and it is past half
 * its validity, so one failed renewal leaves time for another before the evidence goes stale.
 * After a failure the platform is asked again only after a pause, so that calls do not each
 * wait for a platform that is down. While the evidence is stale, {@code fail_closed} refuses
 * tool calls and {@code warn_only} serves them and logs.
 */
public final class CurrentEvidence implements AutoCloseable {

  private static final Logger LOG = System.getLogger("cmcp.attest");
  private static final Duration LONGEST_RETRY_PAUSE = Duration.ofSeconds(10);

  private final AttestationProvider provider;
  private volatile Binding binding;
  private final Optional<String> expectedMeasurement;
  private final Duration validity;
  private final StalenessPolicy stalenessPolicy;
  private final Clock clock;
  private final Duration retryPause;
  // One renewal at a time; a lock rather than synchronized, so virtual threads waiting on it are not pinned.
  private final ReentrantLock renewal = new ReentrantLock();

  private volatile RuntimeEvidence evidence;
  /** Guarded by {@link #renewal}. */
  private Instant nextAttempt = Instant.MIN;
  private volatile String lastFailure = "";

  private CurrentEvidence(
      AttestationProvider provider, Binding binding, Optional<String> expectedMeasurement, Duration validity,
      StalenessPolicy stalenessPolicy, Clock clock, RuntimeEvidence first) {
    this.provider = provider;
    this.binding = binding;
    this.expectedMeasurement = expectedMeasurement;
    this.validity = validity;
    this.stalenessPolicy = stalenessPolicy;
    this.clock = clock;
    this.retryPause = validity.dividedBy(4).compareTo(LONGEST_RETRY_PAUSE) < 0 ? validity.dividedBy(4) : LONGEST_RETRY_PAUSE;
    this.evidence = first;
  }

  /**
   * Makes the first evidence; the gateway must not serve without it.
   *
   * @param expectedMeasurement lower-case hex; when present, the platform must measure exactly this
   * @throws AttestationException when the provider fails or measures something else than expected
   */
  public static CurrentEvidence start(
      AttestationProvider provider, Binding binding, Optional<String> expectedMeasurement, Duration validity,
      StalenessPolicy stalenessPolicy, Clock clock) throws AttestationException {
    Objects.requireNonNull(stalenessPolicy);
    if (validity.isNegative() || validity.isZero()) {
      throw new IllegalArgumentException("validity must be positive, not " + validity);
    }
    RuntimeEvidence first = provider.attest(binding);
    checkMeasurement(first, expectedMeasurement, provider);
    return new CurrentEvidence(provider, binding, expectedMeasurement, validity, stalenessPolicy, clock, first);
  }

  public AttestationProvider provider() {
    return provider;
  }

  /**
   * The evidence a claim carries now: renewed first when due. When renewal fails, the last
   * evidence obtained, however old; the claim's verifier judges its age.
   */
  public RuntimeEvidence evidence() {
    RuntimeEvidence current = evidence;
    if (isDue(current, clock.instant())) {
      renew();
    }
    return evidence;
  }

  /**
   * Attests anew for a new binding (a reloaded policy bundle) and serves that evidence from now
   * on. Waits for a renewal in progress, so that no renewal afterwards attests the old binding.
   *
   * @throws AttestationException when the platform fails or measures something else; the old
   *     binding and evidence stay, and the caller must keep the old bundle deciding
   */
  public void rebind(Binding next) throws AttestationException {
    renewal.lock();
    try {
      RuntimeEvidence renewed;
      try {
        renewed = provider.attest(next);
      } catch (RuntimeException e) {
        throw new AttestationException(provider.configName() + " attestation for the new binding failed: " + e.getMessage());
      }
      checkMeasurement(renewed, expectedMeasurement, provider);
      binding = next;
      evidence = renewed;
      lastFailure = "";
      LOG.log(Level.INFO, "{0} attestation evidence renewed for a new policy binding", provider.configName());
    } finally {
      renewal.unlock();
    }
  }

  /** When the evidence served now was produced; unlike {@link #evidence()}, never renews it. */
  public java.time.Instant producedAt() {
    return evidence.producedAt();
  }

  /** {@link #evidence()} as the claim's {@code trace.runtime} object. */
  public ObjectNode runtime() {
    return evidence().toJson();
  }

  /**
   * Whether tool calls may be served: empty while the evidence is fresh, or stale under
   * {@code warn_only}; otherwise why not.
   */
  public Optional<String> refusal() {
    RuntimeEvidence current = evidence();
    if (clock.instant().isBefore(expiry(current)) || stalenessPolicy == StalenessPolicy.WARN_ONLY) {
      return Optional.empty();
    }
    return Optional.of("the " + provider.configName() + " attestation evidence from " + current.producedAt()
        + " is older than validity_seconds (" + validity.toSeconds() + ") and could not be renewed: " + lastFailure);
  }

  private boolean isDue(RuntimeEvidence current, Instant now) {
    return !now.isBefore(current.producedAt().plus(validity.dividedBy(2)));
  }

  private Instant expiry(RuntimeEvidence current) {
    return current.producedAt().plus(validity);
  }

  private void renew() {
    // A call that finds another renewing goes on with the evidence at hand rather than queueing.
    if (!renewal.tryLock()) {
      return;
    }
    try {
      Instant now = clock.instant();
      if (!isDue(evidence, now) || now.isBefore(nextAttempt)) {
        return;
      }
      try {
        RuntimeEvidence renewed = provider.attest(binding);
        checkMeasurement(renewed, expectedMeasurement, provider);
        evidence = renewed;
        lastFailure = "";
        LOG.log(Level.INFO, "{0} attestation evidence renewed", provider.configName());
      } catch (AttestationException | RuntimeException e) {
        nextAttempt = now.plus(retryPause);
        lastFailure = e.getMessage();
        logFailure(now, e.getMessage());
      }
    } finally {
      renewal.unlock();
    }
  }

  private void logFailure(Instant now, String reason) {
    String name = provider.configName();
    if (now.isBefore(expiry(evidence))) {
      LOG.log(Level.WARNING, "{0} attestation evidence not renewed, still fresh until {1}: {2}", name, expiry(evidence), reason);
    } else if (stalenessPolicy == StalenessPolicy.FAIL_CLOSED) {
      LOG.log(Level.ERROR, "{0} attestation evidence is stale and not renewed; tool calls are refused (fail_closed): {1}",
          name, reason);
    } else {
      LOG.log(Level.WARNING, "{0} attestation evidence is stale and not renewed; tool calls go on (warn_only): {1}",
          name, reason);
    }
  }

  private static void checkMeasurement(
      RuntimeEvidence evidence, Optional<String> expected, AttestationProvider provider) throws AttestationException {
    if (expected.isPresent() && !expected.get().equals(evidence.measurement())) {
      throw new AttestationException("attestation.expected_measurement is " + expected.get() + ", but the "
          + provider.configName() + " platform measures " + evidence.measurement()
          + "; the gateway runs only on the platform it was approved for");
    }
  }

  @Override
  public void close() {
    provider.close();
  }
}
