package dev.cmcp.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GatewayConfigTest {

  private static final String TOKEN = "0123456789abcdef0123";

  @TempDir Path folder;

  private GatewayConfig configWith(String yaml) throws Exception {
    Path file = folder.resolve("cmcp-config.yaml");
    Files.writeString(file, yaml);
    return ConfigLoader.load(file);
  }

  private static RuntimeEnvironment withoutToken() throws ConfigException {
    return RuntimeEnvironment.from(Map.of());
  }

  private static RuntimeEnvironment withToken() throws ConfigException {
    return RuntimeEnvironment.from(Map.of("CMCP_BEARER_TOKEN", TOKEN));
  }

  @Test
  void tokenlessGatewayWithDefaultAddressListensOnLoopbackOnly() throws Exception {
    GatewayConfig config = configWith("catalog_path: catalog.json\n");

    assertThat(config.effectiveListenAddress(withoutToken())).isEqualTo(new ListenAddress("127.0.0.1", 8443, false));
  }

  @Test
  void gatewayWithTokenAndDefaultAddressListensOnAllInterfaces() throws Exception {
    GatewayConfig config = configWith("catalog_path: catalog.json\n");

    assertThat(config.effectiveListenAddress(withToken())).hasToString("0.0.0.0:8443");
  }

  @Test
  void tokenlessGatewayWithWrittenPublicAddressIsRefused() throws Exception {
    GatewayConfig config = configWith("listen_addr: 0.0.0.0:8443\n");

    assertThatThrownBy(() -> config.effectiveListenAddress(withoutToken()))
        .isInstanceOf(ConfigException.class)
        .hasMessage("listen_addr: 0.0.0.0:8443 is reachable from other machines; set CMCP_BEARER_TOKEN, add an auth section, or listen on 127.0.0.1");
  }

  @Test
  void tokenlessGatewayMayUseAWrittenLoopbackAddress() throws Exception {
    GatewayConfig config = configWith("listen_addr: \"[::1]:9000\"\n");

    assertThat(config.effectiveListenAddress(withoutToken())).hasToString("[::1]:9000");
  }

  @Test
  void gatewayWithTokenUsesTheWrittenAddress() throws Exception {
    GatewayConfig config = configWith("listen_addr: 10.0.0.5:9443\n");

    assertThat(config.effectiveListenAddress(withToken())).isEqualTo(new ListenAddress("10.0.0.5", 9443, true));
  }
}
