package dev.cmcp.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.verify.base.Digests;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HexFormat;
import java.util.Map;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A TPM claim verified to {@code verified}, end to end: a software TPM manufactured with EK
 * certificates ({@code swtpm_setup} and its local CA), enrolled with {@code cmcp tpm enroll} by an
 * auditor's enrollment CA, a gateway started with {@code attestation.tpm_enrollment}, and the
 * session's claim checked by {@code cmcp verify} with the enrollment CA, the EK roots, the
 * expected bundle hash and the expected PCR digest: exit 0.
 */
class TpmEnrolledClaimTest {

  /** What "firmware" measured into PCR 7 before the gateway started. */
  private static final String SECURE_BOOT = Digests.sha256Hex("cmcp e2e enrolled secure boot".getBytes(StandardCharsets.UTF_8));

  @TempDir Path tmp;

  @Test
  void anEnrolledTpmsClaimIsVerifiedWithTheEnrollmentCaAndTheEkRootsAndOnlyThen() throws Exception {
    Path state = Swtpm.manufacture(tmp);
    Path ekRoots = tmp.resolve("ek-roots.pem");
    Path caCert = tmp.resolve("enrollment-ca.pem");
    Path caKey = tmp.resolve("enrollment-ca.key");
    enrollmentCa(caCert, caKey);
    Path enrollment = tmp.resolve("enrollment");
    Path claimFile = tmp.resolve("claim.json");
    try (Swtpm swtpm = Swtpm.start(state)) {
      swtpm.extend(7, SECURE_BOOT);
      CliTest.Run enrolled = CliTest.cmcp("tpm", "enroll", "--tpm", swtpm.device(), "--ek-roots", ekRoots.toString(),
          "--ca-cert", caCert.toString(), "--ca-key", caKey.toString(), "--out", enrollment.toString());
      assertThat(enrolled.exit()).as(enrolled.output()).isZero();
      assertThat(enrolled.output()).contains("credential activation: the TPM holding that EK holds AK 000b",
          "attestation.tpm_enrollment: " + enrollment);

      Path config = Deployments.quickstart(tmp, "enforcing", tmp.resolve("calls.log"), Map.of(),
          Map.of("provider", "tpm", "tpm_device", "\"" + swtpm.device() + "\"", "tpm_enrollment", "\"" + enrollment + "\""));
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
    String log = ClaimTest.onlyLog(tmp.resolve("audit")).toString();
    String bundleHash = CliTest.cmcp("validate-bundle", "--bundle-path", Repo.quickstart().resolve("policies").toString())
        .output().lines().filter(l -> l.startsWith("bundle_hash: ")).findFirst().orElseThrow().substring(13);

    CliTest.Run verified = ClaimTest.verify(claimFile, "--audit-log", log, "--expected-bundle-hash", bundleHash,
        "--expected-measurement", pcrDigest(), "--tpm-ak-ca", caCert.toString(), "--tpm-ek-roots", ekRoots.toString());
    assertThat(verified.exit()).as(verified.output()).isZero();
    assertThat(verified.output()).contains("PASS evidence ", "PASS binding ", "PASS measurement ", "PASS bundle_hash ",
        "AK certified by enrollment CA CN=cmcp e2e enrollment CA").doesNotContain("FAIL").contains("result: verified");

    // Without the anchors the same claim is a quote by an uncertified key: refused, or partial at best.
    CliTest.Run noAnchors = ClaimTest.verify(claimFile, "--audit-log", log, "--expected-bundle-hash", bundleHash,
        "--expected-measurement", pcrDigest(), "--allow-software");
    assertThat(noAnchors.exit()).as(noAnchors.output()).isEqualTo(3);
    assertThat(noAnchors.output()).contains("AK not checked", "--tpm-ak-ca").contains("result: partially_verified");

    // The anchors of another manufacturer: the EK certificate does not chain, so the claim fails.
    CliTest.Run otherRoots = ClaimTest.verify(claimFile, "--audit-log", log, "--expected-bundle-hash", bundleHash,
        "--expected-measurement", pcrDigest(), "--tpm-ak-ca", caCert.toString(), "--tpm-ek-roots", caCert.toString());
    assertThat(otherRoots.exit()).as(otherRoots.output()).isEqualTo(1);
    assertThat(otherRoots.output()).contains("FAIL evidence", "does not chain to the given manufacturer root");
  }

  /** The auditor's enrollment CA: an ECC P-256 key and its self-signed certificate, as PEM files. */
  private static void enrollmentCa(Path certificate, Path key) throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair pair = generator.generateKeyPair();
    X500Name name = new X500Name("CN=cmcp e2e enrollment CA");
    Instant now = Instant.now();
    var ca = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(name, BigInteger.TWO,
        Date.from(now.minusSeconds(3600)), Date.from(now.plus(Duration.ofDays(30))), name, pair.getPublic())
        .addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
        .build(new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate())));
    Files.writeString(certificate, pem(ca));
    // PKCS#8, as openssl genpkey writes it.
    Files.writeString(key, "-----BEGIN PRIVATE KEY-----\n" + java.util.Base64.getMimeEncoder(64, new byte[] {'\n'})
        .encodeToString(pair.getPrivate().getEncoded()) + "\n-----END PRIVATE KEY-----\n");
  }

  private static String pem(Object object) throws IOException {
    StringWriter text = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
      writer.writeObject(object);
    }
    return text.toString();
  }

  /** SHA-256 of PCRs 0 to 7 of the sha256 bank: zeros, and PCR 7 extended once with {@link #SECURE_BOOT}. */
  private static String pcrDigest() {
    HexFormat hex = HexFormat.of();
    byte[] pcr7 = hex.parseHex(Digests.sha256Hex(hex.parseHex("00".repeat(32) + SECURE_BOOT)));
    ByteArrayOutputStream pcrs = new ByteArrayOutputStream();
    pcrs.writeBytes(new byte[7 * 32]);
    pcrs.writeBytes(pcr7);
    return Digests.sha256Hex(pcrs.toByteArray());
  }
}
