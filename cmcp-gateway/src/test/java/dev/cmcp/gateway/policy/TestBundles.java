package dev.cmcp.gateway.policy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;

/** Fixture bundles from test resources, and small bundles written on the fly. */
final class TestBundles {

  static final String MANIFEST =
      """
      {"version": "9.9.9", "authored_at": "2026-01-01T00:00:00Z",
       "author_identity": "test@example.com", "commit_sha": "abc123"}
      """;

  private TestBundles() {}

  static Path fixture(String name) {
    try {
      return Path.of(TestBundles.class.getResource("/policy/" + name).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A file of the repository checkout, such as {@code examples/schema/cmcp.cedarschema}. */
  static Path repositoryFile(String relativePath) {
    return Path.of(System.getProperty("cmcp.repo.root", "..")).resolve(relativePath).toAbsolutePath().normalize();
  }

  /** The schema the project ships for bundles to copy. */
  static String shippedSchema() {
    try {
      return Files.readString(repositoryFile("examples/schema/cmcp.cedarschema"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Writes {@code files} (path relative to the bundle -> text) into {@code dir}, with a valid manifest unless given. */
  static Path write(Path dir, Map<String, String> files) {
    try {
      if (!files.containsKey("manifest.json")) {
        Files.writeString(dir.resolve("manifest.json"), MANIFEST);
      }
      for (var file : files.entrySet()) {
        Path path = dir.resolve(file.getKey());
        Files.createDirectories(path.getParent());
        Files.write(path, file.getValue().getBytes(StandardCharsets.UTF_8));
      }
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A writable copy of a fixture bundle. */
  static Path copy(String fixture, Path target) {
    Path source = fixture(fixture);
    try (Stream<Path> walk = Files.walk(source)) {
      for (Path path : walk.toList()) {
        Path to = target.resolve(source.relativize(path).toString());
        if (Files.isDirectory(path)) {
          Files.createDirectories(to);
        } else {
          Files.copy(path, to);
        }
      }
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
