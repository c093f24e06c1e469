package dev.cmcp.gateway.cli;

import dev.cmcp.verify.collateral.CollateralFetcher;
import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Option;

/** The collateral-fetching options {@code cmcp verify} and {@code cmcp verify-evidence} share. */
final class CollateralOptions {

  @Option(names = "--fetch-collateral",
      description = "fetch the VCEK, AMD's chain and CRL from AMD's KDS, or Intel's PCK CRL, TCB info and QE identity"
          + " from Intel's PCS; checked exactly as files in --certs are (offline without this option)")
  boolean fetch;

  @Option(names = "--collateral-cache", paramLabel = "DIR",
      description = "keep what --fetch-collateral fetched in DIR (one file per URL) and reuse it while current")
  Optional<Path> cache;

  @Option(names = "--kds-url", paramLabel = "URL",
      description = "AMD KDS base URL or a mirror of it (default https://kdsintf.amd.com/)")
  Optional<URI> kds;

  @Option(names = "--pcs-url", paramLabel = "URL",
      description = "Intel PCS base URL or a mirror of it (default https://api.trustedservices.intel.com/)")
  Optional<URI> pcs;

  /** @throws IllegalArgumentException when a fetching option comes without --fetch-collateral, or a URL is refused */
  CollateralFetcher fetcher() {
    if (!fetch) {
      if (cache.isPresent() || kds.isPresent() || pcs.isPresent()) {
        throw new IllegalArgumentException("--collateral-cache, --kds-url and --pcs-url apply only with --fetch-collateral");
      }
      return CollateralFetcher.offline();
    }
    return CollateralFetcher.online(kds.orElse(CollateralFetcher.AMD_KDS), pcs.orElse(CollateralFetcher.INTEL_PCS), cache);
  }
}
