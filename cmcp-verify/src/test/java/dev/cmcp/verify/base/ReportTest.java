package dev.cmcp.verify.base;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.cmcp.verify.evidence.tdx.TdxCheck;
import dev.cmcp.verify.evidence.tpm.TpmCheck;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What every report shares: the verdict computed from its checks and gaps, the check lookup, the printed checks. */
class ReportTest {

  private record Plain(List<Check<TpmCheck>> checks, List<String> notEstablished) implements Report<TpmCheck> {}

  private static List<Check<TpmCheck>> allPass() {
    return Arrays.stream(TpmCheck.values()).map(name -> Check.pass(name, "good")).toList();
  }

  @Test
  void theResultIsTheOneVerdictRuleOfTheChecksAndTheGaps() {
    assertThat(new Plain(allPass(), List.of()).result()).isEqualTo(Verdict.VERIFIED);
    assertThat(new Plain(allPass(), List.of()).exitCode()).isZero();
    assertThat(new Plain(allPass(), List.of("measurement: not given")).result()).isEqualTo(Verdict.PARTIALLY_VERIFIED);
    assertThat(new Plain(allPass(), List.of("measurement: not given")).exitCode()).isEqualTo(3);
    List<Check<TpmCheck>> oneFailed = allPass().stream()
        .map(c -> c.name() == TpmCheck.PCR_DIGEST ? Check.fail(TpmCheck.PCR_DIGEST, "bad") : c).toList();
    assertThat(new Plain(oneFailed, List.of()).exitCode()).isEqualTo(1);
  }

  @Test
  void aCheckIsFoundByItsNameAndAnotherPlatformsNameIsRefused() {
    Plain report = new Plain(allPass(), List.of());

    assertThat(report.check(TpmCheck.AK_TRUST).status()).isEqualTo(CheckStatus.PASS);
    assertThatThrownBy(() -> report.check(TdxCheck.MEASUREMENT))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("no check measurement in this report");
  }

  @Test
  void checksPrintAsNameStatusReasonAndAsPaddedLines() {
    ArrayNode list = JsonNodeFactory.instance.arrayNode();
    new Plain(List.of(Check.skip(TpmCheck.AK_TRUST, "no anchors")), List.of()).putChecks(list);

    assertThat(list.toString()).isEqualTo("[{\"name\":\"ak_trust\",\"status\":\"skip\",\"reason\":\"no anchors\"}]");
    assertThat(Report.checkLine(Check.skip(TpmCheck.AK_TRUST, "no anchors"), "", 16))
        .isEqualTo("SKIP ak_trust         no anchors\n");
    assertThat(Report.checkLine(Check.pass(TpmCheck.AK_TRUST, "ok"), "  ", 4)).isEqualTo("  PASS ak_trust ok\n");
  }
}
