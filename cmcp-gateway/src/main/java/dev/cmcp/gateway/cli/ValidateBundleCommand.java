package dev.cmcp.gateway.cli;

import dev.cmcp.gateway.policy.PolicyBundle;
import dev.cmcp.gateway.policy.PolicyBundleLoader;
import dev.cmcp.gateway.policy.PolicyException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "validate-bundle", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    description = "Recompute a policy bundle's hash, parse and validate its policies, and compare the hash.")
final class ValidateBundleCommand implements Callable<Integer> {

  @Option(names = "--bundle-path", required = true, paramLabel = "PATH", description = "the bundle folder")
  Path bundlePath;

  @Option(names = "--expected-hash", paramLabel = "sha256:HEX", description = "the approved bundle hash; exit 1 when it differs")
  Optional<String> expectedHash;

  @Override
  public Integer call() {
    PolicyBundle bundle;
    try {
      bundle = PolicyBundleLoader.load(bundlePath);
    } catch (PolicyException e) {
      System.err.println("cmcp: " + e.getMessage());
      return Main.INVALID_INPUT;
    }
    System.out.println("bundle_hash: " + bundle.bundleHash());
    System.out.println("policies: " + bundle.policyCount() + " parsed and validated (version " + bundle.version() + ")");
    if (expectedHash.isPresent() && !expectedHash.get().equals(bundle.bundleHash())) {
      System.err.println("cmcp: bundle hash mismatch: expected " + expectedHash.get() + ", computed " + bundle.bundleHash());
      return Main.INVALID_INPUT;
    }
    if (expectedHash.isPresent()) {
      System.out.println("hash matches the expected value");
    }
    return Main.OK;
  }
}
