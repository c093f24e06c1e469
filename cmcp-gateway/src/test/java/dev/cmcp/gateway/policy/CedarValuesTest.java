package dev.cmcp.gateway.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.cedarpolicy.value.CedarList;
import com.cedarpolicy.value.CedarMap;
import com.cedarpolicy.value.PrimBool;
import com.cedarpolicy.value.PrimLong;
import com.cedarpolicy.value.PrimString;
import com.cedarpolicy.value.Value;
import com.fasterxml.jackson.databind.JsonNode;
import dev.cmcp.verify.base.StrictJson;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** How JSON arguments (as the strict reader parses them) become Cedar values. */
class CedarValuesTest {

  @Test
  void stringsAndBooleansAreKeptAsTheyAre() {
    assertThat(valueOf("\"Acme Corp\"")).isEqualTo(new PrimString("Acme Corp"));
    assertThat(valueOf("\"\"")).isEqualTo(new PrimString(""));
    assertThat(valueOf("\"Müller 株式会社 \\u00e9\"")).isEqualTo(new PrimString("Müller 株式会社 é"));
    assertThat(valueOf("true")).isEqualTo(new PrimBool(true));
    assertThat(valueOf("false")).isEqualTo(new PrimBool(false));
  }

  @ParameterizedTest
  @CsvSource({
    "0, 0",
    "-0, 0",
    "100, 100",
    "-42, -42",
    "9223372036854775807, 9223372036854775807",
    "-9223372036854775808, -9223372036854775808",
  })
  void integersWithinLongAreLongs(String json, long expected) {
    assertThat(valueOf(json)).isEqualTo(new PrimLong(expected));
  }

  @ParameterizedTest
  @CsvSource({"50.0, 50", "5E+1, 50", "5e1, 50", "500E-1, 50", "-0.0, 0", "2.50e2, 250", "9.223372036854775807E+18, 9223372036854775807"})
  void wholeNumbersWrittenWithAFractionOrExponentAreLongsToo(String json, long expected) {
    assertThat(valueOf(json)).isEqualTo(new PrimLong(expected));
  }

  @ParameterizedTest
  @CsvSource({
    "9223372036854775808, 9223372036854775808",
    "-9223372036854775809, -9223372036854775809",
    "123456789012345678901234567890, 123456789012345678901234567890",
    "1.2345678901234567890123456789E+29, 123456789012345678901234567890",
    "1E+20, 100000000000000000000",
  })
  void wholeNumbersBeyondLongAreTheirDigits(String json, String expected) {
    assertThat(valueOf(json)).isEqualTo(new PrimString(expected));
  }

  @ParameterizedTest
  @CsvSource({
    "1.5, 1.5",
    "1.50, 1.5",
    "15E-1, 1.5",
    "-0.25, -0.25",
    "0.000001, 0.000001",
    "0.00000015, 1.5E-7",
    "1E-400, 1E-400",
    "12345678901234567890.5, 12345678901234567890.5",
  })
  void fractionsAreTheirExactValueWithoutTrailingZeros(String json, String expected) {
    assertThat(valueOf(json)).isEqualTo(new PrimString(expected));
  }

  @Test
  void hugeExponentStaysShortInsteadOfBeingSpelledOut() {
    // StrictJson now refuses numbers beyond a double, so these trees are built directly: the
    // conversion must stay safe for any tree a caller hands it.
    assertThat(valueOfNumber("1E+999999999")).isEqualTo(new PrimString("1E+999999999"));
    assertThat(valueOfNumber("1E+1000")).isEqualTo(new PrimString("1E+1000"));
    assertThat(valueOfNumber("1E+999")).isEqualTo(new PrimString("1" + "0".repeat(999)));
  }

  private static Value valueOfNumber(String decimal) {
    return CedarValues.value(com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.numberNode(new java.math.BigDecimal(decimal)))
        .orElseThrow();
  }

  @Test
  void oneNumberHasOneFormHoweverItIsWritten() {
    List<String> spellings = List.of("123456789012345678901234567890", "1.2345678901234567890123456789e29", "123456789012345678901234567890.000");
    assertThat(spellings.stream().map(CedarValuesTest::valueOf).distinct()).hasSize(1);
    assertThat(List.of("0.1", "0.10", "1e-1", "1.0E-1").stream().map(CedarValuesTest::valueOf).distinct()).hasSize(1);
  }

  @Test
  void objectsBecomeRecordsAndNullMembersAreLeftOut() {
    CedarMap record = CedarValues.record(json("{\"filter\": {\"owner\": \"kim\", \"since\": null}, \"gone\": null, \"n\": 3}"));

    assertThat(record)
        .isEqualTo(new CedarMap(Map.of("filter", new CedarMap(Map.of("owner", new PrimString("kim"))), "n", new PrimLong(3))));
  }

  @Test
  void anyKeyIsKeptEvenOnesThatAreNoIdentifier() {
    CedarMap record = CedarValues.record(json("{\"first name\": \"Kim\", \"\": 1, \"名前\": \"x\"}"));

    assertThat(record.keySet()).containsExactlyInAnyOrder("first name", "", "名前");
  }

  @Test
  void arraysBecomeSetsWithoutNullElements() {
    Value set = valueOf("[3, 1, null, \"a\", [true], {\"k\": 1}]");

    assertThat(set).isInstanceOf(CedarList.class);
    assertThat((CedarList) set)
        .containsExactlyInAnyOrder(
            new PrimLong(3), new PrimLong(1), new PrimString("a"), new CedarList(List.of(new PrimBool(true))),
            new CedarMap(Map.of("k", new PrimLong(1))));
  }

  @Test
  void nullMissingOrAbsentArgumentsAreAnEmptyRecord() {
    assertThat(CedarValues.record(null)).isEmpty();
    assertThat(CedarValues.record(json("null"))).isEmpty();
    assertThat(CedarValues.value(json("null"))).isEqualTo(Optional.empty());
  }

  @Test
  void keysThatCedarReadsAsEscapesAreRefusedAtAnyDepth() {
    for (String key : List.of("__entity", "__extn", "__expr")) {
      assertThatThrownBy(() -> CedarValues.record(json("{\"a\": [{\"" + key + "\": {}}]}")))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining(key);
    }
  }

  @Test
  void argumentsThatAreNotAnObjectAreRefused() {
    assertThatThrownBy(() -> CedarValues.record(json("[1]"))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> CedarValues.record(json("\"x\""))).isInstanceOf(IllegalArgumentException.class);
  }

  private static Value valueOf(String jsonValue) {
    return CedarValues.value(json(jsonValue)).orElseThrow();
  }

  private static JsonNode json(String text) {
    try {
      return new StrictJson().parse(text);
    } catch (StrictJson.MalformedJsonException e) {
      throw new IllegalArgumentException(e);
    }
  }
}
