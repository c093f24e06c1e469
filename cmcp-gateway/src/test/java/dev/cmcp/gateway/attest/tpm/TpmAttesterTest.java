package dev.cmcp.gateway.attest.tpm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cmcp.gateway.attest.AttestationException;
import dev.cmcp.verify.base.CheckStatus;
import dev.cmcp.verify.base.Digests;
import dev.cmcp.verify.base.StrictJson;
import dev.cmcp.verify.base.Verdict;
import dev.cmcp.verify.evidence.tpm.TpmCheck;
import dev.cmcp.verify.evidence.tpm.TpmEvidence;
import dev.cmcp.verify.evidence.tpm.TpmTrust;
import dev.cmcp.verify.evidence.tpm.TpmVerification;
import dev.cmcp.verify.evidence.tpm.TpmVerifier;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TpmAttesterTest {

  private static final byte[] BINDING = binding("the gateway's binding");
  private static final byte[] OTHER_BINDING = binding("another gateway's binding");

  @TempDir static Path sharedState;
  private static Swtpm swtpm;
  /** On {@link #swtpm}, over the default PCRs: most tests quote with it rather than make their own AK. */
  private static TpmAttester attester;

  @TempDir Path dir;

  @BeforeAll
  static void startSwtpm() throws Exception {
    if (Swtpm.installed()) {
      swtpm = Swtpm.start(sharedState);
      swtpm.extend(0, Digests.sha256Hex("firmware".getBytes(StandardCharsets.UTF_8)));
      attester = TpmAttester.start(swtpm.target(), PcrSelection.DEFAULT);
    }
  }

  @AfterAll
  static void stopSwtpm() throws Exception {
    if (attester != null) {
      attester.close();
    }
    if (swtpm != null) {
      swtpm.close();
    }
  }

  private static void assumeSwtpm() {
    assumeTrue(swtpm != null, Swtpm.NOT_INSTALLED);
  }

  @Test
  void aQuoteOverTheBindingPassesEveryCheckTheVerifierCanMake() throws Exception {
    assumeSwtpm();
    TpmQuote quote = attester.quote(BINDING);

    TpmVerification report = verify(quote.evidence(), BINDING, Optional.of(quote.measurement()));

    assertThat(report.report().checks()).filteredOn(c -> c.name() != TpmCheck.AK_TRUST)
        .allSatisfy(c -> assertThat(c.status()).as(c.name().label() + ": " + c.reason()).isEqualTo(CheckStatus.PASS));
    assertThat(report.report().check(TpmCheck.AK_TRUST).reason()).startsWith("AK not certified");
    assertThat(report.report().result()).isEqualTo(Verdict.PARTIALLY_VERIFIED);
    assertThat(report.quote().orElseThrow().pcrSelection()).isEqualTo("sha256:0,1,2,3,4,5,6,7");
    assertThat(report.quote().orElseThrow().akKey()).isEqualTo("ECC NIST P-256");
    assertThat(quote.measurement()).matches("[0-9a-f]{64}");
  }

  @Test
  void theRuntimeEvidenceIsBase64UrlOfTheCanonicalEvidenceJson() throws Exception {
    assumeSwtpm();
    TpmQuote quote = attester.quote(BINDING);

    byte[] json = Base64.getUrlDecoder().decode(quote.runtimeEvidence());
    JsonNode evidence = new StrictJson().parse(json);

    assertThat(quote.runtimeEvidence()).doesNotContain("=", "+", "/");
    assertThat(json).isEqualTo(quote.evidence().toJson());
    assertThat(evidence.get("format").asText()).isEqualTo("cmcp-tpm-evidence-v1");
    assertThat(evidence.get("pcrs").get("sha256").size()).isEqualTo(8);
    assertThat(evidence.get("pcrs").get("sha256").get("0").asText())
        .isNotEqualTo("00".repeat(32)).matches("[0-9a-f]{64}");
    assertThat(Base64.getUrlDecoder().decode(evidence.get("attest").asText())).startsWith(0xFF, 'T', 'C', 'G');
  }

  @Test
  void aQuoteOverOtherQualifyingDataFailsQualifyingData() throws Exception {
    assumeSwtpm();
    TpmQuote quote = attester.quote(OTHER_BINDING);

    TpmVerification report = verify(quote.evidence(), BINDING, Optional.empty());

    assertThat(report.report().check(TpmCheck.QUALIFYING_DATA).status()).isEqualTo(CheckStatus.FAIL);
    assertThat(report.report().check(TpmCheck.AK_SIGNATURE).status()).isEqualTo(CheckStatus.PASS);
    assertThat(report.report().result()).isEqualTo(Verdict.UNVERIFIED);
  }

  @Test
  void aFlippedBitInTheAttestFailsAkSignatureAndAChangedPcrFailsPcrDigest() throws Exception {
    assumeSwtpm();
    TpmEvidence evidence = attester.quote(BINDING).evidence();
    byte[] attest = evidence.attest();
    attest[attest.length - 1] ^= 0x40; // the last byte of the signed pcrDigest
    List<TpmEvidence.PcrValue> pcrs = new ArrayList<>(evidence.pcrs());
    pcrs.set(0, new TpmEvidence.PcrValue("sha256", 0, new byte[32]));

    TpmVerification flipped = verify(new TpmEvidence(attest, evidence.signature(), evidence.akPublic(), evidence.pcrs()), BINDING, Optional.empty());
    TpmVerification changed = verify(new TpmEvidence(evidence.attest(), evidence.signature(), evidence.akPublic(), pcrs), BINDING, Optional.empty());

    assertThat(flipped.report().check(TpmCheck.AK_SIGNATURE).status()).isEqualTo(CheckStatus.FAIL);
    assertThat(changed.report().check(TpmCheck.PCR_DIGEST).status()).isEqualTo(CheckStatus.FAIL);
    assertThat(changed.report().check(TpmCheck.AK_SIGNATURE).status()).isEqualTo(CheckStatus.PASS);
  }

  @Test
  void quotesInARowFollowThePcrsOfTwoBanksWithoutExhaustingTheTpm() throws Exception {
    assumeSwtpm();
    try (TpmAttester twoBanks = TpmAttester.start(swtpm.target(), PcrSelection.parse("sha1:0+sha256:0-7,16"))) {
      List<String> measurements = new ArrayList<>();
      for (int i = 0; i < 4; i++) { // more quotes than swtpm has object slots (3)
        swtpm.extend(16, Digests.sha256Hex(new byte[] {(byte) i}));
        TpmQuote quote = twoBanks.quote(BINDING);

        TpmVerification report = verify(quote.evidence(), BINDING, Optional.of(quote.measurement()));

        assertThat(report.report().passed()).as(report.report().toText()).isTrue();
        assertThat(report.quote().orElseThrow().pcrSelection()).isEqualTo("sha1:0+sha256:0,1,2,3,4,5,6,7,16");
        measurements.add(quote.measurement());
      }

      assertThat(measurements).doesNotHaveDuplicates();
    }
  }

  @Test
  void afterATpmResetANewAttestationKeyIsMade() throws Exception {
    assumeTrue(Swtpm.installed(), Swtpm.NOT_INSTALLED);
    try (Swtpm own = Swtpm.start(dir);
        TpmAttester onOwn = TpmAttester.start(own.target(), PcrSelection.DEFAULT)) {
      TpmEvidence before = onOwn.quote(BINDING).evidence();

      own.restart();
      TpmEvidence after = onOwn.quote(BINDING).evidence();

      assertThat(after.akPublic()).isNotEqualTo(before.akPublic());
      assertThat(verify(after, BINDING, Optional.empty()).report().passed()).isTrue();
    }
  }

  @Test
  void aMissingDeviceIsAClearError() {
    Path missing = dir.resolve("tpmrm0");

    assertThatThrownBy(() -> TpmAttester.start(new TpmTarget.Device(missing), PcrSelection.DEFAULT))
        .isInstanceOf(AttestationException.class)
        .hasMessageStartingWith("tpm: " + missing + " not found: this machine shows no TPM 2.0 resource manager device");
  }

  @Test
  void noSwtpmListeningIsAClearError() throws Exception {
    int port;
    try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = free.getLocalPort();
    }
    int closed = port;

    assertThatThrownBy(() -> TpmAttester.start(new TpmTarget.Swtpm("127.0.0.1", closed), PcrSelection.DEFAULT))
        .isInstanceOf(AttestationException.class)
        .hasMessageStartingWith("tpm: no swtpm answering at 127.0.0.1:" + closed);
  }

  @Test
  void missingTpm2ToolsIsAClearError() throws IOException {
    Path device = Files.createFile(dir.resolve("tpmrm0"));

    assertThatThrownBy(() -> TpmAttester.start(new TpmTarget.Device(device), PcrSelection.DEFAULT, List.of(dir)))
        .isInstanceOf(AttestationException.class)
        .hasMessage("tpm: tpm2_createek not found on PATH: install tpm2-tools 5 (Debian and Ubuntu: apt-get install tpm2-tools)");
  }

  @Test
  void aToolFailureCarriesTheTpmsOwnWords() throws Exception {
    assumeTrue(Swtpm.installed(), Swtpm.NOT_INSTALLED);
    // A regular file is no TPM: the device TCTI cannot talk to it.
    Path notATpm = Files.writeString(dir.resolve("tpmrm0"), "");

    assertThatThrownBy(() -> TpmAttester.start(new TpmTarget.Device(notATpm), PcrSelection.DEFAULT))
        .isInstanceOf(AttestationException.class)
        .hasMessageStartingWith("tpm: tpm2_createek failed (exit 1) on " + notATpm + ": ")
        .hasMessageNotContaining("src/tss2");
  }

  @Test
  void aBindingMustBe64Bytes() throws Exception {
    assumeSwtpm();
    assertThatThrownBy(() -> attester.quote(new byte[32])).isInstanceOf(IllegalArgumentException.class);
  }

  private static TpmVerification verify(TpmEvidence evidence, byte[] binding, Optional<String> measurement) {
    return TpmVerifier.verify(evidence.toJson(), Optional.of(binding), measurement, TpmTrust.notConfigured(), Instant.now());
  }

  private static byte[] binding(String seed) {
    try {
      return java.security.MessageDigest.getInstance("SHA-512").digest(seed.getBytes(StandardCharsets.UTF_8));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
