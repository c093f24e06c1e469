import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * The container image's health check: exits 0 when the URL answers 200, else 1. The runtime
 * image has no shell or curl to do this, only the JRE.
 */
public final class Healthz {

  private Healthz() {}

  public static void main(String[] args) {
    if (args.length != 1) {
      System.err.println("usage: Healthz http://127.0.0.1:8443/healthz");
      System.exit(2);
    }
    try {
      HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
      HttpRequest request = HttpRequest.newBuilder(URI.create(args[0])).timeout(Duration.ofSeconds(3)).GET().build();
      int status = client.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
      System.exit(status == 200 ? 0 : 1);
    } catch (Exception e) {
      System.err.println("healthz: " + e);
      System.exit(1);
    }
  }
}
