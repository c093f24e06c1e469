package dev.cmcp.verify.claim;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class BindingTest {

  private static final String BUNDLE = "sha256:" + "ab".repeat(32);
  private static final String CATALOG = "sha256:" + "cd".repeat(32);

  @Test
  void theBindingIsSha512OfTheCanonicalObjectWithSortedKeys() throws Exception {
    String canonical = "{\"bundle_hash\":\"" + BUNDLE + "\",\"catalog_hash\":\"" + CATALOG
        + "\",\"cnf_jwk_thumbprint\":\"kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k\",\"enforcement_mode\":\"enforcing\"}";
    byte[] expected = MessageDigest.getInstance("SHA-512").digest(canonical.getBytes(StandardCharsets.UTF_8));

    Binding binding = Binding.of(BUNDLE, CATALOG, "enforcing", "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");

    assertThat(binding.bytes()).hasSize(64).isEqualTo(expected);
    assertThat(binding.hex()).isEqualTo(HexFormat.of().formatHex(expected));
  }

  @Test
  void everyBoundValueChangesTheBinding() {
    Binding base = Binding.of(BUNDLE, CATALOG, "enforcing", "key");

    assertThat(Binding.of(BUNDLE, CATALOG, "enforcing", "key")).isEqualTo(base);
    assertThat(Binding.of(CATALOG, CATALOG, "enforcing", "key")).isNotEqualTo(base);
    assertThat(Binding.of(BUNDLE, BUNDLE, "enforcing", "key")).isNotEqualTo(base);
    assertThat(Binding.of(BUNDLE, CATALOG, "advisory", "key")).isNotEqualTo(base);
    assertThat(Binding.of(BUNDLE, CATALOG, "enforcing", "other")).isNotEqualTo(base);
  }
}
