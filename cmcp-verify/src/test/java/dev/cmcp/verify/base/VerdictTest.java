package dev.cmcp.verify.base;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cmcp.verify.claim.CheckName;
import dev.cmcp.verify.evidence.snp.SnpCheck;
import dev.cmcp.verify.evidence.tdx.TdxCheck;
import dev.cmcp.verify.evidence.tpm.TpmCheck;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The one verdict rule every report follows, driven by what each check name declares. */
class VerdictTest {

  @Test
  void everyCheckPassedIsVerified() {
    assertThat(Verdict.of(all(TpmCheck.values(), CheckStatus.PASS), List.of())).isEqualTo(Verdict.VERIFIED);
  }

  @Test
  void noCheckAtAllIsUnverified() {
    assertThat(Verdict.of(List.<Check<TpmCheck>>of(), List.of())).isEqualTo(Verdict.UNVERIFIED);
  }

  @Test
  void aFailedCheckIsUnverifiedWhateverElseHolds() {
    for (TdxCheck failing : TdxCheck.values()) {
      List<Check<TdxCheck>> checks = Arrays.stream(TdxCheck.values())
          .map(name -> name == failing ? Check.fail(name, "bad") : Check.pass(name, "good"))
          .toList();
      assertThat(Verdict.of(checks, List.of("a gap"))).as(failing.label()).isEqualTo(Verdict.UNVERIFIED);
    }
  }

  @Test
  void aRequiredCheckSkippedIsAtMostPartiallyVerified() {
    List<Check<TpmCheck>> checks = Arrays.stream(TpmCheck.values())
        .map(name -> name == TpmCheck.AK_TRUST ? Check.skip(name, "no anchors") : Check.pass(name, "good"))
        .toList();

    assertThat(TpmCheck.AK_TRUST.requirement()).isEqualTo(Requirement.REQUIRED);
    assertThat(Verdict.of(checks, List.of())).isEqualTo(Verdict.PARTIALLY_VERIFIED);
  }

  @Test
  void expectationsAndChecksOfWhatIsNotThereMaySkipWithoutLoweringTheVerdict() {
    List<Check<SnpCheck>> checks = Arrays.stream(SnpCheck.values())
        .map(name -> name.requirement() == Requirement.REQUIRED ? Check.pass(name, "good") : Check.skip(name, "not given"))
        .toList();

    assertThat(checks).anyMatch(c -> c.status() == CheckStatus.SKIP);
    assertThat(Verdict.of(checks, List.of())).isEqualTo(Verdict.VERIFIED);
  }

  @Test
  void aGapTheReportsMakerNamesIsPartiallyVerified() {
    assertThat(Verdict.of(all(CheckName.values(), CheckStatus.PASS), List.of("bundle_hash: not given")))
        .isEqualTo(Verdict.PARTIALLY_VERIFIED);
  }

  @Test
  void everyReportDeclaresItsGenuinenessChecksRequired() {
    // The checks that establish the evidence or the claim are genuine cannot be skipped into a verified result.
    assertThat(Stream.of(SnpCheck.REPORT_FORMAT, SnpCheck.VCEK_SIGNATURE, SnpCheck.VCEK_CHAIN, SnpCheck.VCEK_TCB,
            SnpCheck.POLICY_DEBUG, TdxCheck.QUOTE_FORMAT, TdxCheck.QUOTE_SIGNATURE, TdxCheck.QE_REPORT_SIGNATURE,
            TdxCheck.QE_REPORT_BINDS_KEY, TdxCheck.PCK_CHAIN, TdxCheck.TD_DEBUG, TpmCheck.ATTEST_FORMAT,
            TpmCheck.AK_ATTRIBUTES, TpmCheck.AK_SIGNATURE, TpmCheck.PCR_DIGEST, TpmCheck.AK_TRUST, CheckName.SIGNATURE,
            CheckName.CLAIM_FORMAT, CheckName.EVIDENCE, CheckName.BINDING, CheckName.FRESHNESS))
        .allMatch(name -> name.requirement() == Requirement.REQUIRED);
    assertThat(Stream.of(SnpCheck.REPORT_DATA, SnpCheck.MEASUREMENT, TdxCheck.REPORT_DATA, TdxCheck.MEASUREMENT,
            TpmCheck.QUALIFYING_DATA, TpmCheck.MEASUREMENT, CheckName.BUNDLE_HASH, CheckName.MEASUREMENT))
        .allMatch(name -> name.requirement() == Requirement.EXPECTATION);
  }

  private static <C extends Enum<C> & CheckKind> List<Check<C>> all(C[] names, CheckStatus status) {
    return Arrays.stream(names).map(name -> new Check<>(name, status, "reason")).toList();
  }
}
