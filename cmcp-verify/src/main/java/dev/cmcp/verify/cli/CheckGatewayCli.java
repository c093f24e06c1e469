package dev.cmcp.verify.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.verify.channel.GatewayChannelException;
import dev.cmcp.verify.channel.GatewayCheck;
import dev.cmcp.verify.claim.EvidencePolicy;
import dev.cmcp.verify.claim.VerificationOptions;
import dev.cmcp.verify.evidence.TrustStore;
import dev.cmcp.verify.evidence.TrustStoreException;
import dev.cmcp.verify.evidence.tpm.TpmTrust;
import java.io.PrintStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * The logic of {@code cmcp check-gateway}: is the TLS endpoint at a URL the attested gateway,
 * checked before anything is sent to it ({@link GatewayCheck}). Exit codes as {@link VerifyCli}'s:
 * 0 every requested check passed, {@code tls_key_bound} included; 1 a check failed or the gateway
 * could not be asked; 2 an option value is malformed.
 */
public final class CheckGatewayCli {

  static final Duration TIMEOUT = Duration.ofSeconds(15);

  /** The options of {@code cmcp check-gateway}, as {@link VerifyCli.Arguments} names them. */
  public record Arguments(
      String url,
      Optional<Path> certs,
      Optional<String> expectedBundleHash,
      Optional<String> expectedMeasurement,
      boolean allowSoftware,
      Optional<Instant> now,
      boolean json,
      Optional<Path> tpmAkCa,
      Optional<Path> tpmEkRoots) {}

  private CheckGatewayCli() {}

  public static int run(Arguments arguments, PrintStream out, PrintStream err) {
    URI url;
    VerificationOptions options;
    try {
      url = new URI(arguments.url());
      options = options(arguments);
    } catch (URISyntaxException e) {
      err.println("cmcp check-gateway: --url " + arguments.url() + " is not a URL: " + e.getMessage());
      return VerifyCli.USAGE;
    } catch (IllegalArgumentException | TrustStoreException e) {
      err.println("cmcp check-gateway: " + e.getMessage());
      return VerifyCli.USAGE;
    }
    GatewayCheck.Result result;
    try {
      result = GatewayCheck.check(url, options, TIMEOUT);
    } catch (GatewayChannelException e) {
      err.println("cmcp check-gateway: " + e.getMessage());
      return VerifyCli.FAILED;
    }
    if (arguments.json()) {
      ObjectNode report = result.report().toJson();
      report.putObject("tls").put("protocol", result.protocol()).put("presented_spki_sha256", result.presentedSpkiSha256());
      out.print(VerifyCli.json(report));
    } else {
      out.println("tls: " + result.protocol() + ", the server's key SPKI sha256 " + result.presentedSpkiSha256());
      out.print(result.report().toText());
    }
    out.flush();
    // A gateway that binds no TLS key fails tls_key_bound; so does one whose binding cannot be read.
    return result.report().exitCode();
  }

  private static VerificationOptions options(Arguments arguments) throws TrustStoreException {
    EvidencePolicy evidence = arguments.allowSoftware() ? EvidencePolicy.ALLOW_SOFTWARE : EvidencePolicy.HARDWARE_ONLY;
    VerificationOptions options = VerificationOptions.of(evidence, arguments.now().orElseGet(Instant::now));
    if (arguments.expectedBundleHash().isPresent()) {
      options = options.withExpectedBundleHash(arguments.expectedBundleHash().get());
    }
    if (arguments.expectedMeasurement().isPresent()) {
      options = options.withExpectedMeasurement(arguments.expectedMeasurement().get());
    }
    if (arguments.certs().isPresent()) {
      options = options.withTrustStore(TrustStore.load(arguments.certs().get()));
    }
    if (TpmTrust.fromOptions(arguments.tpmAkCa(), arguments.tpmEkRoots()) instanceof TpmTrust.Anchors anchors) {
      options = options.withTpmTrust(anchors);
    }
    return options;
  }
}
