package dev.cmcp.gateway.attest.tpm;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A software TPM (Debian's swtpm) on a free loopback port pair, for tests: its command port and,
 * next to it, its control port. The state folder outlives a {@link #restart}, as a TPM's NV does a
 * reboot; a restart is a TPM reset.
 */
final class Swtpm implements AutoCloseable {

  static final String NOT_INSTALLED = "swtpm and tpm2-tools are not installed (apt-get install swtpm swtpm-tools tpm2-tools)";

  private final Path state;
  private final int port;
  private Process process;

  private Swtpm(Path state, int port) {
    this.state = state;
    this.port = port;
  }

  static boolean installed() {
    return List.of("swtpm", "tpm2_quote", "tpm2_createak", "tpm2_pcrextend").stream().allMatch(Swtpm::onPath);
  }

  static Swtpm start(Path state) throws IOException, InterruptedException {
    IOException last = null;
    for (int attempt = 0; attempt < 5; attempt++) {
      Swtpm swtpm = new Swtpm(state, freePortPair());
      try {
        swtpm.launch();
        return swtpm;
      } catch (IOException e) {
        last = e; // another process took the port in between: try another pair
      }
    }
    throw last;
  }

  /**
   * A TPM as a manufacturer ships it: {@code swtpm_setup --create-ek-cert --create-platform-cert}
   * makes its state in {@code dir/state}, with an RSA 2048 EK whose certificate (at NV index
   * 0x01c00002) {@code swtpm_localca} issues from its own CA in {@code dir/ca}.
   *
   * @return the state folder, and the local CA's root and issuer certificates (PEM)
   */
  static Manufactured manufacture(Path dir) throws IOException, InterruptedException {
    Path ca = Files.createDirectories(dir.resolve("ca"));
    Path state = Files.createDirectories(dir.resolve("state"));
    Path localCa = Files.writeString(dir.resolve("localca.conf"), "statedir = " + ca + "\nsigningkey = " + ca.resolve("signkey.pem")
        + "\nissuercert = " + ca.resolve("issuercert.pem") + "\ncertserial = " + ca.resolve("certserial") + "\n");
    Path options = Files.writeString(dir.resolve("localca.options"), "--platform-manufacturer cmcp\n--platform-version 1\n"
        + "--platform-model test\n");
    Path setup = Files.writeString(dir.resolve("setup.conf"), "create_certs_tool = /usr/bin/swtpm_localca\n"
        + "create_certs_tool_config = " + localCa + "\ncreate_certs_tool_options = " + options + "\nactive_pcr_banks = sha256\n");
    Process process = new ProcessBuilder("swtpm_setup", "--tpm2", "--tpmstate", state.toString(), "--create-ek-cert",
        "--create-platform-cert", "--config", setup.toString(), "--overwrite")
        .redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    if (process.waitFor() != 0) {
      throw new IOException("swtpm_setup failed: " + output);
    }
    return new Manufactured(state, ca.resolve("swtpm-localca-rootca-cert.pem"), ca.resolve("issuercert.pem"));
  }

  /** A manufactured TPM's state and its EK certificate's CA (root and issuer, PEM). */
  record Manufactured(Path state, Path rootCertificate, Path issuerCertificate) {}

  TpmTarget.Swtpm target() {
    return new TpmTarget.Swtpm("127.0.0.1", port);
  }

  /** Stops and starts swtpm on the same ports and state: a TPM reset. */
  void restart() throws IOException, InterruptedException {
    stop();
    launch();
  }

  /** What attestation.tpm_device says to reach this simulator. */
  String device() {
    return "127.0.0.1:" + port;
  }

  /** Extends a sha256 PCR with the SHA-256 digest {@code digestHex}, as firmware would. */
  void extend(int pcr, String digestHex) throws IOException, InterruptedException {
    Process extend = new ProcessBuilder("tpm2_pcrextend", "--tcti=" + target().tcti(), pcr + ":sha256=" + digestHex)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .start();
    if (extend.waitFor() != 0) {
      throw new IOException("tpm2_pcrextend failed");
    }
  }

  @Override
  public void close() {
    try {
      stop();
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  private void launch() throws IOException, InterruptedException {
    process = new ProcessBuilder("swtpm", "socket", "--tpm2",
        "--server", "type=tcp,port=" + port + ",bindaddr=127.0.0.1",
        "--ctrl", "type=tcp,port=" + (port + 1) + ",bindaddr=127.0.0.1",
        "--tpmstate", "dir=" + state,
        "--flags", "not-need-init,startup-clear")
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .start();
    // Ready when the command port accepts a connection; swtpm serves one client at a time and
    // takes the next when this probe closes.
    for (int i = 0; i < 200; i++) {
      if (!process.isAlive()) {
        throw new IOException("swtpm exited at start with " + process.exitValue());
      }
      try (Socket probe = new Socket()) {
        probe.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
        return;
      } catch (IOException notYet) {
        Thread.sleep(25);
      }
    }
    stop();
    throw new IOException("swtpm did not open port " + port);
  }

  private void stop() throws InterruptedException {
    if (process != null && process.isAlive()) {
      process.destroy();
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor();
      }
    }
  }

  private static int freePortPair() throws IOException {
    for (int attempt = 0; attempt < 20; attempt++) {
      int port;
      try (ServerSocket any = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        port = any.getLocalPort();
      }
      if (port < 65535 && isFree(port) && isFree(port + 1)) {
        return port;
      }
    }
    throw new IOException("no two free adjacent loopback ports");
  }

  private static boolean isFree(int port) {
    try (ServerSocket probe = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      return probe.isBound();
    } catch (IOException taken) {
      return false;
    }
  }

  private static boolean onPath(String tool) {
    String path = System.getenv("PATH");
    if (path == null) {
      return false;
    }
    for (String dir : path.split(File.pathSeparator)) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
        return true;
      }
    }
    return false;
  }
}
