package dev.cmcp.gateway.redaction;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DetectorTest {

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "email       | write to alice.moreno@example.com today          | write to # today",
      "email       | Alice <alice+crm@mail.example.co.uk>.            | Alice <#>.",
      "phone       | call +1-202-555-0101 now                         | call # now",
      "phone       | call (202) 555-0101 now                          | call # now",
      "phone       | call 202.555.0101 or 1 312 555 0104              | call # or #",
      "phone       | London +44 20 7946 0958, Berlin +49 (30) 1234567 | London #, Berlin #",
      "phone       | compact +442079460958                            | compact #",
      "ssn         | SSN 123-45-6789 and 078 05 1120                  | SSN # and #",
      "credit_card | card 4111 1111 1111 1111 exp 12/29               | card # exp 12/29",
      "credit_card | card 4111-1111-1111-1111                         | card #",
      "credit_card | amex 378282246310005, visa 4012888888881881      | amex #, visa #",
      "credit_card | quantity 2 4111 1111 1111 1111                   | quantity 2 #",
  })
  void replacesEachMatch(String detector, String text, String expected) {
    Detector.Replaced replaced = Detector.named(detector).orElseThrow().replaceIn(text, "#");

    assertThat(replaced.text()).isEqualTo(expected);
    assertThat(replaced.count()).isEqualTo(expected.chars().filter(c -> c == '#').count());
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "released 2026-11-25T10:00:00Z, version 1.2.3",
      "order 4111 1111 1111 1112 fails the Luhn check",
      "SSN-like 000-12-3456 and 666-12-3456 and 123-00-4567 are never issued",
      "a short number 555-0101 and a sum +5 points",
      "no address: alice@localhost or @example.com",
      "a long id 12345678901234567890123 is not a card",
  })
  void leavesLookalikesAlone(String text) {
    for (Detector detector : Detector.values()) {
      assertThat(detector.replaceIn(text, "#").text()).as(detector.annotationName()).isEqualTo(text);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"a", "1", "1 ", "1-", "a.", "a@", "+1 "})
  void longRunsOfOneCharacterFinishWithoutAMatch(String unit) {
    // A hostile upstream must not make redaction quadratic; this finishes at once when it is linear.
    String text = unit.repeat(50_000);
    for (Detector detector : Detector.values()) {
      assertThat(detector.replaceIn(text, "#").count()).isZero();
    }
  }
}
