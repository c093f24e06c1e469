package dev.cmcp.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tls: section: what is read, the defaults that depend on the address, and what is refused. */
class TlsSettingsTest {


  @TempDir Path folder;
  private RuntimeEnvironment withToken;

  @org.junit.jupiter.api.BeforeEach
  void aTokenSoThatAnyAddressMayBeUsed() throws Exception {
    withToken = RuntimeEnvironment.from(Map.of("CMCP_BEARER_TOKEN", "t0ken-t0ken-t0ken"));
  }

  private GatewayConfig load(String yaml) throws Exception {
    return ConfigLoader.load(Files.writeString(folder.resolve("cmcp-config.yaml"), yaml));
  }

  private String errorOf(String yaml) throws Exception {
    try {
      load(yaml);
    } catch (ConfigException e) {
      return e.getMessage();
    }
    throw new AssertionError("expected a ConfigException for:\n" + yaml);
  }

  @Test
  void withoutATlsSectionLoopbackServesPlainHttpAndAnyOtherAddressGeneratesAKey() throws Exception {
    GatewayConfig config = load("listen_addr: \"127.0.0.1:8443\"\n");

    assertThat(config.tls()).isEqualTo(TlsSettings.defaults());
    assertThat(config.tls().effectiveMode(new ListenAddress("127.0.0.1", 8443, true))).isEqualTo(TlsSettings.Mode.OFF);
    assertThat(config.tls().effectiveMode(new ListenAddress("localhost", 8443, true))).isEqualTo(TlsSettings.Mode.OFF);
    assertThat(config.tls().effectiveMode(new ListenAddress("0.0.0.0", 8443, true))).isEqualTo(TlsSettings.Mode.GENERATE);
    assertThat(config.tls().effectiveMode(new ListenAddress("10.0.0.5", 8443, true))).isEqualTo(TlsSettings.Mode.GENERATE);
  }

  @Test
  void filesAreReadRelativeToTheConfigAndTls12OnlyWhenAsked() throws Exception {
    GatewayConfig config = load("tls:\n  mode: files\n  cert_file: tls/cert.pem\n  key_file: tls/key.pem\n  min_version: TLSv1.2\n");

    assertThat(config.tls()).isEqualTo(new TlsSettings(Optional.of(TlsSettings.Mode.FILES), Optional.of(folder.resolve("tls/cert.pem")),
        Optional.of(folder.resolve("tls/key.pem")), TlsSettings.MinVersion.TLS_1_2));
  }

  @Test
  void offOnAnAddressReachableFromElsewhereRefusesToStartNamingTlsMode() throws Exception {
    GatewayConfig config = load("listen_addr: \"0.0.0.0:8443\"\ntls:\n  mode: off\n");

    assertThatThrownBy(() -> ConfigLoader.checkAgainst(config, withToken))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("tls.mode: off is allowed only on a loopback listen_addr, and 0.0.0.0:8443 is reachable from other machines");
  }

  @Test
  void offOnLoopbackIsAllowedWrittenEitherWay() throws Exception {
    GatewayConfig config = load("listen_addr: \"127.0.0.1:8443\"\ntls:\n  mode: off\n");
    assertThat(load("listen_addr: \"127.0.0.1:8443\"\ntls:\n  mode: \"off\"\n").tls()).isEqualTo(config.tls());

    ConfigLoader.checkAgainst(config, withToken);
    assertThat(config.tls().effectiveMode(config.effectiveListenAddress(withToken))).isEqualTo(TlsSettings.Mode.OFF);
  }

  @Test
  void mistakesInTheSectionNameTheirKey() throws Exception {
    String file = folder.resolve("cmcp-config.yaml").toString();
    assertThat(errorOf("tls:\n  mode: on\n")).isEqualTo(file + ":2: tls.mode: use one of generate, files, off (an unquoted on/yes/true is not a mode)");
    assertThat(errorOf("tls:\n  mode: plain\n")).isEqualTo(file + ":2: tls.mode: \"plain\" is not allowed; use one of generate, files, off");
    assertThat(errorOf("tls:\n  mode: files\n  cert_file: c.pem\n"))
        .startsWith(file + ":2: tls.mode: files needs tls.cert_file (the PEM certificate chain) and tls.key_file")
        .endsWith("tls.key_file is missing");
    assertThat(errorOf("tls:\n  mode: generate\n  key_file: k.pem\n"))
        .isEqualTo(file + ":3: tls.key_file: is read only with tls.mode: files; set the mode or remove the key");
    assertThat(errorOf("tls:\n  min_version: TLSv1.1\n"))
        .isEqualTo(file + ":2: tls.min_version: \"TLSv1.1\" is not allowed; use one of TLSv1.3, TLSv1.2");
    assertThat(errorOf("tls:\n  ciphers: all\n")).startsWith(file + ":2: tls.ciphers: unknown key");
  }
}
