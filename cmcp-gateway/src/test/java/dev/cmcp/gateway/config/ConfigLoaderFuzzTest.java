package dev.cmcp.gateway.config;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whatever an operator (or an attacker with write access to it) puts in cmcp-config.yaml, loading
 * it either succeeds or says what to fix in a {@link ConfigException}: any other exception fails
 * the fuzz test, and a hang is caught by the fuzzer's per-input timeout.
 */
class ConfigLoaderFuzzTest {

  /** Configs are a few hundred bytes; the bound keeps each input cheap. */
  private static final int MAX_FILE_BYTES = 16 * 1024;

  @TempDir Path dir;

  @FuzzTest
  void onlyConfigExceptionEscapes(byte[] yaml) throws IOException {
    if (yaml.length > MAX_FILE_BYTES) {
      return;
    }
    Path file = dir.resolve("cmcp-config.yaml");
    Files.write(file, yaml);
    try {
      ConfigLoader.load(file);
    } catch (ConfigException expected) {
      // The one refusal the CLI knows how to report.
    }
  }
}
