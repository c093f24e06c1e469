package dev.cmcp.verify.collateral;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cmcp.verify.cli.VerifyCli;
import dev.cmcp.verify.cli.VerifyEvidenceCli;
import dev.cmcp.verify.evidence.snp.KdsIdentity;
import dev.cmcp.verify.evidence.snp.SnpProduct;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --fetch-collateral} against stand-in KDS and PCS servers on loopback that serve the real
 * fixture bytes: what is fetched verifies as the same files laid out do, is cached, and every
 * way of not getting it (outage, garbage, oversized, stale) fails closed with a message naming the URL.
 */
class CollateralFetchTest {

  static final Path FIXTURES = Path.of(System.getProperty("cmcp.repo.root")).resolve("test-fixtures").normalize();
  static final Path SNP_REPORT = FIXTURES.resolve("snp/attestation.bin");
  static final Path TDX_QUOTE = FIXTURES.resolve("tdx/tdx_prod_quote_SPR_E4.dat");
  static final Instant SNP_NOW = Instant.parse("2025-01-01T00:00:00Z");
  static final Instant TDX_NOW = Instant.parse("2023-06-20T00:00:00Z");
  /** After the PCK CRL's and QE identity's next update (2023-07-08), before the TCB info's (07-18). */
  static final Instant TDX_STALE = Instant.parse("2023-07-10T00:00:00Z");

  /** attestation.bin's CHIP_ID and REPORTED_TCB (bootloader 2, tee 0, snp 5, microcode 68) as the KDS is asked for them. */
  static final String MILAN_VCEK = "/vcek/v1/Milan/3ac3fe21e13fb0990eb28a802e3fb6a29483a6b0753590c951bdd3b8e53786184ca39e"
      + "359669a2b76a1936776b564ea464cdce40c05f63c9b610c5068b006b5d?blSPL=02&teeSPL=00&snpSPL=05&ucodeSPL=68";
  static final String PCK_CRL = "/sgx/certification/v4/pckcrl?ca=platform&encoding=der";
  static final String ROOT_CRL = "/sgx/certification/v4/rootcacrl";
  static final String TCB_INFO = "/tdx/certification/v4/tcb?fmspc=50806f000000";
  static final String QE_IDENTITY = "/tdx/certification/v4/qe/identity";

  @TempDir Path certs;
  @TempDir Path cache;

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();
  private final StandIn kds = new StandIn();
  private final StandIn pcs = new StandIn();

  @AfterEach
  void stop() {
    kds.close();
    pcs.close();
  }

  // ---- the stand-ins, serving the fixtures

  private StandIn milanKds() {
    return kds.answer(MILAN_VCEK, StandIn.Answer.ok(fixture("snp/vcek.testcer")))
        .answer("/vcek/v1/Milan/cert_chain", StandIn.Answer.ok(fixture("snp/ask_ark_milan.pem")));
  }

  private StandIn intelPcs() {
    String root = new String(fixture("tdx/trusted_root.pem"), StandardCharsets.US_ASCII);
    String tcbSigning = resource("/dev/cmcp/verify/evidence/tdx/intel_sgx_tcb_signing.pem");
    return pcs.answer(PCK_CRL, new StandIn.Answer(200, fixture("tdx/pckcrl"),
            Map.of("SGX-PCK-CRL-Issuer-Chain", urlEncoded(platformCa() + root))))
        // As a PCCS serves it: the DER as hex text.
        .answer(ROOT_CRL, StandIn.Answer.ok(hex(fixture("tdx/rootcrl.der")).getBytes(StandardCharsets.US_ASCII)))
        .answer(TCB_INFO, new StandIn.Answer(200, fixture("tdx/sample_tcbInfo_response"),
            Map.of("TCB-Info-Issuer-Chain", urlEncoded(tcbSigning + root))))
        .answer(QE_IDENTITY, new StandIn.Answer(200, fixture("tdx/sample_qeIdentity_response"),
            Map.of("SGX-Enclave-Identity-Issuer-Chain", urlEncoded(tcbSigning + root))));
  }

