package dev.cmcp.gateway.attest.tpm;

import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Where the TPM is: the kernel's resource-managed device, or a software TPM (swtpm) on TCP. */
public sealed interface TpmTarget {

  /** The usual device on Linux: the kernel's resource manager in front of the TPM. */
  Path DEFAULT_DEVICE = Path.of("/dev/tpmrm0");

  /** The tpm2-tools TCTI string that reaches this TPM. */
  String tcti();

  /**
   * True when a resource manager flushes what each connection loaded when it closes. Otherwise
   * loaded objects stay until flushed, and the TPM has room for only a few.
   */
  boolean resourceManaged();

  /**
   * A character device: normally {@code /dev/tpmrm0}, where the kernel's resource manager flushes
   * what each connection loads; {@code /dev/tpm0} is the TPM without it.
   */
  record Device(Path path) implements TpmTarget {
    @Override
    public String tcti() {
      return "device:" + path;
    }

    @Override
    public boolean resourceManaged() {
      return path.getFileName() != null && path.getFileName().toString().startsWith("tpmrm");
    }

    @Override
    public String toString() {
      return path.toString();
    }
  }

  /**
   * swtpm's TPM command port (its control port is the next one). There is no resource manager in
   * front of it, so it must serve this gateway alone: the attester flushes every transient object
   * and session after each command.
   */
  record Swtpm(String host, int port) implements TpmTarget {
    public Swtpm {
      if (host.isBlank() || host.chars().anyMatch(c -> c == ',' || c == '=' || Character.isWhitespace(c))) {
        throw new IllegalArgumentException("tpm: swtpm host \"" + host + "\" is not a host name or address");
      }
      if (port < 1 || port > 65534) {
        throw new IllegalArgumentException("tpm: swtpm port " + port + " is outside 1-65534 (the control port is the next one)");
      }
    }

    @Override
    public String tcti() {
      return "swtpm:host=" + host + ",port=" + port;
    }

    @Override
    public boolean resourceManaged() {
      return false;
    }

    @Override
    public String toString() {
      return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
  }

  /**
   * Reads the configured TPM: an absolute device path ({@code /dev/tpmrm0}) or swtpm's command
   * port as {@code host:port} ({@code 127.0.0.1:2321}, {@code [::1]:2321}).
   *
   * @throws IllegalArgumentException with a message for the user, when it is neither
   */
  public static TpmTarget parse(String text) {
    if (text.startsWith("/")) {
      return new Device(Path.of(text));
    }
    Matcher matcher = Pattern.compile("(?:\\[([0-9A-Fa-f:.]+)]|([^:\\[\\]]+)):([0-9]{1,5})").matcher(text);
    if (!matcher.matches()) {
      throw new IllegalArgumentException("tpm: \"" + text + "\" is neither a device path (/dev/tpmrm0) "
          + "nor the host:port of swtpm's command port (127.0.0.1:2321)");
    }
    String host = matcher.group(1) != null ? matcher.group(1) : matcher.group(2);
    return new Swtpm(host, Integer.parseInt(matcher.group(3)));
  }
}
