import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.cert.X509Certificate;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The container image's health check: exits 0 when the URL answers 200, else 1. The runtime
 * image has no shell or curl to do this, only the JRE. Over https it accepts the gateway's
 * certificate unchecked, as kubelet's probes do: it asks the gateway in the same container
 * whether it serves, and sends nothing else.
 */
public final class Healthz {

  private Healthz() {}

  public static void main(String[] args) {
    if (args.length != 1) {
      System.err.println("usage: Healthz https://127.0.0.1:8443/healthz");
      System.exit(2);
    }
    try {
      SSLContext tls = SSLContext.getInstance("TLS");
      tls.init(null, new TrustManager[] {new Unchecked()}, null);
      HttpClient client = HttpClient.newBuilder().sslContext(tls).connectTimeout(Duration.ofSeconds(2)).build();
      HttpRequest request = HttpRequest.newBuilder(URI.create(args[0])).timeout(Duration.ofSeconds(3)).GET().build();
      int status = client.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
      System.exit(status == 200 ? 0 : 1);
    } catch (Exception e) {
      System.err.println("healthz: " + e);
      System.exit(1);
    }
  }

  /** Liveness only: whoever answers on the container's own loopback is the gateway. */
  private static final class Unchecked extends X509ExtendedTrustManager {
    @Override public void checkClientTrusted(X509Certificate[] chain, String authType) {}
    @Override public void checkServerTrusted(X509Certificate[] chain, String authType) {}
    @Override public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {}
    @Override public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {}
    @Override public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}
    @Override public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}
    @Override public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
