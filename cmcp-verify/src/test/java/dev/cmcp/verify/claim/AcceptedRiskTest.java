package dev.cmcp.verify.claim;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cmcp.verify.base.Requirement;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** A claim's expectation gaps come from its check names: each expectation check has its one waiver. */
class AcceptedRiskTest {

  @Test
  void everyExpectationCheckIsWaivedByExactlyOneAcceptedRiskAndNoOtherCheckIs() {
    for (CheckName name : CheckName.values()) {
      long waivers = Arrays.stream(AcceptedRisk.values()).filter(risk -> risk.check() == name).count();
      assertThat(waivers).as(name.label()).isEqualTo(name.requirement() == Requirement.EXPECTATION ? 1 : 0);
      assertThat(AcceptedRisk.waiving(name).isPresent()).as(name.label())
          .isEqualTo(name.requirement() == Requirement.EXPECTATION);
    }
  }

  @Test
  void aGapNamesItsCheckTheOptionThatGivesTheExpectationAndTheOneThatWaivesIt() {
    assertThat(AcceptedRisk.ANY_BUNDLE.gap("tdx")).isEqualTo("bundle_hash: no --expected-bundle-hash given, so any policy"
        + " bundle would pass (--accept-any-bundle says that is intended)");
    assertThat(AcceptedRisk.ANY_MEASUREMENT.gap("sev-snp")).isEqualTo("measurement: no --expected-measurement given, so any"
        + " code running in a genuine sev-snp guest would pass (--accept-any-measurement says that is intended)");
  }
}
