package dev.cmcp.gateway;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The npm packages of {@code interop/} that the interop tests run. A developer without them
 * gets those tests skipped; {@code ./cmcp-dev test} (and so CI) sets
 * {@code CMCP_REQUIRE_INTEROP=1} after installing them, and then a missing package fails the
 * test loudly instead of leaving whole classes at "Tests run: 0".
 */
public final class InteropPackages {

  private InteropPackages() {}

  /** {@code file}, which must exist: skips the test without it, or fails it when the packages are required. */
  public static Path require(Path file) {
    boolean present = Files.isRegularFile(file);
    if (!present && "1".equals(System.getenv("CMCP_REQUIRE_INTEROP"))) {
      throw new IllegalStateException(file + " is missing although CMCP_REQUIRE_INTEROP=1: `npm ci` in interop/ did not"
          + " install it (run ./cmcp-dev test, which installs the interop packages)");
    }
    assumeTrue(present, "interop/node_modules is missing: run `npm ci` in interop/ to run the interop tests");
    return file;
  }
}
