package dev.cmcp.e2e;

import static dev.cmcp.verify.claim.CheckName.AUDIT_LOG;
import static dev.cmcp.verify.claim.CheckName.BINDING;
import static dev.cmcp.verify.claim.CheckName.CLAIM_FORMAT;
import static dev.cmcp.verify.claim.CheckName.EVIDENCE;
import static dev.cmcp.verify.claim.CheckName.FRESHNESS;
import static dev.cmcp.verify.claim.CheckName.INCLUSION_PROOFS;
import static dev.cmcp.verify.claim.CheckName.MEASUREMENT;
import static dev.cmcp.verify.claim.CheckName.SIGNATURE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.verify.base.CheckStatus;
import dev.cmcp.verify.base.Digests;
import dev.cmcp.verify.base.Verdict;
import dev.cmcp.verify.claim.CheckName;
import dev.cmcp.verify.claim.ClaimSigner;
import dev.cmcp.verify.claim.ClaimVerifier;
import dev.cmcp.verify.claim.EvidencePolicy;
import dev.cmcp.verify.claim.VerificationOptions;
import dev.cmcp.verify.claim.VerificationReport;
import dev.cmcp.verify.cli.VerifyEvidenceCli;
import dev.cmcp.verify.evidence.tpm.TpmCheck;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code tpm} provider end to end, with a software TPM the test starts: {@code ./cmcp start}
 * (no development mode) quotes swtpm's PCRs over its binding, and the session's claim verifies
 * with {@code cmcp verify}, quote included, as far as a TPM quote can: partially, for no EK
 * certificate chain certifies the attestation key.
 */
class TpmClaimTest {

  /** What "firmware" measured into PCR 7 before the gateway started. */
  private static final String SECURE_BOOT = Digests.sha256Hex("cmcp e2e secure boot".getBytes(StandardCharsets.UTF_8));

  @TempDir Path tmp;

