package dev.cmcp.verify.base;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class CanonicalJsonTest {

  static Path fixtures() {
    String root = System.getProperty("cmcp.repo.root", ".");
    return Path.of(root).resolve("test-fixtures/jcs").normalize();
  }

  static Stream<String> vectors() throws IOException {
    try (Stream<Path> files = Files.list(fixtures().resolve("input"))) {
      return files.map(p -> p.getFileName().toString()).sorted().toList().stream();
    }
  }

  @ParameterizedTest
  @MethodSource("vectors")
  void rfc8785VectorCanonicalizesByteForByte(String name) throws IOException {
    String input = Files.readString(fixtures().resolve("input").resolve(name), StandardCharsets.UTF_8);
    byte[] expected = Files.readAllBytes(fixtures().resolve("output").resolve(name));

    assertThat(CanonicalJson.canonicalize(input).getBytes(StandardCharsets.UTF_8)).isEqualTo(expected);
    assertThat(CanonicalJson.bytes(new ObjectMapper().readTree(input))).isEqualTo(expected);
  }

  @Test
  void keyOrderAndWhitespaceDoNotChangeTheDigest() throws IOException {
    ObjectMapper json = new ObjectMapper();
    String a = Digests.canonicalSha256(json.readTree("{\"b\": 1, \"a\": [true, null]}"));
    String b = Digests.canonicalSha256(json.readTree("{\"a\":[true,null],\"b\":1.0}"));
    assertThat(a).isEqualTo(b).matches("sha256:[0-9a-f]{64}");
  }

  @Test
  void malformedJsonIsRejected() {
    assertThatThrownBy(() -> CanonicalJson.canonicalize("{\"a\":")).isInstanceOf(IllegalArgumentException.class);
  }

  /** Trees of every JSON shape, random but reproducible: keys and strings across the escapes and planes. */
  static Stream<Long> seeds() {
    return java.util.stream.LongStream.range(0, 400).boxed();
  }

  @ParameterizedTest
  @MethodSource("seeds")
  void onePassWriterMatchesTheReferenceCanonicalizer(long seed) {
    java.util.Random random = new java.util.Random(seed);
    com.fasterxml.jackson.databind.node.JsonNodeFactory f = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance;
    // The reference takes only an object or an array as the whole text.
    com.fasterxml.jackson.databind.JsonNode tree = seed % 2 == 0
        ? f.arrayNode().add(randomNode(random, 4)).add(randomNode(random, 4))
        : f.objectNode().set(randomString(random), randomNode(random, 4));

    assertSameAsReference(tree);
  }

  @Test
  void numbersAreFormattedAsTheReferenceFormatsThem() {
    com.fasterxml.jackson.databind.node.JsonNodeFactory f = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance;
    com.fasterxml.jackson.databind.node.ArrayNode numbers = f.arrayNode()
        .add(0).add(-0.0).add(1e21).add(1e-7).add(123456789012345678L).add(Long.MIN_VALUE).add(9007199254740993L)
        .add(new java.math.BigInteger("123456789012345678901234567890")).add(new java.math.BigDecimal("1.10"))
        .add(5e-324).add(Double.MAX_VALUE).add(0.1f).add(333333333.33333329).add(-1.5e-10)
        .add(9007199254740992L).add(-9007199254740992L).add(9007199254740991L).add(Integer.MIN_VALUE).add(Integer.MAX_VALUE)
        .add(-7).add(4.0).add(-0.0).add(9007199254740992.0).add(1e20);

    assertThat(CanonicalJson.bytes(numbers)).isEqualTo(CanonicalJson.viaReference(numbers));
  }

  @Test
  void whatTheReferenceRefusesOrAcceptsIsRefusedOrAccepted() {
    com.fasterxml.jackson.databind.node.JsonNodeFactory f = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance;

    assertSameAsReference(f.arrayNode().add(Double.NaN));
    assertSameAsReference(f.objectNode().put("a", Double.POSITIVE_INFINITY));
    assertSameAsReference(f.objectNode().put("k\uD800", "v\uDC00x"));
    assertSameAsReference(f.textNode("a scalar as the whole text"));
    assertSameAsReference(f.numberNode(1));
  }

  @ParameterizedTest
  @MethodSource("seeds")
  void aMemberIsWrittenAsItAppearsInTheCanonicalObject(long seed) {
    java.util.Random random = new java.util.Random(seed);
    com.fasterxml.jackson.databind.node.ObjectNode object = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
    String key = randomString(random);
    com.fasterxml.jackson.databind.JsonNode value = randomNode(random, 4);
    object.set(key, value);
    byte[] whole = CanonicalJson.viaReference(object);

    assertThat(CanonicalJson.member(key, value)).isEqualTo(java.util.Arrays.copyOfRange(whole, 1, whole.length - 1));
  }

  private static void assertSameAsReference(com.fasterxml.jackson.databind.JsonNode tree) {
    byte[] reference;
    try {
      reference = CanonicalJson.viaReference(tree);
    } catch (IllegalArgumentException e) {
      assertThatThrownBy(() -> CanonicalJson.bytes(tree)).isInstanceOf(IllegalArgumentException.class)
          .hasMessage(e.getMessage());
      return;
    }
    assertThat(CanonicalJson.bytes(tree)).isEqualTo(reference);
  }

  private static final String ALPHABET = "aZ09 \"\\/\b\f\n\r\t\u0000\u001f\u007f\u0080\u00e9\u20ac\uffff\ud83d\ude00\u10000";

  private static String randomString(java.util.Random random) {
    StringBuilder text = new StringBuilder();
    int length = random.nextInt(8);
    for (int i = 0; i < length; i++) {
      int pick = random.nextInt(ALPHABET.length());
      char c = ALPHABET.charAt(pick);
      if (Character.isHighSurrogate(c)) {
        text.append(c).append('\ude00');
      } else if (!Character.isLowSurrogate(c)) {
        text.append(c);
      }
    }
    return text.toString();
  }

  private static com.fasterxml.jackson.databind.JsonNode randomNode(java.util.Random random, int depth) {
    com.fasterxml.jackson.databind.node.JsonNodeFactory f = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance;
    int kind = random.nextInt(depth > 0 ? 9 : 7);
    return switch (kind) {
      case 0 -> f.nullNode();
      case 1 -> f.booleanNode(random.nextBoolean());
      case 2 -> f.numberNode(random.nextLong() >> random.nextInt(64));
      case 3 -> {
        double value = Double.longBitsToDouble(random.nextLong());
        yield f.numberNode(Double.isFinite(value) ? value : random.nextDouble());
      }
      case 4 -> f.numberNode(random.nextInt(2000) / 8.0 - 100);
      case 5, 6 -> f.textNode(randomString(random));
      case 7 -> {
        com.fasterxml.jackson.databind.node.ArrayNode array = f.arrayNode();
        for (int i = random.nextInt(5); i > 0; i--) {
          array.add(randomNode(random, depth - 1));
        }
        yield array;
      }
      default -> {
        com.fasterxml.jackson.databind.node.ObjectNode object = f.objectNode();
        for (int i = random.nextInt(6); i > 0; i--) {
          object.set(randomString(random), randomNode(random, depth - 1));
        }
        yield object;
      }
    };
  }
}
