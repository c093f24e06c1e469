package dev.cmcp.gateway.cli;

import dev.cmcp.gateway.Gateway;
import dev.cmcp.verify.base.Digests;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * What {@code cmcp --version} reports: the version, the commit the build came from, and the jar
 * this process runs from with its SHA-256, which an operator compares with the published hash of
 * the release (two builds of one commit give the same jar).
 *
 * @param commit {@code git describe} at build time ({@code -dirty} when the tree had changes);
 *     empty when the build had no git repository
 * @param jar the jar the gateway's classes were loaded from; empty when run from class folders
 */
record BuildInfo(String version, Optional<String> commit, Optional<RunningJar> jar) {

  /** A jar file and the SHA-256 of its bytes, in hex. */
  record RunningJar(Path path, String sha256) {}

  /** Written into the jar by the build (the gateway's pom, maven-antrun-plugin). */
  private static final String COMMIT_RESOURCE = "/META-INF/cmcp/git-commit";

  static BuildInfo ofThisProcess() throws IOException {
    return new BuildInfo(Gateway.version(), builtFromCommit(), runningJar());
  }

  List<String> lines() {
    return List.of(
        "cmcp " + version,
        "commit: " + commit.orElse("unknown"),
        "jar: " + jar.map(j -> j.path().toString()).orElse("none (running from class folders)"),
        "jar sha256: " + jar.map(RunningJar::sha256).orElse("none"));
  }

  private static Optional<String> builtFromCommit() throws IOException {
    try (InputStream in = BuildInfo.class.getResourceAsStream(COMMIT_RESOURCE)) {
      if (in == null) {
        return Optional.empty();
      }
      String commit = new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
      return commit.isEmpty() ? Optional.empty() : Optional.of(commit);
    }
  }

  private static Optional<RunningJar> runningJar() throws IOException {
    Path code;
    try {
      code = Path.of(BuildInfo.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    } catch (URISyntaxException e) {
      throw new IOException("cannot locate the running code: " + e.getMessage(), e);
    }
    if (!Files.isRegularFile(code)) {
      return Optional.empty();
    }
    return Optional.of(new RunningJar(code, Digests.sha256Hex(code)));
  }

}
