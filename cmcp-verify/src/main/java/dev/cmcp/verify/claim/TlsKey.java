package dev.cmcp.verify.claim;

import dev.cmcp.verify.base.Digests;
import java.security.PublicKey;
import java.security.cert.Certificate;

/**
 * How a TLS key is named in a binding: the SHA-256 of its DER SubjectPublicKeyInfo, the same
 * value whether the key is read from the gateway's certificate, from a TLS handshake or from a
 * PEM file, and whatever the certificate around it says (names, dates, issuer).
 */
public final class TlsKey {

  private TlsKey() {}

  /** Lower-case hex SHA-256 of the key's SubjectPublicKeyInfo. */
  public static String spkiSha256(PublicKey key) {
    // X.509 public keys encode as their SubjectPublicKeyInfo.
    return Digests.sha256Hex(key.getEncoded());
  }

  /** {@link #spkiSha256(PublicKey)} of the certificate's key. */
  public static String spkiSha256(Certificate certificate) {
    return spkiSha256(certificate.getPublicKey());
  }
}
