package dev.cmcp.gateway.attest;

import static dev.cmcp.gateway.attest.Fixtures.BINDING;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cmcp.gateway.config.StalenessPolicy;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CurrentEvidenceTest {

  private static final Duration VALIDITY = Duration.ofSeconds(60);
  private static final Instant START = Instant.parse("2026-11-25T10:00:00Z");

  @TempDir Path root;
  private final TestClock clock = new TestClock(START);
  private final ScriptedTpm tpm = new ScriptedTpm();

  private CurrentEvidence start(StalenessPolicy policy) throws AttestationException {
    return CurrentEvidence.start(new TpmProvider(tpm, clock), BINDING, Optional.empty(), VALIDITY, policy, clock);
  }

  @Test
  void anExpectedMeasurementThePlatformDoesNotHaveRefusesTheStartShowingBoth() {
    SevSnpProvider snp = new SevSnpProvider(
        new ConfigfsTsm(root, new LaidOutConfigfs("sev_guest", Fixtures.snpReport(), Optional.empty())), clock);
    String expected = "00".repeat(48);

    assertThatThrownBy(() -> CurrentEvidence.start(snp, BINDING, Optional.of(expected), VALIDITY, StalenessPolicy.FAIL_CLOSED, clock))
        .isInstanceOf(AttestationException.class)
        .hasMessageContaining("attestation.expected_measurement is " + expected)
        .hasMessageContaining("the sev-snp platform measures " + Fixtures.SNP_MEASUREMENT);
  }

  @Test
  void theExpectedMeasurementLetsTheGatewayStart() throws Exception {
    SevSnpProvider snp = new SevSnpProvider(
        new ConfigfsTsm(root, new LaidOutConfigfs("sev_guest", Fixtures.snpReport(), Optional.empty())), clock);

    CurrentEvidence evidence = CurrentEvidence.start(
        snp, BINDING, Optional.of(Fixtures.SNP_MEASUREMENT), VALIDITY, StalenessPolicy.FAIL_CLOSED, clock);

    assertThat(evidence.runtime().get("measurement").asText()).isEqualTo(Fixtures.SNP_MEASUREMENT);
  }

  @Test
  void evidenceIsRenewedPastHalfItsValidityOverTheSameBinding() throws Exception {
    CurrentEvidence evidence = start(StalenessPolicy.FAIL_CLOSED);
    clock.advance(VALIDITY.dividedBy(2).minusSeconds(1));
    assertThat(evidence.evidence().producedAt()).isEqualTo(START);

    clock.advance(Duration.ofSeconds(1));

    assertThat(evidence.evidence().producedAt()).isEqualTo(START.plus(VALIDITY.dividedBy(2)));
    assertThat(tpm.qualifyingData()).hasSize(2);
    assertThat(tpm.qualifyingData().get(1)).isEqualTo(tpm.qualifyingData().get(0));
  }

  @Test
  void aFailedRenewalWhileTheEvidenceIsFreshRefusesNothing() throws Exception {
    CurrentEvidence evidence = start(StalenessPolicy.FAIL_CLOSED);
    tpm.failWith("TPM is busy");
    clock.advance(VALIDITY.minusSeconds(1));

    assertThat(evidence.refusal()).isEmpty();
    assertThat(evidence.evidence().producedAt()).isEqualTo(START);
  }

  @Test
  void failClosedRefusesCallsOnceTheEvidenceIsStaleAndCannotBeRenewed() throws Exception {
    CurrentEvidence evidence = start(StalenessPolicy.FAIL_CLOSED);
    tpm.failWith("TPM is gone");
    clock.advance(VALIDITY);

    assertThat(evidence.refusal()).hasValueSatisfying(why -> assertThat(why)
        .contains("older than validity_seconds (60)")
        .contains("TPM is gone"));
  }

  @Test
  void warnOnlyServesCallsWithStaleEvidence() throws Exception {
    CurrentEvidence evidence = start(StalenessPolicy.WARN_ONLY);
    tpm.failWith("TPM is gone");
    clock.advance(VALIDITY.multipliedBy(3));

    assertThat(evidence.refusal()).isEmpty();
    assertThat(evidence.evidence().producedAt()).isEqualTo(START);
  }

  @Test
  void callsAreServedAgainOnceThePlatformIsBackAfterTheRetryPause() throws Exception {
    CurrentEvidence evidence = start(StalenessPolicy.FAIL_CLOSED);
    tpm.failWith("TPM is gone");
    clock.advance(VALIDITY);
    assertThat(evidence.refusal()).isPresent();

    tpm.recover();
    assertThat(evidence.refusal()).as("no new attempt within the pause").isPresent();
    clock.advance(Duration.ofSeconds(10));

    assertThat(evidence.refusal()).isEmpty();
    assertThat(evidence.evidence().producedAt()).isEqualTo(START.plus(VALIDITY).plusSeconds(10));
  }

  @Test
  void renewedEvidenceWithAnotherMeasurementIsNotTaken() throws Exception {
    String approved = tpm.quote(new byte[32]).pcrDigest();
    CurrentEvidence evidence = CurrentEvidence.start(
        new TpmProvider(tpm, clock), BINDING, Optional.of(approved), VALIDITY, StalenessPolicy.FAIL_CLOSED, clock);
    tpm.measure("cd".repeat(32));
    clock.advance(VALIDITY);

    assertThat(evidence.refusal()).hasValueSatisfying(why -> assertThat(why).contains("platform measures " + "cd".repeat(32)));
    assertThat(evidence.evidence().measurement()).isEqualTo(approved);
  }

  @Test
  void closingClosesTheProvider() throws Exception {
    start(StalenessPolicy.FAIL_CLOSED).close();

    assertThat(tpm.closed()).isTrue();
  }
}
