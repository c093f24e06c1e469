package dev.cmcp.verify.evidence.snp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TcbVersionTest {

  @Test
  void milanAndGenoaKeepSnpAndMicrocodeInTheTopBytes() {
    long raw = 0x4405000000000002L;

    assertThat(SnpProduct.MILAN.tcb(raw)).isEqualTo(TcbVersion.of(2, 0, 5, 0x44));
    assertThat(SnpProduct.GENOA.tcb(raw)).isEqualTo(TcbVersion.of(2, 0, 5, 0x44));
  }

  @Test
  void turinPutsFmcFirstAndSnpInByteThree() {
    long raw = 0x4800000004030201L;

    assertThat(SnpProduct.TURIN.tcb(raw)).isEqualTo(new TcbVersion(2, 3, 4, 0x48, 1));
    assertThat(SnpProduct.TURIN.tcb(raw)).hasToString("fmc=1 bootloader=2 tee=3 snp=4 microcode=72");
  }

  @Test
  void aTcbIsAtLeastAnotherOnlyWhenEveryLevelIs() {
    TcbVersion reported = TcbVersion.of(3, 0, 8, 115);

    assertThat(reported.atLeast(TcbVersion.of(3, 0, 8, 115))).isTrue();
    assertThat(reported.atLeast(TcbVersion.of(2, 0, 7, 100))).isTrue();
    assertThat(reported.atLeast(TcbVersion.of(4, 0, 0, 0))).isFalse();
    assertThat(reported.atLeast(TcbVersion.of(0, 0, 0, 200))).isFalse();
  }

  @Test
  void parsesTheOperatorsSpelling() {
    assertThat(TcbVersion.parse("bootloader=3, tee=0, snp=8, microcode=115"))
        .isEqualTo(TcbVersion.of(3, 0, 8, 115));
    assertThat(TcbVersion.parse("fmc=1,bl=2,tee=3,snp=4,ucode=5")).isEqualTo(new TcbVersion(2, 3, 4, 5, 1));
  }

  @Test
  void refusesIncompleteOrOutOfRangeLevels() {
    assertThatThrownBy(() -> TcbVersion.parse("bl=3,tee=0,snp=8")).hasMessageContaining("microcode missing");
    assertThatThrownBy(() -> TcbVersion.parse("bl=3,tee=0,snp=8,ucode=256")).hasMessageContaining("0-255");
    assertThatThrownBy(() -> TcbVersion.parse("bl=3,tee=0,snp=8,ucode=1,xyz=2")).hasMessageContaining("xyz");
    assertThatThrownBy(() -> TcbVersion.parse("bl=3,bl=4,tee=0,snp=8,ucode=1")).hasMessageContaining("twice");
  }

  @Test
  void productLinesAreReadFromCpuidAndProductNames() {
    assertThat(SnpProduct.fromCpuid(0x19, 0x01)).contains(SnpProduct.MILAN);
    assertThat(SnpProduct.fromCpuid(0x19, 0x11)).contains(SnpProduct.GENOA);
    assertThat(SnpProduct.fromCpuid(0x1A, 0x02)).contains(SnpProduct.TURIN);
    assertThat(SnpProduct.fromCpuid(0x17, 0x31)).isEmpty();
    assertThat(SnpProduct.fromProductName("Genoa-B1")).contains(SnpProduct.GENOA);
    assertThat(SnpProduct.parse("milan")).isEqualTo(SnpProduct.MILAN);
  }
}
