package dev.cmcp.verify.base;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cmcp.verify.claim.CheckName;
import dev.cmcp.verify.evidence.snp.SnpCheck;
import org.junit.jupiter.api.Test;

class CheckTest {

  @Test
  void labelIsTheNameAsReportsPrintIt() {
    assertThat(Check.pass(SnpCheck.VCEK_SIGNATURE, "verifies").label()).isEqualTo(SnpCheck.VCEK_SIGNATURE.label());
    assertThat(Check.skip(CheckName.CLAIM_FORMAT, "not run").label()).isEqualTo("claim_format");
  }

  @Test
  void aCheckWithoutReasonIsRefused() {
    assertThatThrownBy(() -> Check.fail(CheckName.SIGNATURE, null)).isInstanceOf(NullPointerException.class);
  }
}
