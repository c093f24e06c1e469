package dev.cmcp.verify.base;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link StrictJson#parse(byte[])} parses from the bytes, and {@link StrictJson#parse(byte[], int)}
 * counts values only for a body longer than the limit; for every body the outcome is that of the
 * passes they replace: counting the values, decoding the bytes to text, parsing the text.
 */
class StrictJsonValueLimitTest {

  private final StrictJson json = new StrictJson();

  @Test
  void aBodyWithMoreValuesThanTheLimitIsRefusedAsSuch() {
    byte[] numbers = ("[" + "1,".repeat(2_000_000) + "1]").getBytes(StandardCharsets.US_ASCII);

    assertThatThrownBy(() -> json.parse(numbers, 100_000))
        .isInstanceOf(StrictJson.TooManyValuesException.class)
        .hasMessageContaining("more than 100000 JSON values");
  }

  @Test
  void theLimitCountsScalarsArraysAndObjects() throws Exception {
    byte[] sixValues = "{\"a\":[1,\"x\",null],\"b\":{}}".getBytes(StandardCharsets.UTF_8);

    assertThat(json.parse(sixValues, 6)).isEqualTo(json.parse(sixValues));
    assertThat(json.parse(sixValues, 6)).isEqualTo(json.parse(sixValues, sixValues.length));
    assertThatThrownBy(() -> json.parse(sixValues, 5)).isInstanceOf(StrictJson.TooManyValuesException.class);
  }

  @Test
  void overTheLimitWinsOverAFaultFurtherOnAsWhenCountedFirst() {
    // a duplicate key, then too many values: the count, which ignores duplicates, refuses first
    byte[] body = "{\"a\":1,\"a\":[1,2,3,4,5]}".getBytes(StandardCharsets.UTF_8);

    assertThatThrownBy(() -> json.parse(body, 3)).isInstanceOf(StrictJson.TooManyValuesException.class);
    assertThatThrownBy(() -> json.parse(body, 100))
        .isInstanceOf(StrictJson.MalformedJsonException.class)
        .isNotInstanceOf(StrictJson.TooManyValuesException.class)
        .hasMessageContaining("Duplicate field 'a'");
  }

  @Test
  void bytesThatAreNotUtf8AreRefusedAsBefore() {
    // an overlong encoding of '/' and an encoded surrogate inside strings: Jackson reads both
    for (byte[] body : new byte[][] {
        {'"', (byte) 0xC0, (byte) 0xAF, '"'},
        {'[', '"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"', ']'},
        {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, '{', '}'},
        {0, '{', 0, '}'}}) {
      assertThat(outcome(() -> json.parse(body, 100))).isEqualTo(outcome(() -> countedThenParsed(body, 100)))
          .startsWith("refused");
      assertThat(outcome(() -> json.parse(body))).isEqualTo(outcome(() -> countedThenParsed(body, Integer.MAX_VALUE)))
          .startsWith("refused");
    }
  }

  @Test
  void everyOutcomeIsThatOfCountingFirstThenParsing() {
    List<byte[]> seeds = new ArrayList<>();
    for (String seed : new String[] {
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":{\"text\":\"h\u00e9llo \ud83d\ude00\",\"n\":[1,2.5,-3e2,true,false,null]}}}",
        "[1,[2,[3,[4]]],{\"k\":\"v\"}]", "\"\\ud83d\\ude00\"", "{\"a\":\"\\u0041\\n\"}", "123456789012345678901234567890",
        "1e400", "{\"q\":\"\\ud800\"}", "{} {}", "", "nul", "{\"a\":1,\"a\":2}", "[" + "[".repeat(70) + "]".repeat(71)}) {
      seeds.add(seed.getBytes(StandardCharsets.UTF_8));
    }
    byte[] alphabet = "{}[]\":,0123456789.eE+-\\unlltrfas \u00e9".getBytes(StandardCharsets.UTF_8);
    Random random = new Random(16);
    int accepted = 0;
    for (int round = 0; round < 20_000; round++) {
      byte[] body = seeds.get(random.nextInt(seeds.size())).clone();
      int edits = random.nextInt(4);
      for (int e = 0; e < edits && body.length > 0; e++) {
        int at = random.nextInt(body.length);
        body[at] = random.nextInt(8) == 0 ? (byte) random.nextInt(256) : alphabet[random.nextInt(alphabet.length)];
      }
      int limit = random.nextBoolean() ? 1 + random.nextInt(20) : body.length + random.nextInt(3);
      String expected = outcome(() -> countedThenParsed(body, limit));
      assertThat(outcome(() -> json.parse(body, limit))).as(new String(body, StandardCharsets.UTF_8)).isEqualTo(expected);
      assertThat(outcome(() -> json.parse(body)))
          .as(new String(body, StandardCharsets.UTF_8))
          .isEqualTo(outcome(() -> countedThenParsed(body, Integer.MAX_VALUE)));
      if (expected.startsWith("parsed")) {
        accepted++;
      }
    }
    assertThat(accepted).as("the corpus reaches the one-pass success path").isGreaterThan(1_000);
  }

  /** The passes {@link StrictJson#parse(byte[], int)} replaces, as the gateway made them before. */
  private JsonNode countedThenParsed(byte[] body, int maxValues) throws StrictJson.MalformedJsonException {
    JsonFactory counter = JsonFactory.builder()
        .streamReadConstraints(StreamReadConstraints.builder().maxStringLength(Integer.MAX_VALUE).build())
        .build();
    int values = 0;
    try (JsonParser tokens = counter.createParser(body)) {
      for (JsonToken token = tokens.nextToken(); token != null; token = tokens.nextToken()) {
        if ((token.isScalarValue() || token.isStructStart()) && ++values > maxValues) {
          throw new StrictJson.TooManyValuesException(maxValues);
        }
      }
    } catch (IOException unreadable) {
      // counted as far as it could be read
    }
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(body))
          .toString();
    } catch (CharacterCodingException e) {
      throw new StrictJson.MalformedJsonException("body is not valid UTF-8");
    }
    return json.parse(text);
  }

  private interface Parse {
    JsonNode run() throws Exception;
  }

  /** The tree's node classes (BigIntegerNode or IntNode, DecimalNode or DoubleNode...), in order. */
  private static String shape(JsonNode node) {
    StringBuilder shape = new StringBuilder(node.getClass().getSimpleName());
    node.properties().forEach(member -> shape.append(' ').append(member.getKey()).append('=').append(shape(member.getValue())));
    if (node.isArray()) {
      node.forEach(element -> shape.append(' ').append(shape(element)));
    }
    return shape.toString();
  }

  private static String outcome(Parse parse) {
    try {
      JsonNode node = parse.run();
      return "parsed " + node.toString() + " " + shape(node);
    } catch (Exception e) {
      return "refused " + e.getClass().getName() + ": " + e.getMessage();
    }
  }
}
