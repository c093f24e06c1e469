package dev.cmcp.gateway.attest;

import static dev.cmcp.gateway.attest.Fixtures.BINDING;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cmcp.verify.base.StrictJson;
import dev.cmcp.verify.claim.Binding;
import dev.cmcp.verify.claim.Platform;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SevSnpProviderTest {

  private static final Instant NOW = Instant.parse("2026-11-25T10:00:00Z");

  @TempDir Path root;
  private final TestClock clock = new TestClock(NOW);

  private SevSnpProvider provider(LaidOutConfigfs configfs) {
    return new SevSnpProvider(new ConfigfsTsm(root, configfs), clock);
  }

  static JsonNode document(RuntimeEvidence evidence) throws Exception {
    return new StrictJson().parse(Base64.getUrlDecoder().decode(evidence.evidence()));
  }

  @Test
  void writesTheBindingToInblobAndEmbedsOutblobWithItsCertificates() throws Exception {
    // What the kernel would answer: the real report, with the binding as its REPORT_DATA.
    byte[] report = Fixtures.snpReport();
    System.arraycopy(BINDING.bytes(), 0, report, SevSnpProvider.REPORT_DATA_OFFSET, 64);
    byte[] certs = "certificate table".getBytes(StandardCharsets.US_ASCII);
    LaidOutConfigfs configfs = new LaidOutConfigfs("sev_guest", report, Optional.of(certs));

    RuntimeEvidence evidence = provider(configfs).attest(BINDING);

    assertThat(configfs.inblobs()).singleElement().isEqualTo(BINDING.bytes());
    assertThat(evidence.platform()).isEqualTo(Platform.SEV_SNP);
    assertThat(evidence.measurement()).isEqualTo(Fixtures.SNP_MEASUREMENT);
    assertThat(evidence.producedAt()).isEqualTo(NOW);
    JsonNode document = document(evidence);
    assertThat(document.get("format").asText()).isEqualTo("cmcp-snp-evidence-v1");
    assertThat(Base64.getUrlDecoder().decode(document.get("report").asText())).isEqualTo(report);
    assertThat(Base64.getUrlDecoder().decode(document.get("certs").asText())).isEqualTo(certs);
    assertThat(evidence.toJson().get("platform").asText()).isEqualTo("sev-snp");
    assertThat(root).isEmptyDirectory();
  }

  @Test
  void aTlsKeyJoinsTheBindingThatReachesReportData() throws Exception {
    // A gateway serving TLS binds its key's SPKI hash too: the 64 bytes the kernel is asked to
    // sign are that binding, not the one without TLS, and the report carries them.
    Binding withTls = Binding.of("sha256:" + "a".repeat(64), "sha256:" + "b".repeat(64), "enforcing",
        "thumbprint-of-the-claim-key", Optional.of("c".repeat(64)));
    assertThat(withTls.bytes()).isNotEqualTo(BINDING.bytes());
    byte[] report = Fixtures.snpReport();
    System.arraycopy(withTls.bytes(), 0, report, SevSnpProvider.REPORT_DATA_OFFSET, 64);
    LaidOutConfigfs configfs = new LaidOutConfigfs("sev_guest", report, Optional.empty());

    RuntimeEvidence evidence = provider(configfs).attest(withTls);

    assertThat(configfs.inblobs()).singleElement().isEqualTo(withTls.bytes());
    byte[] reported = Base64.getUrlDecoder().decode(document(evidence).get("report").asText());
    assertThat(Arrays.copyOfRange(reported, SevSnpProvider.REPORT_DATA_OFFSET, SevSnpProvider.REPORT_DATA_OFFSET + 64))
        .isEqualTo(withTls.bytes());
  }

  @Test
  void withoutAnAuxblobTheCertificatesAreNull() throws Exception {
    RuntimeEvidence evidence =
        provider(new LaidOutConfigfs("sev_guest", Fixtures.snpReport(), Optional.empty())).attest(BINDING);

    assertThat(document(evidence).get("certs").isNull()).isTrue();
  }

  @Test
  void aGenerationChangedByAnotherWriterIsAskedAgainInAFreshFolder() throws Exception {
    LaidOutConfigfs configfs =
        new LaidOutConfigfs("sev_guest", Fixtures.snpReport(), Optional.empty()).withAnotherWriterInFirstFolders(1);

    RuntimeEvidence evidence = provider(configfs).attest(BINDING);

    assertThat(configfs.foldersMade()).isEqualTo(2);
    assertThat(configfs.inblobs()).hasSize(2).allSatisfy(inblob -> assertThat(inblob).isEqualTo(BINDING.bytes()));
    assertThat(evidence.measurement()).isEqualTo(Fixtures.SNP_MEASUREMENT);
    assertThat(root).isEmptyDirectory();
  }

  @Test
  void aGenerationThatChangesTwiceFails() {
    LaidOutConfigfs configfs =
        new LaidOutConfigfs("sev_guest", Fixtures.snpReport(), Optional.empty()).withAnotherWriterInFirstFolders(2);

    assertThatThrownBy(() -> provider(configfs).attest(BINDING))
        .isInstanceOf(AttestationException.class)
        .hasMessageContaining("generation changed")
        .hasMessageContaining(root.toString());
    assertThat(root).isEmptyDirectory();
  }

  @Test
  void aReportOfAnotherPlatformIsRefused() {
    LaidOutConfigfs configfs = new LaidOutConfigfs("tdx_guest", Fixtures.tdxQuote(), Optional.empty());

    assertThatThrownBy(() -> provider(configfs).attest(BINDING))
        .isInstanceOf(AttestationException.class)
        .hasMessageContaining("made a tdx_guest report, not sev_guest");
  }

  @Test
  void aTruncatedReportIsRefused() {
    byte[] truncated = Arrays.copyOf(Fixtures.snpReport(), 1000);

    assertThatThrownBy(() -> provider(new LaidOutConfigfs("sev_guest", truncated, Optional.empty())).attest(BINDING))
        .isInstanceOf(AttestationException.class)
        .hasMessageContaining("1000 bytes")
        .hasMessageContaining("1184");
  }

  @Test
  void aMissingReportFolderIsTheSkipReason() throws Exception {
    Path missing = root.resolve("no-configfs-here");

    Optional<String> absence = SevSnpProvider.absence(new ConfigfsTsm(missing, ConfigfsTsm.CONFIGFS));

    assertThat(absence).hasValueSatisfying(reason -> assertThat(reason)
        .startsWith(missing + " not found")
        .contains("Linux 6.7"));
  }

  @Test
  void aTdxGuestIsTheSkipReasonForSevSnp() throws Exception {
    LaidOutConfigfs configfs = new LaidOutConfigfs("tdx_guest", Fixtures.tdxQuote(), Optional.empty());

    Optional<String> absence = SevSnpProvider.absence(new ConfigfsTsm(root, configfs));

    assertThat(absence).hasValue(root + " offers tdx_guest reports, not sev_guest");
    assertThat(SevSnpProvider.absence(new ConfigfsTsm(root,
        new LaidOutConfigfs("sev_guest", Fixtures.snpReport(), Optional.empty())))).isEmpty();
    assertThat(root).isEmptyDirectory();
  }

  @Test
  void aFolderThatCannotBeMadeSaysSo() throws Exception {
    Path notAFolder = Files.writeString(root.resolve("file"), "x");

    assertThatThrownBy(() -> new SevSnpProvider(new ConfigfsTsm(notAFolder, ConfigfsTsm.CONFIGFS), clock).attest(BINDING))
        .isInstanceOf(AttestationException.class)
        .hasMessageStartingWith("configfs-tsm: cannot make a report folder under " + notAFolder);
  }
}
