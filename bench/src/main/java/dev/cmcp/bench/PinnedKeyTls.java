package dev.cmcp.bench;

import dev.cmcp.verify.claim.TlsKey;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The bench client's trust in the gateway's generated certificate: it accepts exactly the key
 * whose SPKI SHA-256 the gateway printed at start (a pin), nothing else, and checks no host
 * name (the generated certificate names no address). Bench code only: an agent checks the
 * gateway's attestation instead ({@code AttestedTrustManager}), which costs one more connection
 * per new key and nothing per call.
 */
final class PinnedKeyTls {

  private static final Pattern PRINTED_KEY = Pattern.compile("SPKI sha256 ([0-9a-f]{64})");

  private PinnedKeyTls() {}

  /** The SPKI hash the gateway printed in its log at start. */
  static String printedKey(Path gatewayLog) throws IOException {
    Matcher matcher = PRINTED_KEY.matcher(Files.readString(gatewayLog, StandardCharsets.UTF_8));
    if (!matcher.find()) {
      throw new IOException("the gateway's log " + gatewayLog + " names no TLS key (SPKI sha256): did it start with tls?");
    }
    return matcher.group(1);
  }

  /** A TLS 1.3 client context that trusts only the key {@code spkiSha256}. */
  static SSLContext context(String spkiSha256) throws GeneralSecurityException {
    SSLContext context = SSLContext.getInstance("TLSv1.3");
    context.init(null, new TrustManager[] {new Pin(spkiSha256)}, null);
    return context;
  }

  /** Extended, so that the JDK adds no host-name check of its own. */
  private static final class Pin extends X509ExtendedTrustManager {
    private final String spkiSha256;

    Pin(String spkiSha256) {
      this.spkiSha256 = spkiSha256;
    }

    private void check(X509Certificate[] chain) throws CertificateException {
      if (chain == null || chain.length == 0 || !TlsKey.spkiSha256(chain[0]).equals(spkiSha256)) {
        throw new CertificateException("the server's key is not the pinned one (SPKI sha256 " + spkiSha256 + ")");
      }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      check(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
      check(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
      check(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      throw new CertificateException("the bench client trusts no clients");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
      throw new CertificateException("the bench client trusts no clients");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
      throw new CertificateException("the bench client trusts no clients");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
