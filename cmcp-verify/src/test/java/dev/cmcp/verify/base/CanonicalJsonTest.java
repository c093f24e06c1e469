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
}
