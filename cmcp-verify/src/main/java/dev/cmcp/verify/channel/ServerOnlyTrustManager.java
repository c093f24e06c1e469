package dev.cmcp.verify.channel;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The shape both of this package's trust managers share: one decision about the server's chain,
 * whichever of the JDK's three entry points asks, and every client certificate refused (they
 * only ever check the gateway an agent connects to).
 */
abstract class ServerOnlyTrustManager extends X509ExtendedTrustManager {

  private final String clientRefusal;

  /** @param clientRefusal the message a client-side check fails with */
  ServerOnlyTrustManager(String clientRefusal) {
    this.clientRefusal = clientRefusal;
  }

  /** Accepts the server's chain, or throws saying why not. */
  abstract void checkServer(X509Certificate[] chain) throws CertificateException;

  @Override
  public final void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    checkServer(chain);
  }

  @Override
  public final void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
    checkServer(chain);
  }

  @Override
  public final void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
    checkServer(chain);
  }

  @Override
  public final void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    throw new CertificateException(clientRefusal);
  }

  @Override
  public final void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
    throw new CertificateException(clientRefusal);
  }

  @Override
  public final void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
    throw new CertificateException(clientRefusal);
  }

  @Override
  public final X509Certificate[] getAcceptedIssuers() {
    return new X509Certificate[0];
  }
}
