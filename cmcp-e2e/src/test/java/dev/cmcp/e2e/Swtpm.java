package dev.cmcp.e2e;

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
 * A software TPM (Debian's swtpm) on a free loopback port pair, started by the test as DESIGN.md
 * asks: its command port, which the gateway's {@code attestation.tpm_device} names, and next to
 * it the control port.
 */
final class Swtpm implements AutoCloseable {

  static final String NOT_INSTALLED = "swtpm and tpm2-tools are not installed (apt-get install swtpm swtpm-tools tpm2-tools)";

  private final Process process;
  private final int port;

  private Swtpm(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  static boolean installed() {
    return List.of("swtpm", "tpm2_createek", "tpm2_createak", "tpm2_quote", "tpm2_pcrextend").stream().allMatch(Swtpm::onPath);
  }

  /**
   * A TPM as a manufacturer ships it: {@code swtpm_setup --create-ek-cert --create-platform-cert}
   * makes its state in {@code dir/state}, with an RSA 2048 EK whose certificate (at NV index
   * 0x01c00002) {@code swtpm_localca} issues from its own CA in {@code dir/ca}; the CA's root and
   * issuer certificates are then written together to {@code dir/ek-roots.pem}, as an auditor
   * would be given a manufacturer's.
   *
   * @return the state folder, for {@link #start}
   */
  static Path manufacture(Path dir) throws IOException, InterruptedException {
    Path ca = Files.createDirectories(dir.resolve("ca"));
    Path state = Files.createDirectories(dir.resolve("state"));
    Path localCa = Files.writeString(dir.resolve("localca.conf"), "statedir = " + ca + "\nsigningkey = " + ca.resolve("signkey.pem")
        + "\nissuercert = " + ca.resolve("issuercert.pem") + "\ncertserial = " + ca.resolve("certserial") + "\n");
    Path options = Files.writeString(dir.resolve("localca.options"), "--platform-manufacturer cmcp\n--platform-version 1\n"
        + "--platform-model e2e\n");
    Path setup = Files.writeString(dir.resolve("setup.conf"), "create_certs_tool = /usr/bin/swtpm_localca\n"
        + "create_certs_tool_config = " + localCa + "\ncreate_certs_tool_options = " + options + "\nactive_pcr_banks = sha256\n");
    Process process = new ProcessBuilder("swtpm_setup", "--tpm2", "--tpmstate", state.toString(), "--create-ek-cert",
        "--create-platform-cert", "--config", setup.toString(), "--overwrite")
        .redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    if (process.waitFor() != 0) {
      throw new IOException("swtpm_setup failed: " + output);
    }
    Files.writeString(dir.resolve("ek-roots.pem"), Files.readString(ca.resolve("swtpm-localca-rootca-cert.pem"))
        + Files.readString(ca.resolve("issuercert.pem")));
    return state;
  }

  static Swtpm start(Path state) throws IOException, InterruptedException {
    IOException last = null;
    for (int attempt = 0; attempt < 5; attempt++) {
      try {
        return launch(state, freePortPair());
      } catch (IOException e) {
        last = e; // another process took a port in between: try another pair
      }
    }
    throw last;
  }

  /** {@code attestation.tpm_device}: the command port. */
  String device() {
    return "127.0.0.1:" + port;
  }

  /** Extends a sha256 PCR with {@code digestHex}, as firmware measuring a boot stage would. */
  void extend(int pcr, String digestHex) throws IOException, InterruptedException {
    Process extend = new ProcessBuilder("tpm2_pcrextend", "--tcti=swtpm:host=127.0.0.1,port=" + port, pcr + ":sha256=" + digestHex)
        .redirectErrorStream(true)
        .start();
    String output = new String(extend.getInputStream().readAllBytes());
    if (extend.waitFor() != 0) {
      throw new IOException("tpm2_pcrextend failed: " + output);
    }
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  private static Swtpm launch(Path state, int port) throws IOException, InterruptedException {
    Process process = new ProcessBuilder("swtpm", "socket", "--tpm2",
        "--server", "type=tcp,port=" + port + ",bindaddr=127.0.0.1",
        "--ctrl", "type=tcp,port=" + (port + 1) + ",bindaddr=127.0.0.1",
        "--tpmstate", "dir=" + state,
        "--flags", "not-need-init,startup-clear")
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .start();
    Swtpm swtpm = new Swtpm(process, port);
    // Ready when the command port accepts a connection; swtpm serves one client at a time and
    // takes the next when this probe closes.
    for (int i = 0; i < 200; i++) {
      if (!process.isAlive()) {
        throw new IOException("swtpm exited at start with " + process.exitValue());
      }
      try (Socket probe = new Socket()) {
        probe.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
        return swtpm;
      } catch (IOException notYet) {
        Thread.sleep(25);
      }
    }
    swtpm.close();
    throw new IOException("swtpm did not open port " + port);
  }

  private static int freePortPair() throws IOException {
    for (int attempt = 0; attempt < 20; attempt++) {
      int port;
      try (ServerSocket any = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        port = any.getLocalPort();
      }
      if (port < 65535 && isFree(port + 1)) {
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
