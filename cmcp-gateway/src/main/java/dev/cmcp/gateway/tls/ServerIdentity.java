package dev.cmcp.gateway.tls;

import dev.cmcp.verify.claim.TlsKey;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;

/**
 * The key that terminates the gateway's TLS and the certificate chain presented with it, leaf
 * first. The private key lives only in this process's memory (with {@code files}, it was also
 * read from disk).
 */
public record ServerIdentity(PrivateKey privateKey, List<X509Certificate> chain, String origin) {

  public ServerIdentity {
    Objects.requireNonNull(privateKey);
    chain = List.copyOf(chain);
    if (chain.isEmpty()) {
      throw new IllegalArgumentException("a TLS identity needs at least its own certificate");
    }
    Objects.requireNonNull(origin);
  }

  public X509Certificate leaf() {
    return chain.get(0);
  }

  /** What the attestation binds: SHA-256 of the leaf's SubjectPublicKeyInfo, lower-case hex. */
  public String spkiSha256() {
    return TlsKey.spkiSha256(leaf());
  }
}
