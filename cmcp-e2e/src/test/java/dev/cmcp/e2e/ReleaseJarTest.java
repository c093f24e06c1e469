package dev.cmcp.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * ./cmcp runs the self-contained release jar, and {@code cmcp --version} names that jar and its
 * SHA-256, the hash an operator compares with a reproducible rebuild (./cmcp-dev repro-check).
 */
class ReleaseJarTest {

  @Test
  void versionNamesTheJarItRunsFromWithThatJarsSha256() throws Exception {
    Path releaseJar = Repo.root().resolve("cmcp-gateway/target/cmcp.jar");

    CliTest.Run run = CliTest.cmcp("--version");

    assertThat(run.exit()).as(run.output()).isZero();
    List<String> lines = run.output().lines().toList();
    assertThat(lines.get(0)).matches("cmcp \\S+");
    assertThat(lines).contains("jar: " + releaseJar.toRealPath());
    String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(releaseJar)));
    assertThat(lines).contains("jar sha256: " + expected);
    assertThat(lines).anyMatch(line -> line.matches("commit: ([0-9a-f]{40}(-dirty)?|unknown)"));
  }
}
