package dev.cmcp.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RuntimeEnvironmentTest {

  private static final String TOKEN = "s3cret-token-0123456789";

  @Test
  void emptyEnvironmentMeansProductionWithoutTokenOrOpaque() throws Exception {
    RuntimeEnvironment env = RuntimeEnvironment.from(Map.of());

    assertThat(env.devMode()).isFalse();
    assertThat(env.bearerToken()).isEmpty();
    assertThat(env.opaqueAttestationUrl()).isEmpty();
  }

  @Test
  void allThreeVariablesAreRead() throws Exception {
    RuntimeEnvironment env =
        RuntimeEnvironment.from(
            Map.of("CMCP_DEV_MODE", "1", "CMCP_BEARER_TOKEN", TOKEN, "OPAQUE_ATTESTATION_URL", "https://opaque.example/attest"));

    assertThat(env.devMode()).isTrue();
    assertThat(env.bearerToken()).contains(TOKEN);
    assertThat(env.opaqueAttestationUrl()).contains(URI.create("https://opaque.example/attest"));
  }

  @Test
  void devModeAcceptsOnlyOneOrZero() throws Exception {
    assertThat(RuntimeEnvironment.from(Map.of("CMCP_DEV_MODE", "0")).devMode()).isFalse();
    for (String value : new String[] {"true", "yes", "2", "", " 1"}) {
      assertThatThrownBy(() -> RuntimeEnvironment.from(Map.of("CMCP_DEV_MODE", value)))
          .isInstanceOf(ConfigException.class)
          .hasMessageStartingWith("CMCP_DEV_MODE: \"" + value + "\" is not allowed");
    }
  }

  @Test
  void shortOrEmptyTokenIsRefusedWithoutShowingIt() {
    for (String value : new String[] {"", "short-token"}) {
      assertThatThrownBy(() -> RuntimeEnvironment.from(Map.of("CMCP_BEARER_TOKEN", value)))
          .isInstanceOf(ConfigException.class)
          .hasMessageStartingWith("CMCP_BEARER_TOKEN is set but shorter than 16 characters")
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain("short-token"));
    }
  }

  @Test
  void tokenWithSpacesIsRefused() {
    assertThatThrownBy(() -> RuntimeEnvironment.from(Map.of("CMCP_BEARER_TOKEN", TOKEN + " \n")))
        .hasMessageStartingWith("CMCP_BEARER_TOKEN contains spaces");
  }

  @Test
  void opaqueUrlMustBeAbsoluteHttp() {
    for (String value : new String[] {"", "opaque.example", "ftp://opaque.example", "/attest", "http://"}) {
      assertThatThrownBy(() -> RuntimeEnvironment.from(Map.of("OPAQUE_ATTESTATION_URL", value)))
          .isInstanceOf(ConfigException.class)
          .hasMessage("OPAQUE_ATTESTATION_URL: \"" + value + "\" is not an absolute http:// or https:// URL");
    }
  }

  @Test
  void toStringNeverShowsTheToken() throws Exception {
    RuntimeEnvironment env = RuntimeEnvironment.from(Map.of("CMCP_BEARER_TOKEN", TOKEN));

    assertThat(env.toString()).doesNotContain(TOKEN).contains("bearerToken=<set>");
  }
}
