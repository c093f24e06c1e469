package dev.cmcp.gateway.attest.tpm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class TpmTargetTest {

  @Test
  void anAbsolutePathIsADevice() {
    TpmTarget target = TpmTarget.parse("/dev/tpmrm0");

    assertThat(target).isEqualTo(new TpmTarget.Device(Path.of("/dev/tpmrm0")));
    assertThat(target.tcti()).isEqualTo("device:/dev/tpmrm0");
    assertThat(target.resourceManaged()).isTrue();
    assertThat(TpmTarget.parse("/dev/tpm0").resourceManaged()).isFalse();
  }

  @Test
  void hostAndPortIsSwtpm() {
    assertThat(TpmTarget.parse("127.0.0.1:2321")).isEqualTo(new TpmTarget.Swtpm("127.0.0.1", 2321));
    assertThat(TpmTarget.parse("localhost:2321").tcti()).isEqualTo("swtpm:host=localhost,port=2321");
    assertThat(TpmTarget.parse("[::1]:2321")).isEqualTo(new TpmTarget.Swtpm("::1", 2321));
    assertThat(TpmTarget.parse("[::1]:2321")).hasToString("[::1]:2321");
    assertThat(TpmTarget.parse("127.0.0.1:2321").resourceManaged()).isFalse();
  }

  @Test
  void anythingElseIsRefusedWithTheTwoAcceptedForms() {
    assertThatThrownBy(() -> TpmTarget.parse("tpmrm0")).hasMessageContaining("neither a device path (/dev/tpmrm0) nor the host:port");
    assertThatThrownBy(() -> TpmTarget.parse("host:port")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> TpmTarget.parse("127.0.0.1:65535")).hasMessageContaining("outside 1-65534");
    assertThatThrownBy(() -> TpmTarget.parse("a,b:2321")).hasMessageContaining("is not a host name or address");
  }
}
