package dev.cmcp.verify.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cmcp.verify.claim.TestGateway;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VerifyCliTest {

  @TempDir Path dir;

  private TestGateway gateway;
  private Path claim;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  @BeforeEach
  void writeAClaimFile() throws IOException {
    gateway = TestGateway.withTwoSessions(dir);
    claim = Files.write(dir.resolve("claim.json"), TestGateway.bytes(gateway.claim("s1")));
  }

  private int run(Path claimFile, Optional<String> bundleHash, boolean allowSoftware, boolean json) {
    VerifyCli.Arguments arguments = new VerifyCli.Arguments(claimFile, bundleHash, Optional.empty(),
        Optional.of(gateway.log()), Optional.empty(), allowSoftware, false, false, Optional.of(TestGateway.ISSUED), json);
    return VerifyCli.run(arguments, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private String out() {
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void aSoftwareClaimIsPartialWithAllowSoftwareAndNeverExitsZero() {
    assertThat(run(claim, Optional.of(TestGateway.BUNDLE_HASH), true, false)).isEqualTo(VerifyCli.PARTIAL);
    assertThat(out()).contains("PASS audit_log").contains("SKIP evidence")
        .contains("NOT ESTABLISHED evidence: no offline root of trust").endsWith("result: partially_verified\n");

    out.reset();
    assertThat(run(claim, Optional.empty(), false, false)).isEqualTo(VerifyCli.FAILED);
    assertThat(out()).contains("FAIL evidence         software evidence: no hardware root of trust");
  }

  @Test
  void jsonOutputIsOneDocumentWithTheResultAndEveryCheck() throws IOException {
    int exit = run(claim, Optional.of(TestGateway.BUNDLE_HASH), true, true);

    JsonNode report = new ObjectMapper().readTree(out());
    assertThat(exit).isEqualTo(VerifyCli.PARTIAL);
    assertThat(report.get("exit_code").asInt()).isEqualTo(VerifyCli.PARTIAL);
    assertThat(report.get("not_established")).hasSize(1);
    assertThat(report.get("accepted_risks")).isEmpty();
    assertThat(report.get("result").asText()).isEqualTo("partially_verified");
    assertThat(report.get("checks")).hasSize(10);
    assertThat(report.at("/checks/4/name").asText()).isEqualTo("tls_key_bound");
    assertThat(report.at("/checks/4/status").asText()).isEqualTo("skip");
    assertThat(report.at("/checks/5/name").asText()).isEqualTo("bundle_hash");
    assertThat(report.at("/checks/5/status").asText()).isEqualTo("pass");
  }

  @Test
  void aMalformedExpectedHashIsAUsageError() {
    assertThat(run(claim, Optional.of("abc"), true, false)).isEqualTo(VerifyCli.USAGE);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("expected bundle hash must be sha256:<64 hex digits>");
    assertThat(out()).isEmpty();
  }

  @Test
  void oneTpmAnchorWithoutTheOtherIsAUsageError() {
    VerifyCli.Arguments onlyAkCa = new VerifyCli.Arguments(claim, Optional.empty(), Optional.empty(), Optional.empty(),
        Optional.empty(), false, false, false, Optional.empty(), false, Optional.empty(), Optional.empty(), Optional.empty(),
        Optional.of(claim), Optional.empty());

    assertThat(VerifyCli.run(onlyAkCa, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8))).isEqualTo(VerifyCli.USAGE);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("give --tpm-ak-ca and --tpm-ek-roots together");
    assertThat(out()).isEmpty();
  }

  @Test
  void anExpectationAndItsAcceptedAbsenceTogetherAreAUsageError() {
    VerifyCli.Arguments both = new VerifyCli.Arguments(claim, Optional.of(TestGateway.BUNDLE_HASH), Optional.empty(),
        Optional.empty(), Optional.empty(), true, true, false, Optional.empty(), false);

    assertThat(VerifyCli.run(both, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8))).isEqualTo(VerifyCli.USAGE);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("--accept-any-bundle, not both");
  }

  @Test
  void anAcceptedRiskIsPrintedAndTheMissingExpectationIsNotListed() {
    VerifyCli.Arguments accepting = new VerifyCli.Arguments(claim, Optional.empty(), Optional.empty(),
        Optional.of(gateway.log()), Optional.empty(), true, true, false, Optional.of(TestGateway.ISSUED), false);

    assertThat(VerifyCli.run(accepting, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8))).isEqualTo(VerifyCli.PARTIAL);
    assertThat(out()).contains("ACCEPTED RISK   any policy bundle is accepted").doesNotContain("NOT ESTABLISHED bundle_hash");
  }

  @Test
  void anEndlessClaimFileFailsFastAtTheLimit() {
    // /dev/zero has size 0 and never ends: the limit must hold on what is read, not on the size.
    assertThat(run(Path.of("/dev/zero"), Optional.empty(), true, false)).isEqualTo(VerifyCli.FAILED);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("/dev/zero holds more than " + VerifyCli.MAX_CLAIM_BYTES
        + " bytes: not a claim");
    assertThat(out()).isEmpty();
  }

  @Test
  void aMissingClaimFileFailsWithItsName() {
    assertThat(run(dir.resolve("nope.json"), Optional.empty(), true, false)).isEqualTo(VerifyCli.FAILED);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("claim file").contains("nope.json not found");
  }

  @Test
  void anUnreadableCertsFolderIsAUsageError() throws IOException {
    Path withAKey = Files.createDirectory(dir.resolve("keys"));
    Files.writeString(withAKey.resolve("key.pem"), "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n");
    VerifyCli.Arguments missing = new VerifyCli.Arguments(claim, Optional.empty(), Optional.empty(),
        Optional.empty(), Optional.of(dir.resolve("certs")), true, false, false, Optional.empty(), false);
    VerifyCli.Arguments withKey = new VerifyCli.Arguments(claim, Optional.empty(), Optional.empty(),
        Optional.empty(), Optional.of(withAKey), true, false, false, Optional.empty(), false);
    PrintStream errors = new PrintStream(err, true, StandardCharsets.UTF_8);

    assertThat(VerifyCli.run(missing, new PrintStream(out, true, StandardCharsets.UTF_8), errors)).isEqualTo(VerifyCli.USAGE);
    assertThat(VerifyCli.run(withKey, new PrintStream(out, true, StandardCharsets.UTF_8), errors)).isEqualTo(VerifyCli.USAGE);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("certs not found").contains("key.pem");
    assertThat(out()).isEmpty();
  }

  @Test
  void theClockIsUsedWhenNoTimeIsGiven() {
    VerifyCli.Arguments arguments = new VerifyCli.Arguments(claim, Optional.empty(), Optional.empty(),
        Optional.empty(), Optional.empty(), true, false, false, Optional.empty(), false);

    Instant before = Instant.now();
    VerifyCli.run(arguments, new PrintStream(out, true, StandardCharsets.UTF_8), System.err);
    Instant after = Instant.now();

    Matcher used = Pattern.compile("freshness .*now is (\\S+)").matcher(out());
    assertThat(used.find()).as(out()).isTrue();
    assertThat(Instant.parse(used.group(1))).isBetween(before, after);
  }
}
