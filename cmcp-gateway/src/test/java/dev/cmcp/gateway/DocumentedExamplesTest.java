package dev.cmcp.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cmcp.gateway.catalog.CatalogLoader;
import dev.cmcp.gateway.config.ConfigLoader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The examples docs/configuration.md marks with {@code <!-- doc-test: config -->} or
 * {@code <!-- doc-test: catalog -->} load as written: the page cannot drift from what the gateway
 * accepts. (docs/quickstart.md's commands are run by the e2e QuickstartDocTest.)
 */
class DocumentedExamplesTest {

  static final Path DOCS = Path.of(System.getProperty("cmcp.repo.root")).resolve("docs").normalize();
  private static final Pattern MARKED = Pattern.compile("<!-- doc-test: (\\w+) -->\\n```\\w*\\n(.*?)\\n```", Pattern.DOTALL);

  @TempDir Path dir;

  record Example(String kind, String text) {}

  static List<Example> examples(Path page) throws IOException {
    Matcher marked = MARKED.matcher(Files.readString(page));
    List<Example> found = new ArrayList<>();
    while (marked.find()) {
      found.add(new Example(marked.group(1), marked.group(2)));
    }
    return found;
  }

  @Test
  void everyMarkedConfigAndCatalogOfConfigurationMdLoads() throws Exception {
    List<Example> examples = examples(DOCS.resolve("configuration.md"));
    assertThat(examples).extracting(Example::kind).contains("config", "catalog");
    int n = 0;
    for (Example example : examples) {
      n++;
      switch (example.kind()) {
        case "config" -> {
          Path file = Files.writeString(dir.resolve("config-" + n + ".yaml"), example.text() + "\n");
          assertThat(ConfigLoader.load(file).configFile()).as(example.text()).isEqualTo(file.toAbsolutePath().normalize());
        }
        case "catalog" -> {
          Path file = Files.writeString(dir.resolve("catalog-" + n + ".json"), example.text() + "\n");
          // The page's catalog names ${EVERYTHING_TOKEN}: the loader must be given it, as the gateway's environment would.
          assertThat(CatalogLoader.load(file, Map.of("EVERYTHING_TOKEN", "t0ken")).tools()).as(example.text()).isNotEmpty();
        }
        default -> throw new AssertionError("configuration.md marks an example \"" + example.kind() + "\" this test does not know");
      }
    }
  }
}
