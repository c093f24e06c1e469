package dev.cmcp.gateway.attest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.verify.base.CanonicalJson;
import dev.cmcp.verify.base.Digests;
import dev.cmcp.verify.base.StrictJson;
import dev.cmcp.verify.claim.Binding;
import dev.cmcp.verify.claim.Platform;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

/**
 * The OPAQUE managed runtime: the gateway asks the attestation service at
 * {@code OPAQUE_ATTESTATION_URL} for evidence over the binding and embeds its answer unread.
 * Only that service can judge the answer, so {@code cmcp verify} reports such claims as not
 * verifiable offline. Used only when named in the config; {@code auto} never picks it.
 *
 * <p>Request: {@code POST} with {@code {"report_data": "<hex binding>"}}. Evidence: base64url of
 * the canonical JSON {@code {"format":"cmcp-opaque-evidence-v1","report_data":<hex>,"answer":<base64url of the answer's bytes>}}.
 * The measurement is the answer's top-level {@code "measurement"} when that is hex, otherwise
 * the SHA-256 of the answer, which identifies the answer and nothing more.
 */
public final class OpaqueProvider implements AttestationProvider {

  public static final String EVIDENCE_FORMAT = "cmcp-opaque-evidence-v1";
  public static final String ASSURANCE = "external-service";

  static final int MAX_ANSWER_BYTES = 1 << 20;
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final URI url;
  private final HttpClient client;
  private final Clock clock;

  OpaqueProvider(URI url, Clock clock) {
    this.url = url;
    this.client = HttpClient.newBuilder()
        .connectTimeout(TIMEOUT)
        .followRedirects(HttpClient.Redirect.NEVER)
        .build();
    this.clock = clock;
  }

  @Override
  public Platform platform() {
    return Platform.OPAQUE;
  }

  @Override
  public String configName() {
    return "opaque";
  }

  @Override
  public RuntimeEvidence attest(Binding binding) throws AttestationException {
    ObjectNode request = JsonNodeFactory.instance.objectNode().put("report_data", binding.hex());
    byte[] answer = post(CanonicalJson.bytes(request));
    ObjectNode document = JsonNodeFactory.instance.objectNode();
    document.put("format", EVIDENCE_FORMAT);
    document.put("report_data", binding.hex());
    document.put("answer", RuntimeEvidence.base64Url(answer));
    String measurement = statedMeasurement(answer).orElseGet(() -> Digests.sha256Hex(answer));
    return RuntimeEvidence.of(Platform.OPAQUE, ASSURANCE, measurement, document, clock.instant());
  }

  // The URL may carry a credential, so messages name the variable, not its value.
  private byte[] post(byte[] body) throws AttestationException {
    HttpRequest request = HttpRequest.newBuilder(url)
        .timeout(TIMEOUT)
        .header("Content-Type", "application/json")
        .header("Accept", "application/json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(body))
        .build();
    HttpResponse<InputStream> response;
    try {
      response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
    } catch (IOException e) {
      throw new AttestationException("opaque: the service at OPAQUE_ATTESTATION_URL cannot be reached: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AttestationException("opaque: interrupted while waiting for the service at OPAQUE_ATTESTATION_URL");
    }
    try (InputStream in = response.body()) {
      if (response.statusCode() / 100 != 2) {
        throw new AttestationException("opaque: the service at OPAQUE_ATTESTATION_URL answered HTTP " + response.statusCode());
      }
      byte[] answer = in.readNBytes(MAX_ANSWER_BYTES + 1);
      if (answer.length > MAX_ANSWER_BYTES) {
        throw new AttestationException("opaque: the answer of OPAQUE_ATTESTATION_URL is larger than " + MAX_ANSWER_BYTES + " bytes");
      }
      if (answer.length == 0) {
        throw new AttestationException("opaque: the service at OPAQUE_ATTESTATION_URL answered with an empty body");
      }
      return answer;
    } catch (IOException e) {
      throw new AttestationException("opaque: reading the answer of OPAQUE_ATTESTATION_URL failed: " + e.getMessage());
    }
  }

  private static Optional<String> statedMeasurement(byte[] answer) {
    JsonNode json;
    try {
      json = new StrictJson().parse(answer);
    } catch (StrictJson.MalformedJsonException e) {
      return Optional.empty();
    }
    JsonNode measurement = json.path("measurement");
    if (!measurement.isTextual()) {
      return Optional.empty();
    }
    String hex = measurement.asText().toLowerCase(Locale.ROOT);
    return hex.matches("(?:[0-9a-f]{2})+") ? Optional.of(hex) : Optional.empty();
  }
}
