package dev.cmcp.gateway.cli;

import dev.cmcp.verify.cli.VerifyCli;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code cmcp verify}: the offline verifier, from the cmcp-verify library auditors can also embed. */
@Command(name = "verify", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    description = "Verify a TRACE claim offline: signature, evidence, binding, hashes, freshness, audit chain.")
final class VerifyCommand implements Callable<Integer> {

  @Option(names = "--claim", required = true, paramLabel = "FILE", description = "the claim JSON")
  Path claim;

  @Option(names = "--expected-bundle-hash", paramLabel = "sha256:HEX", description = "the approved policy bundle hash")
  Optional<String> expectedBundleHash;

  @Option(names = "--expected-measurement", paramLabel = "HEX", description = "the expected platform measurement")
  Optional<String> expectedMeasurement;

  @Option(names = "--audit-log", paramLabel = "FILE", description = "the epoch's audit log: replay every entry and link")
  Optional<Path> auditLog;

  @Option(names = "--certs", paramLabel = "DIR",
      description = "certificates, CRLs and collateral for hardware evidence (AMD ASK/ARK and VCEK; Intel SGX Root CA, TCB info, QE identity)")
  Optional<Path> certs;

  @Option(names = "--allow-software",
      description = "accept evidence without an offline root of trust (software, opaque, a TPM quote whose AK is not certified); the result stays partially_verified")
  boolean allowSoftware;

  @Option(names = "--now", paramLabel = "ISO-8601",
      description = "judge freshness, certificates and CRLs at this instant, e.g. 2026-11-25T10:00:00Z")
  Optional<Instant> now;

  @Option(names = "--json", description = "print the report as JSON")
  boolean json;

  @Override
  public Integer call() {
    return VerifyCli.run(
        new VerifyCli.Arguments(claim, expectedBundleHash, expectedMeasurement, auditLog, certs, allowSoftware, now, json),
        System.out, System.err);
  }
}
