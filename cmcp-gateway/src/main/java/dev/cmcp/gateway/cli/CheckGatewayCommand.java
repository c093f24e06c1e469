package dev.cmcp.gateway.cli;

import dev.cmcp.verify.cli.CheckGatewayCli;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code cmcp check-gateway}: before sending anything, check that a TLS endpoint is the attested gateway. */
@Command(name = "check-gateway", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    description = {"Before sending anything: open TLS to a gateway, fetch /v1/attestation over that connection and verify"
            + " it with the checks of verify, plus tls_key_bound (the evidence binds the key the handshake presented).",
        "Exit codes as verify's: 0 verified, 3 partially_verified, 1 unverified or the gateway could not be asked,"
            + " 2 bad options."})
final class CheckGatewayCommand implements Callable<Integer> {

  @Option(names = "--url", required = true, paramLabel = "URL", description = "the gateway, e.g. https://gw.example.com:8443/mcp")
  String url;

  @Option(names = "--certs", paramLabel = "DIR",
      description = "certificates, CRLs and collateral for hardware evidence (AMD ASK/ARK and VCEK; Intel SGX Root CA, TCB info, QE identity)")
  Optional<Path> certs;

  @Option(names = "--expected-bundle-hash", paramLabel = "sha256:HEX", description = "the approved policy bundle hash")
  Optional<String> expectedBundleHash;

  @Option(names = "--expected-measurement", paramLabel = "HEX", description = "the expected platform measurement")
  Optional<String> expectedMeasurement;

  @Option(names = "--allow-software",
      description = "accept evidence without an offline root of trust (software, opaque, a TPM quote whose AK is not certified); the result stays partially_verified")
  boolean allowSoftware;

  @Option(names = "--now", paramLabel = "ISO-8601",
      description = "judge freshness, certificates and CRLs at this instant, e.g. 2026-11-25T10:00:00Z")
  Optional<Instant> now;

  @Option(names = "--tpm-ak-ca", paramLabel = "FILE",
      description = "TPM: PEM of the enrollment CA that signed AK certificates (cmcp tpm enroll); with --tpm-ek-roots")
  Optional<Path> tpmAkCa;

  @Option(names = "--tpm-ek-roots", paramLabel = "FILE",
      description = "TPM: PEM of the TPM manufacturers' EK root (and intermediate) certificates; with --tpm-ak-ca")
  Optional<Path> tpmEkRoots;

  @Option(names = "--json", description = "print the report as JSON")
  boolean json;

  @Override
  public Integer call() {
    return CheckGatewayCli.run(
        new CheckGatewayCli.Arguments(url, certs, expectedBundleHash, expectedMeasurement, allowSoftware, now, json, tpmAkCa,
            tpmEkRoots),
        System.out, System.err);
  }
}
