package dev.cmcp.verify.collateral;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.verify.base.CanonicalJson;
import dev.cmcp.verify.claim.TestGateway;
import dev.cmcp.verify.cli.VerifyCli;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cmcp verify --fetch-collateral}: the claim's TDX quote gets its collateral from a
 * stand-in PCS serving the real fixtures, and the claim's evidence check then judges it; the
 * quote's user data is not this claim's binding, so the claim stays unverified either way.
 */
class ClaimCollateralFetchTest {

  static final Path FIXTURES = CollateralFetchTest.FIXTURES;
  static final Instant TDX_NOW = CollateralFetchTest.TDX_NOW;
  static final String MRTD =
      "6363b8043668a3ad953278e10389574d326c6749fb78aa810ecd9336923db86f22fc00b8dcd404bc10d5e119d7215cbb";

  @TempDir Path dir;

  private final StandIn pcs = new StandIn();
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  @AfterEach
  void stop() {
    pcs.close();
  }

  private Path tdxClaim() throws IOException {
    TestGateway gateway = TestGateway.withTwoSessions(dir);
    ObjectNode claim = gateway.unsignedClaim("s1");
    ObjectNode trace = (ObjectNode) claim.get("trace");
    trace.put("iat", TDX_NOW.minusSeconds(60).getEpochSecond());
    trace.put("exp", TDX_NOW.plusSeconds(3600).getEpochSecond());
    ObjectNode runtime = (ObjectNode) trace.get("runtime");
    ObjectNode evidence = new ObjectMapper().createObjectNode();
    evidence.put("format", "cmcp-tdx-evidence-v1");
    evidence.put("quote", base64Url(Files.readAllBytes(FIXTURES.resolve("tdx/tdx_prod_quote_SPR_E4.dat"))));
    runtime.put("platform", "tdx");
    runtime.put("assurance", "confidential-vm");
    runtime.put("measurement", MRTD);
    runtime.put("evidence", base64Url(CanonicalJson.bytes(evidence)));
    return Files.write(dir.resolve("claim.json"), TestGateway.bytes(gateway.sign(claim)));
  }

  private int verify(Path claim, Path certs, CollateralFetcher collateral) {
    out.reset();
    err.reset();
    return VerifyCli.run(new VerifyCli.Arguments(claim, Optional.of(TestGateway.BUNDLE_HASH), Optional.of(MRTD),
            Optional.empty(), Optional.of(certs), false, false, false, Optional.of(TDX_NOW), true, Optional.empty(),
            Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), collateral),
        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private String evidenceReason() throws IOException {
    for (JsonNode check : new ObjectMapper().readTree(out.toString(StandardCharsets.UTF_8)).path("checks")) {
      if (check.path("name").asText().equals("evidence")) {
        return check.path("status").asText() + ": " + check.path("reason").asText();
      }
    }
    throw new AssertionError("no evidence check in " + out);
  }

  @Test
  void theClaimsQuoteIsJudgedWithTheCollateralFetchedForIt() throws IOException {
    Path claim = tdxClaim();
    Path certs = Files.createDirectory(dir.resolve("certs"));
    Files.copy(FIXTURES.resolve("tdx/trusted_root.pem"), certs.resolve("trusted_root.pem"));
    String root = Files.readString(FIXTURES.resolve("tdx/trusted_root.pem"));
    String signing = new String(ClaimCollateralFetchTest.class.getResourceAsStream(
        "/dev/cmcp/verify/evidence/tdx/intel_sgx_tcb_signing.pem").readAllBytes(), StandardCharsets.US_ASCII);
    pcs.answer(CollateralFetchTest.PCK_CRL, new StandIn.Answer(200, Files.readAllBytes(FIXTURES.resolve("tdx/pckcrl")),
            Map.of("SGX-PCK-CRL-Issuer-Chain", encoded(platformCa() + root))))
        .answer(CollateralFetchTest.ROOT_CRL, StandIn.Answer.ok(Files.readAllBytes(FIXTURES.resolve("tdx/rootcrl.der"))))
        .answer(CollateralFetchTest.TCB_INFO, new StandIn.Answer(200,
            Files.readAllBytes(FIXTURES.resolve("tdx/sample_tcbInfo_response")), Map.of("TCB-Info-Issuer-Chain", encoded(signing + root))))
        .answer(CollateralFetchTest.QE_IDENTITY, new StandIn.Answer(200,
            Files.readAllBytes(FIXTURES.resolve("tdx/sample_qeIdentity_response")),
            Map.of("SGX-Enclave-Identity-Issuer-Chain", encoded(signing + root))));

    assertThat(verify(claim, certs, CollateralFetcher.offline())).isEqualTo(VerifyCli.FAILED);
    assertThat(evidenceReason()).startsWith("skip")
        .contains("pck_revocation, tcb_info, tcb_level, qe_identity were not checked", "--fetch-collateral");
    assertThat(pcs.requests).isEmpty();

    int exit = verify(claim, certs, CollateralFetcher.online(CollateralFetcher.AMD_KDS, pcs.base(), Optional.empty()));

    assertThat(exit).isEqualTo(VerifyCli.FAILED);
    assertThat(pcs.requests).containsExactly(CollateralFetchTest.PCK_CRL, CollateralFetchTest.ROOT_CRL,
        CollateralFetchTest.TCB_INFO, CollateralFetchTest.QE_IDENTITY);
    // With the collateral, the fixture platform's TCB level (below every level Intel lists) is judged and fails.
    assertThat(evidenceReason()).startsWith("fail").contains("tcb_level").doesNotContain("were not checked");
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("cmcp verify: collateral: fetched " + pcs.base());
  }

  @Test
  void anUnreachablePcsStopsTheClaimsVerificationNamingTheUrl() throws IOException {
    Path claim = tdxClaim();
    Path certs = Files.createDirectory(dir.resolve("certs"));
    pcs.close();

    int exit = verify(claim, certs, CollateralFetcher.online(CollateralFetcher.AMD_KDS, pcs.base(), Optional.empty()));

    assertThat(exit).isEqualTo(VerifyCli.FAILED);
    assertThat(out.toString(StandardCharsets.UTF_8)).isEmpty();
    assertThat(err.toString(StandardCharsets.UTF_8))
        .startsWith("cmcp verify: cannot fetch " + pcs.base() + CollateralFetchTest.PCK_CRL.substring(1))
        .doesNotContain("\tat ");
  }

  private static String platformCa() throws IOException {
    Matcher block = Pattern.compile("-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----\n?", Pattern.DOTALL)
        .matcher(new String(Files.readAllBytes(FIXTURES.resolve("tdx/tdx_prod_quote_SPR_E4.dat")), StandardCharsets.ISO_8859_1));
    assertThat(block.find() && block.find()).isTrue();
    return block.group();
  }

  private static String encoded(String pem) {
    return URLEncoder.encode(pem, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static String base64Url(byte[] bytes) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }
}
