package dev.cmcp.verify.channel;

import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;

/**
 * Lets a handshake finish whatever certificate the server shows, so that its key can be taken and
 * checked against the attestation; used only by {@link GatewayCheck}, which sends nothing but the
 * request for the public attestation document before that check.
 */
final class AnyServerKey extends ServerOnlyTrustManager {

  AnyServerKey() {
    super("this trust manager checks servers only");
  }

  @Override
  void checkServer(X509Certificate[] chain) throws CertificateException {
    if (chain == null || chain.length == 0) {
      throw new CertificateException("the server presented no certificate");
    }
  }
}
