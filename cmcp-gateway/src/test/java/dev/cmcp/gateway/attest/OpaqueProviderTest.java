package dev.cmcp.gateway.attest;

import static dev.cmcp.gateway.attest.Fixtures.BINDING;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.cmcp.verify.base.Digests;
import dev.cmcp.verify.base.StrictJson;
import dev.cmcp.verify.claim.Platform;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The OPAQUE provider against a small attestation service on loopback. */
class OpaqueProviderTest {

  private final List<String> requests = new CopyOnWriteArrayList<>();
  private final TestClock clock = new TestClock(Instant.parse("2026-11-25T10:00:00Z"));
  private volatile int status = 200;
  private volatile byte[] answer = "{}".getBytes(StandardCharsets.UTF_8);
  private HttpServer service;

  @BeforeEach
  void startService() throws IOException {
    service = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    service.createContext("/attest", this::answer);
    service.start();
  }

  @AfterEach
  void stopService() {
    service.stop(0);
  }

  private void answer(HttpExchange exchange) throws IOException {
    try (exchange) {
      requests.add(exchange.getRequestMethod() + " " + exchange.getRequestHeaders().getFirst("Content-Type") + " "
          + new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
      exchange.sendResponseHeaders(status, answer.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(answer);
      }
    }
  }

  private OpaqueProvider provider() {
    return new OpaqueProvider(URI.create("http://127.0.0.1:" + service.getAddress().getPort() + "/attest"), clock);
  }

  @Test
  void postsTheBindingAndEmbedsTheAnswerUnread() throws Exception {
    answer = ("{\"token\":\"eyJ...\",\"measurement\":\"" + "AB".repeat(48) + "\"}").getBytes(StandardCharsets.UTF_8);

    RuntimeEvidence evidence = provider().attest(BINDING);

    assertThat(requests).containsExactly("POST application/json {\"report_data\":\"" + BINDING.hex() + "\"}");
    assertThat(evidence.platform()).isEqualTo(Platform.OPAQUE);
    assertThat(evidence.measurement()).isEqualTo("ab".repeat(48));
    JsonNode document = new StrictJson().parse(Base64.getUrlDecoder().decode(evidence.evidence()));
    assertThat(document.get("format").asText()).isEqualTo("cmcp-opaque-evidence-v1");
    assertThat(document.get("report_data").asText()).isEqualTo(BINDING.hex());
    assertThat(Base64.getUrlDecoder().decode(document.get("answer").asText())).isEqualTo(answer);
  }

  @Test
  void anAnswerWithoutAMeasurementIsIdentifiedByItsHash() throws Exception {
    answer = "not json, but some token".getBytes(StandardCharsets.UTF_8);

    assertThat(provider().attest(BINDING).measurement()).isEqualTo(Digests.sha256Hex(answer));
  }

  @Test
  void anErrorStatusFailsWithoutShowingTheUrl() {
    status = 500;

    assertThatThrownBy(() -> provider().attest(BINDING))
        .isInstanceOf(AttestationException.class)
        .hasMessageContaining("OPAQUE_ATTESTATION_URL answered HTTP 500")
        .hasMessageNotContaining("127.0.0.1");
  }

  @Test
  void anOversizedAnswerIsRefused() {
    answer = new byte[OpaqueProvider.MAX_ANSWER_BYTES + 1];

    assertThatThrownBy(() -> provider().attest(BINDING))
        .isInstanceOf(AttestationException.class)
        .hasMessageContaining("larger than " + OpaqueProvider.MAX_ANSWER_BYTES);
  }

  @Test
  void anUnreachableServiceSaysSo() {
    service.stop(0);

    assertThatThrownBy(() -> provider().attest(BINDING))
        .isInstanceOf(AttestationException.class)
        .hasMessageContaining("cannot be reached");
  }
}
