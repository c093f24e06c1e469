package dev.cmcp.gateway.attest;

import static dev.cmcp.gateway.attest.Fixtures.BINDING;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cmcp.verify.claim.Platform;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TdxProviderTest {

  @TempDir Path root;
  private final TestClock clock = new TestClock(Instant.parse("2026-11-25T10:00:00Z"));

  private RuntimeEvidence attest(byte[] quote) throws AttestationException {
    LaidOutConfigfs configfs = new LaidOutConfigfs("tdx_guest", quote, Optional.empty());
    RuntimeEvidence evidence = new TdxProvider(new ConfigfsTsm(root, configfs), clock).attest(BINDING);
    assertThat(configfs.inblobs()).singleElement().isEqualTo(BINDING.bytes());
    return evidence;
  }

  @Test
  void embedsTheQuoteAndReportsMrtd() throws Exception {
    byte[] quote = Fixtures.tdxQuote();

    RuntimeEvidence evidence = attest(quote);

    assertThat(evidence.platform()).isEqualTo(Platform.TDX);
    assertThat(evidence.measurement()).isEqualTo(Fixtures.TDX_MRTD);
    JsonNode document = SevSnpProviderTest.document(evidence);
    assertThat(document.size()).isEqualTo(2);
    assertThat(document.get("format").asText()).isEqualTo("cmcp-tdx-evidence-v1");
    assertThat(Base64.getUrlDecoder().decode(document.get("quote").asText())).isEqualTo(quote);
    assertThat(root).isEmptyDirectory();
  }

  @Test
  void aVersion5QuoteHasItsBodySixBytesLater() throws Exception {
    byte[] v4 = Fixtures.tdxQuote();
    byte[] v5 = new byte[v4.length + 6];
    System.arraycopy(v4, 0, v5, 0, 48);
    System.arraycopy(v4, 48, v5, 54, v4.length - 48);
    v5[0] = 5;
    v5[48] = 2; // body type: TD report 1.0

    assertThat(attest(v5).measurement()).isEqualTo(Fixtures.TDX_MRTD);
  }

  @Test
  void aQuoteOfAnotherTeeIsRefused() {
    byte[] sgx = Fixtures.tdxQuote();
    sgx[4] = 0; // TEE type 0: SGX

    assertThatThrownBy(() -> attest(sgx)).isInstanceOf(AttestationException.class).hasMessageContaining("not TDX");
  }

  @Test
  void anUnknownQuoteVersionIsRefused() {
    byte[] v3 = Fixtures.tdxQuote();
    v3[0] = 3;

    assertThatThrownBy(() -> attest(v3)).isInstanceOf(AttestationException.class).hasMessageContaining("version 3");
  }

  @Test
  void anSevGuestIsTheSkipReasonForTdx() throws Exception {
    LaidOutConfigfs configfs = new LaidOutConfigfs("sev_guest", Fixtures.snpReport(), Optional.empty());

    assertThat(TdxProvider.absence(new ConfigfsTsm(root, configfs))).hasValue(root + " offers sev_guest reports, not tdx_guest");
  }
}
