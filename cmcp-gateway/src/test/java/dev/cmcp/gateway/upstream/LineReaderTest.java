package dev.cmcp.gateway.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class LineReaderTest {

  private static LineReader reader(String text) {
    return new LineReader(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)));
  }

  private static String whole(LineReader.Line line) {
    assertThat(line).isInstanceOf(LineReader.Line.Whole.class);
    return new String(((LineReader.Line.Whole) line).bytes(), StandardCharsets.UTF_8);
  }

  @Test
  void splitsOnNewlinesAndDropsCarriageReturns() throws IOException {
    LineReader lines = reader("one\r\ntwo\n\nlast without newline");

    assertThat(whole(lines.next(100))).isEqualTo("one");
    assertThat(whole(lines.next(100))).isEqualTo("two");
    assertThat(whole(lines.next(100))).isEmpty();
    assertThat(whole(lines.next(100))).isEqualTo("last without newline");
    assertThat(lines.next(100)).isNull();
  }

  @Test
  void longLineIsCutAtTheBoundAndItsRestStreamsToTheNewline() throws IOException {
    LineReader lines = reader("0123456789abcdef\nnext\n");

    LineReader.Line line = lines.next(4);

    assertThat(line).isInstanceOf(LineReader.Line.TooLong.class);
    LineReader.Line.TooLong tooLong = (LineReader.Line.TooLong) line;
    assertThat(new String(tooLong.head(), StandardCharsets.UTF_8)).isEqualTo("0123");
    assertThat(new String(tooLong.rest().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("456789abcdef");
    assertThat(whole(lines.next(4))).isEqualTo("next");
  }

  @Test
  void unreadRestOfALongLineIsSkipped() throws IOException {
    LineReader lines = reader("x".repeat(200_000) + "\nafter\n");

    assertThat(lines.next(10)).isInstanceOf(LineReader.Line.TooLong.class);
    assertThat(whole(lines.next(10))).isEqualTo("after");
    assertThat(lines.next(10)).isNull();
  }
}
