package dev.cmcp.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ListenAddressTest {

  @Test
  void loopbackAddressesAreRecognised() {
    assertThat(ListenAddress.parse("127.0.0.1:8443", true).isLoopback()).isTrue();
    assertThat(ListenAddress.parse("127.3.2.1:8443", true).isLoopback()).isTrue();
    assertThat(ListenAddress.parse("localhost:8443", true).isLoopback()).isTrue();
    assertThat(ListenAddress.parse("LocalHost:8443", true).isLoopback()).isTrue();
    assertThat(ListenAddress.parse("[::1]:8443", true).isLoopback()).isTrue();
    assertThat(ListenAddress.parse("[0:0:0:0:0:0:0:1]:8443", true).isLoopback()).isTrue();
  }

  @Test
  void wildcardLanAndHostNamesAreNotLoopback() {
    assertThat(ListenAddress.parse("0.0.0.0:8443", true).isLoopback()).isFalse();
    assertThat(ListenAddress.parse("[::]:8443", true).isLoopback()).isFalse();
    assertThat(ListenAddress.parse("192.168.1.10:8443", true).isLoopback()).isFalse();
    assertThat(ListenAddress.parse("gateway.internal:8443", true).isLoopback()).isFalse();
    // A name that merely starts like a loopback address resolves wherever DNS says.
    assertThat(ListenAddress.parse("127.example.com:8443", true).isLoopback()).isFalse();
    assertThat(ListenAddress.parse("localhost.example.com:8443", true).isLoopback()).isFalse();
  }

  @Test
  void ipv6IsPrintedInBrackets() {
    assertThat(ListenAddress.parse("[::1]:8443", true)).hasToString("[::1]:8443");
    assertThat(new ListenAddress("0.0.0.0", 8443, false)).hasToString("0.0.0.0:8443");
  }

  @Test
  void malformedAddressesAreRefused() {
    assertThatThrownBy(() -> ListenAddress.parse("127.0.0.1", true)).hasMessageContaining("has no port");
    assertThatThrownBy(() -> ListenAddress.parse("127.0.0.1:", true)).hasMessageContaining("is not a port number");
    assertThatThrownBy(() -> ListenAddress.parse("127.0.0.1:-1", true)).hasMessageContaining("is not a port number");
    assertThatThrownBy(() -> ListenAddress.parse(":8443", true)).hasMessageContaining("is not an IP address or host name");
    assertThatThrownBy(() -> ListenAddress.parse("[::1]8443", true)).hasMessageContaining("[::1]:8443");
    assertThatThrownBy(() -> ListenAddress.parse("bad host:80", true)).hasMessageContaining("is not an IP address or host name");
  }
}
