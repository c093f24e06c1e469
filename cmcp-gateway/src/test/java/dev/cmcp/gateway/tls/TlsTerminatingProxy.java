package dev.cmcp.gateway.tls;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Instant;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * A man in the middle as a host or a connectivity provider could run one: it terminates the
 * agent's TLS with a key of its own, opens its own TLS to the gateway, and passes the bytes
 * through, reading them in clear. Whatever it forwards (the gateway's genuine attestation
 * document included) is untouched.
 */
public final class TlsTerminatingProxy implements AutoCloseable {

  private final SSLServerSocket server;
  private final Thread acceptor;

  public TlsTerminatingProxy(int gatewayPort) throws Exception {
    ServerIdentity own = ServerIdentities.generate("127.0.0.1", Instant.now());
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    store.setKeyEntry("proxy", own.privateKey(), "p".toCharArray(), own.chain().toArray(Certificate[]::new));
    KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    keys.init(store, "p".toCharArray());
    SSLContext serverSide = SSLContext.getInstance("TLS");
    serverSide.init(keys.getKeyManagers(), null, null);
    SSLContext clientSide = SSLContext.getInstance("TLS");
    clientSide.init(null, new TrustManager[] {new TrustingAnything()}, null);
    server = (SSLServerSocket) serverSide.getServerSocketFactory().createServerSocket(0, 16, InetAddress.getLoopbackAddress());
    acceptor = Thread.ofVirtual().start(() -> {
      while (!server.isClosed()) {
        try {
          Socket agent = server.accept();
          Socket gateway = clientSide.getSocketFactory().createSocket(InetAddress.getLoopbackAddress(), gatewayPort);
          Thread.ofVirtual().start(() -> pipe(agent, gateway));
          Thread.ofVirtual().start(() -> pipe(gateway, agent));
        } catch (IOException e) {
          return;
        }
      }
    });
  }

  public int port() {
    return server.getLocalPort();
  }

  private static void pipe(Socket from, Socket to) {
    try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
      byte[] buffer = new byte[8192];
      int read;
      while ((read = in.read(buffer)) >= 0) {
        out.write(buffer, 0, read);
        out.flush();
      }
    } catch (IOException e) {
      // One side closed: close both.
    } finally {
      try {
        from.close();
        to.close();
      } catch (IOException ignored) {
        // Closing after an error.
      }
    }
  }

  @Override
  public void close() throws Exception {
    server.close();
    acceptor.join();
  }

  /** The proxy's own connection to the gateway: it does not care whom it talks to. */
  private static final class TrustingAnything implements X509TrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
