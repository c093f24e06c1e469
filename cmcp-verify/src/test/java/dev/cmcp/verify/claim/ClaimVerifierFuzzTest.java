package dev.cmcp.verify.claim;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.cmcp.verify.base.Check;
import dev.cmcp.verify.base.StrictJson;
import dev.cmcp.verify.base.Verdict;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Claims from anyone: the verifier answers every input with a full report and never throws, and
 * a signed claim altered in any way that changes what it says is never {@code verified} or
 * {@code partially_verified}. The genuine claim and its audit log are in signed-claim/.
 */
class ClaimVerifierFuzzTest {

  /** Five seconds after the claims in signed-claim/ were issued, well before they expire. */
  private static final Instant NOW = TestGateway.ISSUED.plusSeconds(5);

  private final byte[] genuine = resource("signed-claim/claim-s1.json");
  /** What the two genuine claims (sessions s1 and s2) say, without their signatures. */
  private final List<List<Object>> genuineStatements;
  @TempDir Path dir;

  ClaimVerifierFuzzTest() throws Exception {
    genuineStatements = List.of(
        statement(GatewayClaim.fromJson(new StrictJson().parse(genuine))),
        statement(GatewayClaim.fromJson(new StrictJson().parse(resource("signed-claim/claim-s2.json")))));
  }

  private VerificationOptions options() throws IOException {
    Path log = dir.resolve("audit-" + TestGateway.EPOCH + ".jsonl");
    if (!Files.exists(log)) {
      Files.write(log, resource("signed-claim/audit-" + TestGateway.EPOCH + ".jsonl"));
    }
    return VerificationOptions.of(EvidencePolicy.ALLOW_SOFTWARE, NOW)
        .withExpectedBundleHash(TestGateway.BUNDLE_HASH)
        .withExpectedMeasurement(TestGateway.MEASUREMENT)
        .withAuditLog(log);
  }

  /** Without this the oracle below would be vacuous: the unaltered claim must be accepted. */
  @Test
  void genuineClaimIsPartiallyVerified() throws IOException {
    VerificationReport report = ClaimVerifier.verify(genuine, options());

    assertThat(report.result()).as(report.toText()).isEqualTo(Verdict.PARTIALLY_VERIFIED);
  }

  @FuzzTest
  void anyBytesGetAReportAndOnlySignedClaimsVerify(byte[] claim) throws IOException {
    VerificationReport report = ClaimVerifier.verify(claim, options());

    assertThat(report.checks()).extracting(Check::name).containsExactly(CheckName.values());
    assertMeansTheGenuineClaimIfAccepted(claim, report);
  }

  /**
   * Up to four splices (cut some bytes, insert others) anywhere in the genuine claim: libFuzzer
   * steers them with the comparisons the verifier makes, so they reach deep into the format.
   */
  @FuzzTest
  void alteredSignedClaimIsNeverVerified(FuzzedDataProvider data) throws IOException {
    byte[] altered = genuine;
    int splices = data.consumeInt(1, 4);
    for (int i = 0; i < splices; i++) {
      int at = data.consumeInt(0, altered.length);
      int cut = data.consumeInt(0, Math.min(32, altered.length - at));
      altered = splice(altered, at, cut, data.consumeBytes(data.consumeInt(0, 32)));
    }

    VerificationReport report = ClaimVerifier.verify(altered, options());

    assertMeansTheGenuineClaimIfAccepted(altered, report);
  }

  /**
   * A claim the verifier accepts must say exactly what a genuine claim says: same fields, same
   * values, read the same way. Only the bytes may differ (spacing, escapes, member order).
   */
  private void assertMeansTheGenuineClaimIfAccepted(byte[] claim, VerificationReport report) {
    if (report.result() == Verdict.UNVERIFIED) {
      return;
    }
    GatewayClaim accepted;
    try {
      accepted = GatewayClaim.fromJson(new StrictJson().parse(claim));
    } catch (StrictJson.MalformedJsonException | ClaimException e) {
      throw new AssertionError("accepted as " + report.result().label() + " but unreadable: " + e.getMessage(), e);
    }
    assertThat(genuineStatements).as(report.toText()).contains(statement(accepted));
  }

  private static List<Object> statement(GatewayClaim claim) {
    return List.of(claim.trace(), claim.gateway());
  }

  private static byte[] splice(byte[] bytes, int at, int cut, byte[] insert) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(bytes.length + insert.length);
    out.write(bytes, 0, at);
    out.writeBytes(insert);
    out.write(bytes, at + cut, bytes.length - at - cut);
    return out.toByteArray();
  }

  private static byte[] resource(String name) {
    try (InputStream in = ClaimVerifierFuzzTest.class.getResourceAsStream(name)) {
      return Objects.requireNonNull(in, name).readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