  @Test
  void aClaimOfTheTpmProviderVerifiesEndToEndAndAQuoteOverOtherQualifyingDataFailsBinding() throws Exception {
    assumeTrue(Swtpm.installed(), Swtpm.NOT_INSTALLED);
    Path claimFile = tmp.resolve("claim.json");
    try (Swtpm swtpm = Swtpm.start(Files.createDirectories(tmp.resolve("tpm-state")))) {
      swtpm.extend(7, SECURE_BOOT);
      Path config = Deployments.quickstart(tmp, "enforcing", tmp.resolve("calls.log"), Map.of(),
          Map.of("provider", "tpm", "tpm_device", "\"" + swtpm.device() + "\""));
      try (GatewayProcess gateway = GatewayProcess.start(config, Map.of())) {
        McpClient client = new McpClient(gateway.baseUrl());
        assertThat(client.post(McpClient.toolCall(1, "salesforce.contacts", "{\"query\":\"Acme\"}", "s-tpm", "demo-agent")).status())
            .isEqualTo(200);
        CliTest.Run fetched = CliTest.cmcp("claim", "--gateway", gateway.baseUrl(), "--session", "s-tpm", "--out", claimFile.toString());
        assertThat(fetched.exit()).as(fetched.output()).isZero();
      }
    }
    ObjectNode claim = (ObjectNode) McpClient.JSON.readTree(claimFile.toFile());
    assertThat(claim.at("/trace/runtime/platform").asText()).isEqualTo("tpm");
    Path log = ClaimTest.onlyLog(tmp.resolve("audit"));

    // The command: partially_verified (exit 3) when the auditor accepts an uncertified AK, and never "verified".
    CliTest.Run accepted = ClaimTest.verify(claimFile, "--audit-log", log.toString(), "--allow-software",
        "--expected-measurement", pcrDigest());
    assertThat(accepted.exit()).as(accepted.output()).isEqualTo(3);
    assertThat(accepted.output()).contains("PASS binding ", "PASS measurement ", "PASS audit_log ")
        .doesNotContain("FAIL").contains("result: partially_verified");

    // Check by check (the library behind the command, in this process: each ./cmcp run is a JVM start).
    VerificationReport report = verify(claim, EvidencePolicy.ALLOW_SOFTWARE, log);
    for (CheckName name : List.of(SIGNATURE, CLAIM_FORMAT, BINDING, MEASUREMENT, FRESHNESS, INCLUSION_PROOFS, AUDIT_LOG)) {
      assertThat(report.check(name).status()).as(name.label() + ": " + report.check(name).reason()).isEqualTo(CheckStatus.PASS);
    }
    assertThat(report.check(EVIDENCE).status()).isEqualTo(CheckStatus.SKIP);
    assertThat(report.check(EVIDENCE).reason()).contains("AK not certified: no EK certificate chain");
    assertThat(report.platformEvidence().orElseThrow().check(TpmCheck.AK_SIGNATURE).status()).isEqualTo(CheckStatus.PASS);
    assertThat(report.result()).isEqualTo(Verdict.PARTIALLY_VERIFIED);
    VerificationReport refused = verify(claim, EvidencePolicy.HARDWARE_ONLY, log);
    assertThat(refused.check(EVIDENCE).status()).isEqualTo(CheckStatus.FAIL);
    assertThat(refused.result()).isEqualTo(Verdict.UNVERIFIED);
    assertThat(refused.exitCode()).isEqualTo(1);

    // The gateway's quote attached to a claim of another key: its qualifying data is another binding.
    VerificationReport otherKey = verify(resignedWithAnotherKey(claim), EvidencePolicy.ALLOW_SOFTWARE, log);
    assertThat(otherKey.check(SIGNATURE).status()).isEqualTo(CheckStatus.PASS);
    assertThat(otherKey.check(BINDING).status()).isEqualTo(CheckStatus.FAIL);
    assertThat(otherKey.check(BINDING).reason()).startsWith("extraData ").contains("is not SHA-256 of the expected binding");
    assertThat(otherKey.result()).isEqualTo(Verdict.UNVERIFIED);
    assertThat(otherKey.exitCode()).isEqualTo(1);

    // The evidence on its own, as copied out of the claim (base64url), as cmcp verify-evidence reads it.
    Path evidence = Files.writeString(tmp.resolve("evidence.b64"), claim.at("/trace/runtime/evidence").asText());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int exit = VerifyEvidenceCli.run(new VerifyEvidenceCli.Arguments("tpm", evidence, Files.createDirectories(tmp.resolve("certs")),
        Optional.empty(), Optional.of(pcrDigest()), Optional.empty(), false), new PrintStream(out, true, StandardCharsets.UTF_8), System.err);
    assertThat(exit).isEqualTo(3);
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("PASS ak_signature", "PASS pcr_digest", "PASS measurement", "SKIP ak_trust")
        .doesNotContain("FAIL").contains("NOT GIVEN --report-data").endsWith("result: partially_verified\n");
  }

  private static VerificationReport verify(ObjectNode claim, EvidencePolicy policy, Path log) throws Exception {
    VerificationOptions options = VerificationOptions.of(policy, Instant.now()).withAuditLog(log).withExpectedMeasurement(pcrDigest());
    return ClaimVerifier.verify(McpClient.JSON.writeValueAsBytes(claim), options);
  }

  /**
   * SHA-256 of PCRs 0 to 7 of the sha256 bank, computed here, not read from the claim: a fresh
   * TPM's PCRs are zeros, and PCR 7 was extended once with {@link #SECURE_BOOT}.
   */
  private static String pcrDigest() {
    HexFormat hex = HexFormat.of();
    byte[] pcr7 = hex.parseHex(Digests.sha256Hex(hex.parseHex("00".repeat(32) + SECURE_BOOT)));
    ByteArrayOutputStream pcrs = new ByteArrayOutputStream();
    pcrs.writeBytes(new byte[7 * 32]);
    pcrs.writeBytes(pcr7);
    return Digests.sha256Hex(pcrs.toByteArray());
  }

  /** {@code claim} with its key replaced by one made here, and signed with it: a valid signature over someone else's quote. */
  private static ObjectNode resignedWithAnotherKey(ObjectNode claim) throws Exception {
    ClaimSigner signer = new ClaimSigner(KeyPairGenerator.getInstance("Ed25519").generateKeyPair());
    ObjectNode copy = claim.deepCopy();
    ((ObjectNode) copy.get("trace").get("cnf")).set("jwk", signer.jwk().toJson());
    return signer.sign(copy);
  }
}
