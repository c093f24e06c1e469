package dev.cmcp.gateway.attest.tpm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class PcrSelectionTest {

  @Test
  void theDefaultIsTheSha256BankPcrsZeroToSeven() {
    assertThat(PcrSelection.DEFAULT.banks()).containsExactly(new PcrSelection.Bank("sha256", List.of(0, 1, 2, 3, 4, 5, 6, 7)));
    assertThat(PcrSelection.DEFAULT).hasToString("sha256:0,1,2,3,4,5,6,7");
  }

  @Test
  void rangesListsAndBanksReadInTpm2ToolsNotation() {
    PcrSelection selection = PcrSelection.parse("sha1:7+sha256:0-2,7,14");

    assertThat(selection.banks()).containsExactly(
        new PcrSelection.Bank("sha1", List.of(7)), new PcrSelection.Bank("sha256", List.of(0, 1, 2, 7, 14)));
    assertThat(selection).hasToString("sha1:7+sha256:0,1,2,7,14");
  }

  @Test
  void indexesAreSortedAsTheTpmOrdersThem() {
    assertThat(PcrSelection.parse("sha256:7,0").toString()).isEqualTo("sha256:0,7");
  }

  @Test
  void badSelectionsSayWhatIsWrong() {
    assertThatThrownBy(() -> PcrSelection.parse("md5:0")).hasMessageContaining("\"md5\" is not one of sha1, sha256");
    assertThatThrownBy(() -> PcrSelection.parse("sha256:24")).hasMessageContaining("PCR sha256:24 is outside 0-23");
    assertThatThrownBy(() -> PcrSelection.parse("sha256:0,0")).hasMessageContaining("PCR 0 is listed twice");
    assertThatThrownBy(() -> PcrSelection.parse("sha256:5-1")).hasMessageContaining("runs backwards");
    assertThatThrownBy(() -> PcrSelection.parse("sha256")).hasMessageContaining("is not <bank>:<pcrs>");
    assertThatThrownBy(() -> PcrSelection.parse("sha256:")).hasMessageContaining("is not a PCR index or range");
    assertThatThrownBy(() -> PcrSelection.parse("sha256:0+sha256:1")).hasMessageContaining("names a bank twice");
    assertThatThrownBy(() -> PcrSelection.parse("sha256:x")).isInstanceOf(IllegalArgumentException.class);
  }
}