  private int verify(String platform, Path evidence, Instant now, CollateralFetcher collateral) {
    out.reset();
    err.reset();
    return VerifyEvidenceCli.run(
        new VerifyEvidenceCli.Arguments(platform, evidence, Optional.of(certs), Optional.empty(), Optional.empty(), Optional.of(now),
            false, Optional.empty(), Optional.empty(), collateral),
        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private int snp(Optional<Path> cacheDir) {
    return verify("sev-snp", SNP_REPORT, SNP_NOW, CollateralFetcher.online(kds.base(), pcs.base(), cacheDir));
  }

  private int tdx(Instant now, Optional<Path> cacheDir) {
    return verify("tdx", TDX_QUOTE, now, CollateralFetcher.online(kds.base(), pcs.base(), cacheDir));
  }

  // ---- SEV-SNP

  @Test
  void aVcekAndChainFetchedFromTheKdsVerifyTheRealReportAsLaidOutFilesDo() throws IOException {
    milanKds();

    int exit = snp(Optional.empty());

    // The fixture's guest has DEBUG set: everything else passes, as with the same files laid out.
    assertThat(exit).as(out() + err()).isEqualTo(VerifyCli.FAILED);
    assertThat(out()).contains("PASS vcek_signature", "PASS vcek_chain", "PASS vcek_tcb", "PASS vcek_chip_id",
        "FAIL policy_debug");
    assertThat(out().lines().filter(line -> line.startsWith("FAIL"))).hasSize(1);
    assertThat(kds.requests).containsExactly(MILAN_VCEK, "/vcek/v1/Milan/cert_chain", "/vcek/v1/Milan/crl");
    assertThat(err()).contains("collateral: fetched " + kds.base().resolve(MILAN_VCEK.substring(1)))
        .contains("no CRL at " + kds.base() + "vcek/v1/Milan/crl (HTTP 404): revocation of the ASK is not checked");

    List<String> fetched = checks(out());
    Files.copy(FIXTURES.resolve("snp/ask_ark_milan.pem"), certs.resolve("ask_ark_milan.pem"));
    Files.copy(FIXTURES.resolve("snp/vcek.testcer"), certs.resolve("vcek.testcer"));
    verify("sev-snp", SNP_REPORT, SNP_NOW, CollateralFetcher.offline());
    assertThat(fetched).isEqualTo(checks(out()));
  }

  /** Each check's outcome and name: PASS vcek_chain, ... */
  private static List<String> checks(String report) {
    return report.lines().filter(line -> line.matches("(PASS|FAIL|SKIP) .*"))
        .map(line -> String.join(" ", Arrays.copyOf(line.split(" +", 3), 2))).toList();
  }

  @Test
  void withFetchingNoCertificatesFolderIsNeededForSnpAndWithoutItOneIs() {
    milanKds();
    ByteArrayOutputStream noFolderOut = new ByteArrayOutputStream();
    ByteArrayOutputStream noFolderErr = new ByteArrayOutputStream();
    VerifyEvidenceCli.Arguments fetching = new VerifyEvidenceCli.Arguments("sev-snp", SNP_REPORT, Optional.empty(),
        Optional.empty(), Optional.empty(), Optional.of(SNP_NOW), false, Optional.empty(), Optional.empty(),
        CollateralFetcher.online(kds.base(), pcs.base(), Optional.empty()));

    int exit = VerifyEvidenceCli.run(fetching, new PrintStream(noFolderOut, true, StandardCharsets.UTF_8),
        new PrintStream(noFolderErr, true, StandardCharsets.UTF_8));

    assertThat(exit).isEqualTo(VerifyCli.FAILED);
    assertThat(noFolderOut.toString(StandardCharsets.UTF_8)).contains("PASS vcek_chain", "FAIL policy_debug");

    VerifyEvidenceCli.Arguments offline = new VerifyEvidenceCli.Arguments("sev-snp", SNP_REPORT, Optional.empty(),
        Optional.empty(), Optional.empty(), Optional.of(SNP_NOW), false, Optional.empty(), Optional.empty(),
        CollateralFetcher.offline());
    assertThat(VerifyEvidenceCli.run(offline, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8))).isEqualTo(VerifyCli.USAGE);
    assertThat(err()).contains("--certs DIR is needed");
  }

  @Test
  void aSecondRunTakesTheVcekAndChainFromTheCacheAndStillAsksForTheCrl() {
    milanKds();
    assertThat(snp(Optional.of(cache))).isEqualTo(VerifyCli.FAILED);
    String first = out();
    kds.requests.clear();

    int exit = snp(Optional.of(cache));

    assertThat(exit).as(err()).isEqualTo(VerifyCli.FAILED);
    assertThat(out()).isEqualTo(first).contains("PASS vcek_chain");
    assertThat(err()).contains("collateral: from cache " + kds.base().resolve(MILAN_VCEK.substring(1)))
        .contains("from cache " + kds.base() + "vcek/v1/Milan/cert_chain");
    // A CRL's absence is not cached: it is asked for on every run, so a CRL published since is seen.
    assertThat(kds.requests).containsExactly("/vcek/v1/Milan/crl");

    kds.close();
    assertThat(snp(Optional.of(cache))).isEqualTo(VerifyCli.FAILED);
    assertThat(out()).isEmpty();
    assertThat(err()).contains("cannot fetch " + kds.base() + "vcek/v1/Milan/crl: cannot connect");
  }

  @Test
  void anOutageWithoutACacheFailsNamingTheUrlWithoutAStackTrace() {
    kds.close();

    int exit = snp(Optional.of(cache));

    assertThat(exit).isEqualTo(VerifyCli.FAILED);
    assertThat(out()).isEmpty();
    assertThat(err()).startsWith("cmcp verify-evidence: cannot fetch " + kds.base().resolve(MILAN_VCEK.substring(1)))
        .contains("cannot connect").doesNotContain("Exception", "\tat ");
  }

  @Test
  void aChainThatDoesNotLeadToTheProductsArkFailsAsALaidOutOneWould() {
    kds.answer(MILAN_VCEK, StandIn.Answer.ok(fixture("snp/vcek.testcer")))
        .answer("/vcek/v1/Milan/cert_chain", StandIn.Answer.ok(fixture("snp/ask_ark_genoa.pem")));

    int exit = snp(Optional.empty());

    assertThat(exit).isEqualTo(VerifyCli.FAILED);
    assertThat(out()).contains("FAIL vcek_chain");
  }

  @Test
  void garbageFromTheServiceIsRefusedByNameAndNotCached() throws IOException {
    kds.answer(MILAN_VCEK, StandIn.Answer.ok("<html>maintenance</html>".getBytes(StandardCharsets.US_ASCII)));

    int exit = snp(Optional.of(cache));

    assertThat(exit).isEqualTo(VerifyCli.FAILED);
    assertThat(err()).contains(kds.base().resolve(MILAN_VCEK.substring(1)) + " answered with something that is not certificates")
        .doesNotContain("\tat ");
    try (var entries = Files.list(cache)) {
      assertThat(entries).isEmpty();
    }
  }

  @Test
  void anOversizedAnswerIsNotReadPastTheLimit() {
    byte[] huge = new byte[Download.MAX_BODY_BYTES + 1024 * 1024];
    Arrays.fill(huge, (byte) 'A');
    kds.answer(MILAN_VCEK, StandIn.Answer.ok(huge));

    int exit = snp(Optional.empty());

    assertThat(exit).isEqualTo(VerifyCli.FAILED);
    assertThat(err()).contains("cannot fetch " + kds.base().resolve(MILAN_VCEK.substring(1)))
        .contains("larger than 4 MiB").doesNotContain("\tat ");
  }

  @Test
  void aServiceThatNeverAnswersIsGivenUpOnAtTheDeadline() throws IOException {
    // The kernel accepts the connection into the backlog; nothing ever reads the request or answers.
    try (ServerSocket silent = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      URI base = URI.create("http://127.0.0.1:" + silent.getLocalPort() + "/");
      int exit = verify("sev-snp", SNP_REPORT, SNP_NOW,
          new KdsPcsFetcher(base, base, CollateralCache.none(), Duration.ofSeconds(1)));

      assertThat(exit).isEqualTo(VerifyCli.FAILED);
      assertThat(err()).startsWith("cmcp verify-evidence: cannot fetch " + base.resolve(MILAN_VCEK.substring(1)))
          .contains("no complete answer within").doesNotContain("\tat ");
    }
  }

  @Test
  void aVlekReportGetsTheAsvkChainsAndNoLeafFromTheKds() throws CollateralException {
    for (String line : List.of("Milan", "Genoa", "Turin")) {
      kds.answer("/vlek/v1/" + line + "/cert_chain", StandIn.Answer.ok(fixture("snp/ask_ark_" + line.toLowerCase(Locale.ROOT)
          + "_vlek.pem")));
    }
    byte[] vlekSigned = fixture("snp/attestation.bin");
    vlekSigned[0x48] = (byte) ((vlekSigned[0x48] & ~0x1C) | (1 << 2)); // SIGNING_KEY = 1, the VLEK

    CollateralFetcher.Fetched fetched =
        CollateralFetcher.online(kds.base(), pcs.base(), Optional.empty()).forSnp(vlekSigned, SNP_NOW);

    // A version 2 report names no product line: every line's ASVK chain, for the verifier to pick from.
    assertThat(kds.requests).containsExactly("/vlek/v1/Milan/cert_chain", "/vlek/v1/Milan/crl",
        "/vlek/v1/Genoa/cert_chain", "/vlek/v1/Genoa/crl", "/vlek/v1/Turin/cert_chain", "/vlek/v1/Turin/crl");
    assertThat(fetched.store().certificates()).hasSize(6)
        .allSatisfy(certificate -> assertThat(certificate.getSubjectX500Principal().getName()).containsAnyOf("SEV-VLEK-", "ARK-"));
    assertThat(fetched.notes()).contains("AMD's KDS has no CRL at " + kds.base() + "vlek/v1/Milan/crl (HTTP 404): revocation"
        + " of the ASVK is not checked");
  }

  @Test
  void turinIsAskedForByItsEightByteHwidWithItsFmcLevel() {
    byte[] chipId = new byte[64];
    Arrays.fill(chipId, 0, 8, (byte) 0xcd);
    Arrays.fill(chipId, 8, 64, (byte) 0x11);
    // Turin's TCB_VERSION: FMC byte 0, bootloader 1, TEE 2, SNP 3, microcode 7.
    KdsIdentity turin = new KdsIdentity(false, Optional.of(SnpProduct.TURIN), chipId, 0x0500000004020103L);

    assertThat(KdsPcsFetcher.hwid(turin, SnpProduct.TURIN)).isEqualTo("cdcdcdcdcdcdcdcd");
    assertThat(KdsPcsFetcher.spls(turin, SnpProduct.TURIN)).isEqualTo("blSPL=01&teeSPL=02&snpSPL=04&ucodeSPL=05&fmcSPL=03");
    assertThat(KdsPcsFetcher.hwid(turin, SnpProduct.GENOA)).hasSize(128);
  }

  // ---- TDX

  @Test
  void intelCollateralFetchedFromThePcsVerifiesTheRealQuoteAsLaidOutFilesDo() throws IOException {
    intelPcs();
    Files.copy(FIXTURES.resolve("tdx/trusted_root.pem"), certs.resolve("trusted_root.pem"));

    int exit = tdx(TDX_NOW, Optional.of(cache));

    // The fixture's platform is below every TCB level Intel lists: tcb_level fails, laid out or fetched.
    assertThat(out()).as(err()).contains("PASS pck_chain", "PASS pck_revocation", "PASS tcb_info", "PASS qe_identity",
        "FAIL tcb_level");
    assertThat(out().lines().filter(line -> line.startsWith("FAIL"))).hasSize(1);
    assertThat(exit).isEqualTo(VerifyCli.FAILED);
    assertThat(pcs.requests).containsExactly(PCK_CRL, ROOT_CRL, TCB_INFO, QE_IDENTITY);
    List<String> fetched = checks(out());

    pcs.close();
    String first = out();
    assertThat(tdx(TDX_NOW, Optional.of(cache))).as(err()).isEqualTo(VerifyCli.FAILED);
    assertThat(out()).isEqualTo(first);
    assertThat(err()).contains("from cache " + pcs.base() + "tdx/certification/v4/qe/identity");

    for (String file : List.of("pckcrl", "rootcrl.der", "sample_tcbInfo_response", "sample_qeIdentity_response")) {
      Files.copy(FIXTURES.resolve("tdx/" + file), certs.resolve(file));
    }
    Files.writeString(certs.resolve("tcb_signing.pem"), resource("/dev/cmcp/verify/evidence/tdx/intel_sgx_tcb_signing.pem"));
    verify("tdx", TDX_QUOTE, TDX_NOW, CollateralFetcher.offline());
    assertThat(fetched).isEqualTo(checks(out()));
  }

  @Test
  void aRootSentByThePcsIsNeverATrustAnchor() {
    intelPcs();

    int exit = tdx(TDX_NOW, Optional.empty());

    assertThat(exit).isEqualTo(VerifyCli.FAILED);
    assertThat(out()).contains("FAIL pck_chain").contains("no trust anchor");
  }

  @Test
  void aStaleCrlFromTheServiceFailsTheQuote() throws IOException {
    intelPcs();
    Files.copy(FIXTURES.resolve("tdx/trusted_root.pem"), certs.resolve("trusted_root.pem"));

    int exit = tdx(TDX_STALE, Optional.of(cache));

    assertThat(exit).isEqualTo(VerifyCli.FAILED);
    assertThat(out()).contains("FAIL pck_revocation").contains("stale");
    assertThat(err()).contains("fetched " + pcs.base() + PCK_CRL.substring(1) + ", which the service sent already stale");
  }

  @Test
  void aStaleCachedCrlIsNotUsedWhenTheServiceCannotRenewIt() throws IOException {
    intelPcs();
    Files.copy(FIXTURES.resolve("tdx/trusted_root.pem"), certs.resolve("trusted_root.pem"));
    assertThat(tdx(TDX_NOW, Optional.of(cache))).isEqualTo(VerifyCli.FAILED);
    assertThat(out()).contains("PASS pck_revocation");
    pcs.close();

    int exit = tdx(TDX_STALE, Optional.of(cache));

    assertThat(exit).isEqualTo(VerifyCli.FAILED);
    assertThat(out()).isEmpty();
    assertThat(err()).contains("cannot fetch " + pcs.base() + PCK_CRL.substring(1) + ": cannot connect")
        .contains("the cached copy (" + cache.resolve(""))
        .contains("went stale at 2023-07-08T07:27:52Z and is not used in its place")
        .doesNotContain("\tat ");
  }

  @Test
  void anAnswerWithoutItsSigningChainHeaderIsRefused() throws IOException {
    intelPcs().answer(TCB_INFO, StandIn.Answer.ok(fixture("tdx/sample_tcbInfo_response")));
    Files.copy(FIXTURES.resolve("tdx/trusted_root.pem"), certs.resolve("trusted_root.pem"));

    int exit = tdx(TDX_NOW, Optional.empty());

    assertThat(exit).isEqualTo(VerifyCli.FAILED);
    assertThat(err()).contains(pcs.base() + TCB_INFO.substring(1) + " answered without the TCB-Info-Issuer-Chain header");
  }

  // ---- base URLs

  @Test
  void plainHttpIsRefusedExceptToLoopback() {
    assertThatThrownBy(() -> CollateralFetcher.online(URI.create("http://kds-mirror.example/"), CollateralFetcher.INTEL_PCS,
        Optional.empty())).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--kds-url")
        .hasMessageContaining("plain http is accepted only to a loopback address");
    assertThatThrownBy(() -> CollateralFetcher.online(CollateralFetcher.AMD_KDS, URI.create("ftp://pcs.example/"),
        Optional.empty())).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--pcs-url");
    assertThat(CollateralFetcher.online(URI.create("https://kds-mirror.example/amd"), URI.create("http://[::1]:8080"),
        Optional.empty())).isInstanceOf(KdsPcsFetcher.class);
  }

  // ---- helpers

  private String out() {
    return out.toString(StandardCharsets.UTF_8);
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  private static byte[] fixture(String name) {
    try {
      return Files.readAllBytes(FIXTURES.resolve(name));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String resource(String name) {
    try (InputStream in = CollateralFetchTest.class.getResourceAsStream(name)) {
      return new String(Objects.requireNonNull(in, name).readAllBytes(), StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The PCK Platform CA certificate from the quote's own PCK chain (the second PEM block). */
  private static String platformCa() {
    Matcher block = Pattern.compile("-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----\n?", Pattern.DOTALL)
        .matcher(new String(fixture("tdx/tdx_prod_quote_SPR_E4.dat"), StandardCharsets.ISO_8859_1));
    assertThat(block.find() && block.find()).isTrue();
    return block.group();
  }

  /** As Intel's PCS writes a chain into a header: percent-encoded, spaces as %20. */
  private static String urlEncoded(String pem) {
    return URLEncoder.encode(pem, StandardCharsets.UTF_8).replace("+", "%20");
  }

  static String hex(byte[] bytes) {
    return HexFormat.of().formatHex(bytes);
  }
}
