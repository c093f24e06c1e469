package dev.cmcp.gateway.config;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * The {@code tls:} section: whether and how the gateway terminates TLS itself, inside the TEE.
 *
 * @param mode tls.mode as written; empty: {@code off} on a loopback address, {@code generate} otherwise
 * @param certFile tls.cert_file (mode {@code files}): the certificate chain, PEM, leaf first; absolute
 * @param keyFile tls.key_file (mode {@code files}): the leaf's private key, PEM (PKCS#8 or traditional); absolute
 * @param minVersion tls.min_version: {@code TLSv1.3} (default) or {@code TLSv1.2}
 */
public record TlsSettings(Optional<Mode> mode, Optional<Path> certFile, Optional<Path> keyFile, MinVersion minVersion) {

  public TlsSettings {
    Objects.requireNonNull(mode);
    Objects.requireNonNull(certFile);
    Objects.requireNonNull(keyFile);
    Objects.requireNonNull(minVersion);
  }

  /** Nothing written: the defaults. */
  public static TlsSettings defaults() {
    return new TlsSettings(Optional.empty(), Optional.empty(), Optional.empty(), MinVersion.TLS_1_3);
  }

  /** tls.mode. */
  public enum Mode {
    /** An ECDSA P-256 key made in memory at start and a self-signed certificate for it; never written anywhere. */
    GENERATE,
    /** The operator's certificate chain and key, from PEM files. */
    FILES,
    /** Plain HTTP; allowed only on a loopback listen_addr. */
    OFF;

    public String configName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** tls.min_version: the oldest TLS version a client may use. */
  public enum MinVersion {
    TLS_1_3("TLSv1.3"),
    TLS_1_2("TLSv1.2");

    private final String configName;

    MinVersion(String configName) {
      this.configName = configName;
    }

    /** The spelling in cmcp-config.yaml, which is also the JSSE protocol name. */
    public String configName() {
      return configName;
    }
  }

  /**
   * The mode for the address the gateway really binds. Plain HTTP would let whoever carries the
   * traffic read every argument and result, so it is refused anywhere but loopback.
   *
   * @throws ConfigException naming {@code tls.mode} when it is {@code off} on a reachable address
   */
  public Mode effectiveMode(ListenAddress address) throws ConfigException {
    Mode effective = mode.orElse(address.isLoopback() ? Mode.OFF : Mode.GENERATE);
    if (effective == Mode.OFF && !address.isLoopback()) {
      throw new ConfigException("tls.mode: off is allowed only on a loopback listen_addr, and " + address
          + " is reachable from other machines, which would see every tool argument and result in clear;"
          + " use tls.mode: generate (a key made inside the gateway) or files, or listen on 127.0.0.1");
    }
    return effective;
  }
}
