package dev.cmcp.verify.base;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The I-JSON rules of {@link StrictJson}; the fuzz tests of the parsers that use it found them. */
class StrictJsonTest {

  private final StrictJson json = new StrictJson();

  @Test
  void numberWithAnExponentBeyondAnIntIsMalformedNotACrash() {
    // ClaimVerifierFuzzTest found this: Jackson's NumberFormatException escaped StrictJson.parse.
    assertThatThrownBy(() -> json.parse("{\"exp\":1795604460E1111111111111111111111111111111111111}"))
        .isInstanceOf(StrictJson.MalformedJsonException.class)
        .hasMessageContaining("exponent is out of range");
  }

  @Test
  void numberBeyondTheRangeOfADoubleIsMalformed() {
    for (String number : new String[] {"1E400", "-1e+400", "9".repeat(400)}) {
      assertThatThrownBy(() -> json.parse("{\"limit\":" + number + "}"))
          .as(number)
          .isInstanceOf(StrictJson.MalformedJsonException.class)
          .hasMessageContaining("beyond the range of a double");
    }
  }

  @Test
  void unpairedSurrogateInAStringOrNameIsMalformed() {
    for (String document : new String[] {"{\"q\":\"a\\ud800b\"}", "[\"\\udc00\"]", "{\"\\ud83d\":1}", "\"\\ude00\\ud83d\""}) {
      assertThatThrownBy(() -> json.parse(document))
          .as(document)
          .isInstanceOf(StrictJson.MalformedJsonException.class)
          .hasMessageContaining("unpaired UTF-16 surrogate");
    }
  }

  @Test
  void everythingThatCanBeCanonicalizedStillParses() throws Exception {
    String document = "{\"emoji\":\"\\ud83d\\ude00\",\"big\":123456789012345678901234567890,"
        + "\"tiny\":1e-400,\"max\":1.7976931348623157e308,\"fraction\":1.5}";

    assertThat(CanonicalJson.string(json.parse(document)))
        .isEqualTo("{\"big\":1.2345678901234568e+29,\"emoji\":\"\ud83d\ude00\",\"fraction\":1.5,"
            + "\"max\":1.7976931348623157e+308,\"tiny\":0}");
  }
}
