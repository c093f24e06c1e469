package dev.cmcp.gateway.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The collateral options of {@code cmcp verify}; fetching itself is tested in cmcp-verify. */
class VerifyCommandCollateralTest {

  @TempDir Path dir;

  @Test
  void fetchingOptionsWithoutFetchCollateralOrWithPlainHttpAreUsageErrors() {
    String claim = dir.resolve("claim.json").toString();
    assertThat(Main.commandLine().execute("verify", "--claim", claim, "--kds-url", "https://kds-mirror.example/"))
        .isEqualTo(Main.USAGE);
    assertThat(Main.commandLine().execute("verify", "--claim", claim, "--fetch-collateral", "--pcs-url",
        "http://pcs-mirror.example/")).isEqualTo(Main.USAGE);
    // Accepted options: the missing claim file is what fails.
    assertThat(Main.commandLine().execute("verify", "--claim", claim, "--fetch-collateral", "--collateral-cache",
        dir.toString())).isEqualTo(Main.INVALID_INPUT);
  }
}
