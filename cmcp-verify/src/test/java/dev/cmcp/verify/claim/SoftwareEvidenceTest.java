package dev.cmcp.verify.claim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.verify.base.Base64Url;
import dev.cmcp.verify.base.Digests;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SoftwareEvidenceTest {

  private static final String MEASUREMENT = "ef".repeat(32);
  private static final Binding BINDING = Binding.of("sha256:" + "ab".repeat(32), "sha256:" + "cd".repeat(32), "enforcing", "key");

  @TempDir Path dir;

  @Test
  void createdRuntimeDecodesToItsBindingAndMeasurement() throws Exception {
    ObjectNode runtime = SoftwareEvidence.create(BINDING, MEASUREMENT, Instant.ofEpochSecond(1_790_000_000L));

    assertThat(runtime.get("platform").asText()).isEqualTo("software");
    assertThat(runtime.get("assurance").asText()).isEqualTo("none");
    assertThat(runtime.get("measurement").asText()).isEqualTo(MEASUREMENT);
    SoftwareEvidence evidence = SoftwareEvidence.decode(runtime.get("evidence").asText());
    assertThat(evidence).isEqualTo(new SoftwareEvidence(BINDING.hex(), MEASUREMENT, 1_790_000_000L));
    assertThat(evidence.isBoundTo(BINDING)).isTrue();
    assertThat(evidence.isBoundTo(Binding.of("a", "b", "c", "d"))).isFalse();
  }

  @Test
  void theEvidenceIsTheCanonicalJsonOfItsFields() throws Exception {
    ObjectNode runtime = SoftwareEvidence.create(BINDING, MEASUREMENT, Instant.ofEpochSecond(5));

    String json = new String(Base64Url.decode(runtime.get("evidence").asText(), ClaimException.at("evidence")), StandardCharsets.UTF_8);

    assertThat(json).isEqualTo("{\"format\":\"cmcp-software-evidence-v1\",\"generated_at\":5,\"measurement\":\""
        + MEASUREMENT + "\",\"report_data\":\"" + BINDING.hex() + "\"}");
  }

  @Test
  void evidenceOfAnotherFormatOrWithExtraFieldsIsRefused() {
    String otherFormat = Base64Url.encode(("{\"format\":\"v0\",\"generated_at\":5,\"measurement\":\"" + MEASUREMENT
        + "\",\"report_data\":\"" + BINDING.hex() + "\"}").getBytes(StandardCharsets.UTF_8));
    String extra = Base64Url.encode(("{\"format\":\"cmcp-software-evidence-v1\",\"generated_at\":5,\"measurement\":\"" + MEASUREMENT
        + "\",\"report_data\":\"" + BINDING.hex() + "\",\"hardware\":true}").getBytes(StandardCharsets.UTF_8));

    assertThatThrownBy(() -> SoftwareEvidence.decode(otherFormat)).hasMessageContaining("format: expected \"cmcp-software-evidence-v1\"");
    assertThatThrownBy(() -> SoftwareEvidence.decode(extra)).hasMessageContaining("hardware: unknown field");
  }

  @Test
  void theMeasurementListsJarsByFileNameInSortedOrder() throws Exception {
    Path a = Files.write(dir.resolve("a.jar"), new byte[] {1});
    Files.createDirectories(dir.resolve("lib"));
    Path b = Files.write(dir.resolve("lib").resolve("b.jar"), new byte[] {2});
    String listing = "a.jar\0" + Digests.sha256Hex(new byte[] {1}) + "\n" + "b.jar\0" + Digests.sha256Hex(new byte[] {2}) + "\n";

    String measurement = SoftwareEvidence.measure(List.of(b, a));

    assertThat(measurement).isEqualTo(Digests.sha256Hex(listing.getBytes(StandardCharsets.UTF_8)));
    assertThat(SoftwareEvidence.measure(List.of(a, b))).isEqualTo(measurement);
    Files.write(a, new byte[] {3});
    assertThat(SoftwareEvidence.measure(List.of(a, b))).isNotEqualTo(measurement);
  }

  @Test
  void aMeasurementThatIsNotAHashIsRefused() {
    assertThatThrownBy(() -> SoftwareEvidence.create(BINDING, "EF", Instant.EPOCH)).isInstanceOf(IllegalArgumentException.class);
  }
}
