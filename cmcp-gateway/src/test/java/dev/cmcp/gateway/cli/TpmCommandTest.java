package dev.cmcp.gateway.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code cmcp tpm enroll}'s refusals, before any TPM is touched or any file written. */
class TpmCommandTest {

  @TempDir Path dir;

  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int enroll(String tpm, Path caKey) throws Exception {
    Path roots = Files.writeString(dir.resolve("roots.pem"), Files.readString(Path.of(System.getProperty("cmcp.repo.root"))
        .resolve("test-fixtures/tdx/trusted_root.pem")));
    PrintStream saved = System.err;
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      return new CommandLine(new Main()).execute("tpm", "enroll", "--tpm", tpm, "--ek-roots", roots.toString(),
          "--ca-cert", roots.toString(), "--ca-key", caKey.toString(), "--out", dir.resolve("out").toString());
    } finally {
      System.setErr(saved);
    }
  }

  @Test
  void aCaKeyThatIsNoPrivateKeyIsAUsageError() throws Exception {
    Path notAKey = Files.writeString(dir.resolve("ca.key"), "not a key\n");

    assertThat(enroll("127.0.0.1:2321", notAKey)).isEqualTo(Main.USAGE);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("--ca-key " + notAKey + ": holds no PEM block");
    assertThat(dir.resolve("out")).doesNotExist();
  }

  @Test
  void aTpmThatDoesNotAnswerIsNamedAsSuch() throws Exception {
    int closed;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closed = socket.getLocalPort();
    }
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"));
    Path key = Files.writeString(dir.resolve("ca.key"), "-----BEGIN PRIVATE KEY-----\n"
        + Base64.getMimeEncoder().encodeToString(generator.generateKeyPair().getPrivate().getEncoded())
        + "\n-----END PRIVATE KEY-----\n");

    assertThat(enroll("127.0.0.1:" + closed, key)).isEqualTo(Main.INVALID_INPUT);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("no swtpm answering at 127.0.0.1:" + closed);
    assertThat(dir.resolve("out")).doesNotExist();
  }
}
