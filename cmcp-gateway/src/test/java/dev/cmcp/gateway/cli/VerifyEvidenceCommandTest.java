package dev.cmcp.gateway.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.cmcp.verify.cli.VerifyCli;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The picocli wiring of {@code cmcp verify-evidence}; its checks are tested in cmcp-verify. */
class VerifyEvidenceCommandTest {

  static final Path TDX = Path.of(System.getProperty("cmcp.repo.root")).resolve("test-fixtures/tdx").normalize();
  static final Path TCB_SIGNING = Path.of(System.getProperty("cmcp.repo.root"))
      .resolve("cmcp-verify/src/test/resources/dev/cmcp/verify/evidence/tdx/intel_sgx_tcb_signing.pem").normalize();

  @TempDir Path certs;

  private int cmcp(String... args) {
    return Main.commandLine().execute(args);
  }

  private String[] tdx(String now) throws IOException {
    if (!Files.exists(certs.resolve("trusted_root.pem"))) {
      Files.copy(TDX.resolve("trusted_root.pem"), certs.resolve("trusted_root.pem"));
    }
    return new String[] {"verify-evidence", "--platform", "tdx", "--evidence", TDX.resolve("tdx_prod_quote_SPR_E4.dat").toString(),
        "--certs", certs.toString(), "--now", now};
  }

  @Test
  void theRealTdxQuoteWithTheRootAloneIsOnlyPartiallyVerified() throws IOException {
    // Genuine under Intel's root, but without Intel's collateral its platform's revocation and TCB are unknown.
    assertThat(cmcp(tdx("2023-06-20T00:00:00Z"))).isEqualTo(VerifyCli.PARTIAL);
    assertThat(cmcp(tdx("2031-01-01T00:00:00Z"))).isEqualTo(Main.INVALID_INPUT);
  }

  @Test
  void withIntelsCollateralTheRealTdxQuotesPlatformIsJudgedAndItsOutdatedTcbFails() throws IOException {
    String[] args = tdx("2023-06-20T00:00:00Z");
    for (String file : new String[] {"pckcrl", "rootcrl.der", "sample_tcbInfo_response", "sample_qeIdentity_response"}) {
      Files.copy(TDX.resolve(file), certs.resolve(file));
    }
    // The TCB info and QE identity come without the HTTP header that carries their signing certificate.
    Files.copy(TCB_SIGNING, certs.resolve("tcb_signing.pem"));

    // The sample TCB info is newer than the fixture platform, whose TCB is below every level it lists.
    assertThat(cmcp(args)).isEqualTo(Main.INVALID_INPUT);
  }

  @Test
  void usageErrorsExitTwo() throws IOException {
    assertThat(cmcp(tdx("yesterday"))).isEqualTo(Main.USAGE);
    assertThat(cmcp("verify-evidence", "--platform", "tdx", "--evidence", "quote.dat")).isEqualTo(Main.USAGE);
    String[] badHex = tdx("2023-06-20T00:00:00Z");
    String[] withReportData = Arrays.copyOf(badHex, badHex.length + 2);
    withReportData[badHex.length] = "--report-data";
    withReportData[badHex.length + 1] = "not-hex";
    assertThat(cmcp(withReportData)).isEqualTo(Main.USAGE);
  }

  @Test
  void fetchingOptionsNeedFetchCollateralAndAnHttpsOrLoopbackUrl() throws IOException {
    assertThat(cmcp(with(tdx("2023-06-20T00:00:00Z"), "--pcs-url", "https://pcs-mirror.example/"))).isEqualTo(Main.USAGE);
    assertThat(cmcp(with(tdx("2023-06-20T00:00:00Z"), "--collateral-cache", certs.toString()))).isEqualTo(Main.USAGE);
    assertThat(cmcp(with(tdx("2023-06-20T00:00:00Z"), "--fetch-collateral", "--pcs-url", "http://pcs-mirror.example/")))
        .isEqualTo(Main.USAGE);
  }

  @Test
  void anUnreachablePcsIsAFailureNotAVerification() throws IOException {
    // Port 9 on loopback (discard) has no listener here: the fetch fails before any check.
    assertThat(cmcp(with(tdx("2023-06-20T00:00:00Z"), "--fetch-collateral", "--pcs-url", "http://127.0.0.1:9/")))
        .isEqualTo(Main.INVALID_INPUT);
  }

  @Test
  void theRealSnpReportIsCheckedWithWhatAStandInKdsServesAndItIsCached(@TempDir Path cache) throws IOException {
    Path snp = TDX.resolveSibling("snp");
    HttpServer kds = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    kds.createContext("/", exchange -> {
      String path = exchange.getRequestURI().getPath();
      byte[] body = path.startsWith("/vcek/v1/Milan/3ac3fe21") ? Files.readAllBytes(snp.resolve("vcek.testcer"))
          : path.equals("/vcek/v1/Milan/cert_chain") ? Files.readAllBytes(snp.resolve("ask_ark_milan.pem")) : new byte[0];
      exchange.sendResponseHeaders(body.length == 0 ? 404 : 200, body.length == 0 ? -1 : body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    });
    kds.start();
    try {
      // No --certs: AMD's root is pinned. The fixture guest allows DEBUG, so the report fails that check only.
      int exit = cmcp("verify-evidence", "--platform", "sev-snp", "--evidence", snp.resolve("attestation.bin").toString(),
          "--now", "2025-01-01T00:00:00Z", "--fetch-collateral", "--collateral-cache", cache.toString(),
          "--kds-url", "http://127.0.0.1:" + kds.getAddress().getPort() + "/");
      assertThat(exit).isEqualTo(Main.INVALID_INPUT);
      try (Stream<Path> entries = Files.list(cache)) {
        assertThat(entries.filter(entry -> entry.toString().endsWith(".json"))).hasSize(2);
      }
    } finally {
      kds.stop(0);
    }
  }

  private static String[] with(String[] args, String... more) {
    String[] all = Arrays.copyOf(args, args.length + more.length);
    System.arraycopy(more, 0, all, args.length, more.length);
    return all;
  }
}
