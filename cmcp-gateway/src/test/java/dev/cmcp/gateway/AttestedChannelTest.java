package dev.cmcp.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cmcp.gateway.tls.TlsTerminatingProxy;
import dev.cmcp.verify.base.CheckStatus;
import dev.cmcp.verify.base.StrictJson;
import dev.cmcp.verify.base.Verdict;
import dev.cmcp.verify.channel.AttestedTrustManager;
import dev.cmcp.verify.channel.GatewayCheck;
import dev.cmcp.verify.claim.CheckName;
import dev.cmcp.verify.claim.ClaimVerifier;
import dev.cmcp.verify.claim.EvidencePolicy;
import dev.cmcp.verify.claim.VerificationOptions;
import dev.cmcp.verify.claim.VerificationReport;
import dev.cmcp.verify.cli.CheckGatewayCli;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS that ends inside the gateway and is bound to its attestation, with real clients (curl,
 * openssl, the JDK HttpClient) and a TLS-terminating proxy in the middle. One gateway, started
 * as {@code cmcp start} starts it ({@code tls.mode: generate}, software attestation), serves every test.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AttestedChannelTest {

  private Gateway gateway;
  private URI url;
  private final ByteArrayOutputStream startOutput = new ByteArrayOutputStream();

  @BeforeAll
  void startAGatewayWithAGeneratedKey(@TempDir Path dir) throws Exception {
    Path policies = Files.createDirectory(dir.resolve("policies"));
    Files.writeString(policies.resolve("manifest.json"),
        "{\"version\":\"1.0.0\",\"authored_at\":\"2026-01-01T00:00:00Z\",\"author_identity\":\"t@example.com\",\"commit_sha\":\"t\"}");
    Files.writeString(policies.resolve("all.cedar"), "permit (principal, action, resource);\n");
    Files.writeString(dir.resolve("catalog.json"), "{\"servers\": {}, \"tools\": []}");
    Path config = Files.writeString(dir.resolve("cmcp-config.yaml"),
        "listen_addr: \"127.0.0.1:0\"\naudit_dir: audit\ntls:\n  mode: generate\n");
    gateway = Gateway.start(config, Map.of("CMCP_DEV_MODE", "1"), new PrintStream(startOutput, true, StandardCharsets.UTF_8));
    url = URI.create("https://127.0.0.1:" + gateway.port() + "/mcp");
  }

  @AfterAll
  void stop() {
    gateway.close();
  }

  private static VerificationOptions softwareAccepted() {
    return VerificationOptions.of(EvidencePolicy.ALLOW_SOFTWARE, Instant.now());
  }

  @Test
  void theStartSaysTheKeyWasMadeInMemoryAndBoundAndServesHttps() {
    assertThat(startOutput.toString(StandardCharsets.UTF_8))
        .containsPattern("\\[cmcp\\] tls: generate, key generated in memory at start \\(ECDSA P-256, self-signed\\), SPKI sha256 [0-9a-f]{64}")
        .containsPattern("\\[cmcp\\] listening on 127\\.0\\.0\\.1:\\d+ \\(https\\)");
  }

  @Test
  void checkGatewayPassesEveryCheckAndNamesTheBoundKey() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();

    int exit = CheckGatewayCli.run(new CheckGatewayCli.Arguments(url.toString(), Optional.empty(), Optional.empty(), Optional.empty(),
        true, Optional.empty(), false, Optional.empty(), Optional.empty()), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));

    assertThat(err.toString(StandardCharsets.UTF_8)).isEmpty();
    // Software evidence: at best partially_verified, whose exit code is 3, as for cmcp verify.
    assertThat(exit).isEqualTo(3);
    assertThat(out.toString(StandardCharsets.UTF_8))
        .containsPattern("tls: TLSv1\\.3, the server's key SPKI sha256 [0-9a-f]{64}")
        .containsPattern("PASS tls_key_bound +the evidence binds TLS key SPKI sha256 [0-9a-f]{64}; it is the key this TLS connection presented")
        .contains("PASS binding", "PASS signature")
        .contains("result: partially_verified");
  }

  @Test
  void theAttestationDocumentNamesTheKeyOfTheHandshakeAndBindsIt() throws Exception {
    GatewayCheck.Result result = GatewayCheck.check(url, softwareAccepted(), Duration.ofSeconds(10));

    assertThat(result.report().check(CheckName.TLS_KEY_BOUND).status()).isEqualTo(CheckStatus.PASS);
    assertThat(result.report().check(CheckName.EVIDENCE).status()).isEqualTo(CheckStatus.SKIP);
    assertThat(result.report().check(CheckName.INCLUSION_PROOFS).reason()).contains("covers no session");
    assertThat(startOutput.toString(StandardCharsets.UTF_8)).contains("SPKI sha256 " + result.presentedSpkiSha256());
  }

  @Test
  void withoutAllowSoftwareTheSoftwareGatewayFailsTheEvidenceButTheKeyIsStillBound() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();

    int exit = CheckGatewayCli.run(new CheckGatewayCli.Arguments(url.toString(), Optional.empty(), Optional.empty(), Optional.empty(),
        false, Optional.empty(), true, Optional.empty(), Optional.empty()), new PrintStream(out, true, StandardCharsets.UTF_8), System.err);

    assertThat(exit).isEqualTo(1);
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("\"name\" : \"evidence\",\n    \"status\" : \"fail\"")
        .contains("\"presented_spki_sha256\"");
  }

  @Test
  void aTlsTerminatingProxyIsCaughtByCheckGatewayNamingTlsKeyBound() throws Exception {
    try (TlsTerminatingProxy proxy = new TlsTerminatingProxy(gateway.port())) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      int exit = CheckGatewayCli.run(new CheckGatewayCli.Arguments("https://127.0.0.1:" + proxy.port() + "/mcp", Optional.empty(),
          Optional.empty(), Optional.empty(), true, Optional.empty(), false, Optional.empty(), Optional.empty()),
          new PrintStream(out, true, StandardCharsets.UTF_8), System.err);

      assertThat(exit).isEqualTo(1);
      assertThat(out.toString(StandardCharsets.UTF_8))
          .containsPattern("FAIL tls_key_bound +the TLS connection presented key SPKI sha256 [0-9a-f]{64}, but the attested gateway's"
              + " TLS key is [0-9a-f]{64}: something else terminates this TLS connection")
          // The proxy forwarded the gateway's genuine document: everything else holds.
          .contains("PASS signature", "PASS binding")
          .contains("result: unverified");
    }
  }

  @Test
  void theAttestedTrustManagerLetsTheJdkHttpClientThroughToTheGateway() throws Exception {
    HttpClient http = HttpClient.newBuilder().sslContext(AttestedTrustManager.sslContext(url, softwareAccepted())).build();

    HttpResponse<String> response = http.send(HttpRequest.newBuilder(url).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":{}}")).build(),
        HttpResponse.BodyHandlers.ofString());

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).contains("\"tools\":[]");
  }

  @Test
  void theAttestedTrustManagerRefusesTheProxyBeforeAnythingIsSent() throws Exception {
    try (TlsTerminatingProxy proxy = new TlsTerminatingProxy(gateway.port())) {
      URI viaProxy = URI.create("https://127.0.0.1:" + proxy.port() + "/mcp");
      HttpClient http = HttpClient.newBuilder().sslContext(AttestedTrustManager.sslContext(viaProxy, softwareAccepted())).build();

      assertThatThrownBy(() -> http.send(HttpRequest.newBuilder(viaProxy).GET().build(), HttpResponse.BodyHandlers.ofString()))
          .isInstanceOf(SSLHandshakeException.class)
          .hasMessageContaining("tls_key_bound");
    }
  }

  @Test
  void theAttestedTrustManagerRefusesAGatewayThatDoesNotMeetTheExpectations() {
    VerificationOptions otherBundle = softwareAccepted().withExpectedBundleHash("sha256:" + "0".repeat(64));
    HttpClient http = HttpClient.newBuilder().sslContext(AttestedTrustManager.sslContext(url, otherBundle)).build();

    assertThatThrownBy(() -> http.send(HttpRequest.newBuilder(url).GET().build(), HttpResponse.BodyHandlers.ofString()))
        .isInstanceOf(SSLHandshakeException.class)
        .hasMessageContaining("bundle_hash: trace.policy.bundle_hash is sha256:");
  }

  @Test
  void curlPinnedToTheAttestedKeyReadsTheAttestationWithoutCredentials() throws Exception {
    GatewayCheck.Result checked = GatewayCheck.check(url, softwareAccepted(), Duration.ofSeconds(10));
    String pin = "sha256//" + Base64.getEncoder().encodeToString(HexFormat.of().parseHex(checked.presentedSpkiSha256()));

    Ran curl = run("curl", "-sS", "-k", "--pinnedpubkey", pin, "--tlsv1.3", "https://127.0.0.1:" + gateway.port() + "/v1/attestation");
    String body = curl.output();

    assertThat(curl.exit()).as(body).isZero();
    JsonNode document = new StrictJson().parse(body.getBytes(StandardCharsets.UTF_8));
    assertThat(document.at("/trace/tls/spki_sha256").asText()).isEqualTo(checked.presentedSpkiSha256());
    assertThat(document.at("/binding/tls_spki_sha256").asText()).isEqualTo(checked.presentedSpkiSha256());
    assertThat(document.has("gateway")).isFalse();
    VerificationReport report = ClaimVerifier.verifyAttestation(body.getBytes(StandardCharsets.UTF_8), softwareAccepted(), Optional.empty());
    assertThat(report.result()).isEqualTo(Verdict.PARTIALLY_VERIFIED);

    Ran wrongPin = run("curl", "-sS", "-k", "--pinnedpubkey", "sha256//" + Base64.getEncoder().encodeToString(new byte[32]),
        "https://127.0.0.1:" + gateway.port() + "/v1/attestation");
    assertThat(wrongPin.exit()).isNotZero();
    assertThat(wrongPin.output()).doesNotContain("trace");
  }

  @Test
  void opensslNegotiatesTls13AndTls12AndOlderAreRefused() throws Exception {
    String target = "127.0.0.1:" + gateway.port();
    Ran tls13 = run("openssl", "s_client", "-connect", target, "-tls1_3", "-brief");
    assertThat(tls13.exit()).as(tls13.output()).isZero();
    assertThat(tls13.output()).contains("Protocol version: TLSv1.3");

    for (String older : List.of("-tls1_2", "-tls1_1")) {
      Ran refused = run("openssl", "s_client", "-connect", target, older, "-brief");
      assertThat(refused.exit()).as(older + ": " + refused.output()).isNotZero();
      assertThat(refused.output()).doesNotContain("Protocol version");
    }
  }

  @Test
  void plainHttpToTheTlsPortGetsNothingServedInClear() throws Exception {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), gateway.port())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write("GET /v1/attestation HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      byte[] answer = readUntilClosed(in);
      assertThat(new String(answer, StandardCharsets.ISO_8859_1)).doesNotContain("HTTP/1.1").doesNotContain("trace");
    }
  }

  private static byte[] readUntilClosed(InputStream in) throws IOException {
    try {
      return in.readAllBytes();
    } catch (IOException e) {
      // A reset is an answer too: nothing was served.
      return new byte[0];
    }
  }

  /** What a command printed (stdout and stderr) and its exit status; stdin is closed at once. */
  private record Ran(int exit, String output) {}

  private static Ran run(String... command) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    process.getOutputStream().close();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    // Every client here finishes in well under this; a hang is a failure, not a wait.
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      return new Ran(-1, output);
    }
    return new Ran(process.exitValue(), output);
  }

}
