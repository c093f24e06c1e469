package dev.cmcp.gateway.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class JsonRpcTest {

  private static JsonRpc.Envelope envelope(String message) {
    return JsonRpc.envelope(new ByteArrayInputStream(message.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void envelopeFindsTheIdAfterAHugeResult() {
    String huge = "y".repeat(5_000_000);

    JsonRpc.Envelope found = envelope("{\"result\":{\"text\":\"" + huge + "\",\"more\":[1,{\"id\":5}]},\"jsonrpc\":\"2.0\",\"id\":42}");

    assertThat(found.answers(42L)).isTrue();
  }

  @Test
  void envelopeOfAServerRequestAnswersNothing() {
    assertThat(envelope("{\"id\":42,\"method\":\"ping\",\"params\":{}}").answers(42L)).isFalse();
  }

  @Test
  void envelopeKeepsTheIdFoundBeforeTheJsonBreaks() {
    assertThat(envelope("{\"id\":7,\"result\":{\"a\":").answers(7L)).isTrue();
  }
}
