package dev.cmcp.gateway.config;

import java.nio.file.Path;

/** The TPM that {@code attestation.tpm_device} names: a kernel device, or a TPM simulator's TCP port. */
public sealed interface TpmDevice {

  /** A TPM character device, normally the kernel's resource manager {@code /dev/tpmrm0}. */
  record Device(Path path) implements TpmDevice {
    @Override
    public String toString() {
      return path.toString();
    }
  }

  /** The TCP command port of a TPM simulator such as swtpm; tests and development only. */
  record Socket(String host, int port) implements TpmDevice {
    @Override
    public String toString() {
      return new ListenAddress(host, port, true).toString();
    }
  }

  /**
   * Reads an absolute device path or {@code host:port}.
   *
   * @throws IllegalArgumentException saying what to write instead
   */
  static TpmDevice parse(String text) {
    if (text.startsWith("/")) {
      return new Device(Path.of(text));
    }
    ListenAddress address;
    try {
      address = ListenAddress.parse(text, true);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("\"" + text + "\" is neither an absolute device path like /dev/tpmrm0 nor "
          + "host:port of a TPM simulator like 127.0.0.1:2321 (" + e.getMessage() + ")");
    }
    if (address.port() == 0) {
      throw new IllegalArgumentException("\"" + text + "\": port 0 names no TPM simulator; write its command port, like 2321");
    }
    return new Socket(address.host(), address.port());
  }
}
