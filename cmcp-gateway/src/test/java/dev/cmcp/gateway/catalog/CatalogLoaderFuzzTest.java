package dev.cmcp.gateway.catalog;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whatever catalog.json holds, loading it either succeeds or says what to fix in a
 * {@link CatalogException}: any other exception fails the fuzz test, and a hang is caught by the
 * fuzzer's per-input timeout.
 */
class CatalogLoaderFuzzTest {

  /** Real catalogs are a few kilobytes; the bound keeps each input cheap. */
  private static final int MAX_FILE_BYTES = 64 * 1024;
  private static final Map<String, String> ENVIRONMENT = Map.of("EVERYTHING_TOKEN", "t0ken");

  @TempDir Path dir;

  @FuzzTest
  void onlyCatalogExceptionEscapes(byte[] json) throws IOException {
    if (json.length > MAX_FILE_BYTES) {
      return;
    }
    Path file = dir.resolve("catalog.json");
    Files.write(file, json);
    try {
      CatalogLoader.load(file, ENVIRONMENT);
    } catch (CatalogException expected) {
      // The one refusal the CLI knows how to report.
    }
  }
}
