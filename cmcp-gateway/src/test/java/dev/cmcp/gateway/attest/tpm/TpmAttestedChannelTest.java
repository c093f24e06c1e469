package dev.cmcp.gateway.attest.tpm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.cmcp.gateway.Gateway;
import dev.cmcp.gateway.tls.TlsTerminatingProxy;
import dev.cmcp.verify.base.CheckStatus;
import dev.cmcp.verify.channel.GatewayCheck;
import dev.cmcp.verify.claim.CheckName;
import dev.cmcp.verify.claim.EvidencePolicy;
import dev.cmcp.verify.claim.VerificationOptions;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A gateway on the tpm provider (swtpm, no development mode) serving TLS with a generated key:
 * the quote's qualifying data commits to the binding with the TLS key's SPKI hash in it, and the
 * attested channel check passes only for that key.
 */
class TpmAttestedChannelTest {

  @TempDir Path dir;

  @Test
  void theQuoteBindsTheTlsKeyAndAProxyInBetweenIsCaught() throws Exception {
    assumeTrue(Swtpm.installed(), Swtpm.NOT_INSTALLED);
    Path policies = Files.createDirectory(dir.resolve("policies"));
    Files.writeString(policies.resolve("manifest.json"),
        "{\"version\":\"1.0.0\",\"authored_at\":\"2026-01-01T00:00:00Z\",\"author_identity\":\"t@example.com\",\"commit_sha\":\"t\"}");
    Files.writeString(policies.resolve("all.cedar"), "permit (principal, action, resource);\n");
    Files.writeString(dir.resolve("catalog.json"), "{\"servers\": {}, \"tools\": []}");
    try (Swtpm swtpm = Swtpm.start(Files.createDirectory(dir.resolve("tpm-state")))) {
      Path config = Files.writeString(dir.resolve("cmcp-config.yaml"), "attestation:\n  provider: tpm\n  tpm_device: \""
          + swtpm.device() + "\"\nlisten_addr: \"127.0.0.1:0\"\naudit_dir: audit\ntls:\n  mode: generate\n");
      try (Gateway gateway = Gateway.start(config, Map.of(), new PrintStream(OutputStream.nullOutputStream()))) {
        VerificationOptions uncertifiedAkAccepted = VerificationOptions.of(EvidencePolicy.ALLOW_SOFTWARE, Instant.now());

        GatewayCheck.Result direct = GatewayCheck.check(URI.create("https://127.0.0.1:" + gateway.port()), uncertifiedAkAccepted,
            Duration.ofSeconds(10));

        assertThat(direct.report().check(CheckName.BINDING).status()).as(direct.report().toText()).isEqualTo(CheckStatus.PASS);
        assertThat(direct.report().check(CheckName.BINDING).reason()).contains("qualifying data (extraData) is SHA-256 of the binding");
        assertThat(direct.report().check(CheckName.TLS_KEY_BOUND).status()).isEqualTo(CheckStatus.PASS);
        assertThat(direct.report().platformEvidence().orElseThrow().platform()).isEqualTo("tpm");
        assertThat(direct.report().checks()).as(direct.report().toText()).noneMatch(c -> c.status() == CheckStatus.FAIL);

        try (TlsTerminatingProxy proxy = new TlsTerminatingProxy(gateway.port())) {
          GatewayCheck.Result intercepted = GatewayCheck.check(URI.create("https://127.0.0.1:" + proxy.port()), uncertifiedAkAccepted,
              Duration.ofSeconds(10));

          assertThat(intercepted.report().check(CheckName.BINDING).status()).isEqualTo(CheckStatus.PASS);
          assertThat(intercepted.report().check(CheckName.TLS_KEY_BOUND).status()).isEqualTo(CheckStatus.FAIL);
          assertThat(intercepted.report().exitCode()).isEqualTo(1);
        }
      }
    }
  }
}
