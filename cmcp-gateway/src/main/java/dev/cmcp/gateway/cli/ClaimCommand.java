package dev.cmcp.gateway.cli;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code cmcp claim}: fetch a session's signed claim from a running gateway. */
@Command(name = "claim", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    description = "Fetch the signed TRACE claim of a session from a running gateway "
    + "(sends CMCP_BEARER_TOKEN when it is set).")
final class ClaimCommand implements Callable<Integer> {

  @Option(names = "--gateway", required = true, paramLabel = "URL", description = "e.g. http://127.0.0.1:8443")
  URI gateway;

  @Option(names = "--session", required = true, paramLabel = "ID", description = "the session id")
  String session;

  @Option(names = "--out", paramLabel = "FILE", description = "write the claim here instead of standard output")
  Optional<Path> out;

  @Override
  public Integer call() throws InterruptedException {
    String base = gateway.toString().replaceAll("/+$", "");
    URI uri = URI.create(base + "/v1/sessions/" + URLEncoder.encode(session, StandardCharsets.UTF_8).replace("+", "%20") + "/claim");
    HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).GET();
    String token = System.getenv("CMCP_BEARER_TOKEN");
    if (token != null && !token.isEmpty()) {
      request.header("Authorization", "Bearer " + token);
    }
    try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build()) {
      HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        System.err.println("cmcp claim: the gateway answered HTTP " + response.statusCode() + ": " + response.body());
        if (response.statusCode() == 404) {
          // The index of each session's calls lives in the gateway's memory: a restart forgets it.
          System.err.println("cmcp claim: this gateway has recorded no call of session " + session + " since it started; the claims of "
              + "sessions of an earlier run were written to audit_dir/claims/ if it was stopped with SIGTERM or Ctrl-C");
        }
        return Main.INVALID_INPUT;
      }
      if (out.isPresent()) {
        Files.writeString(out.get(), response.body() + "\n");
        System.out.println("claim of session " + session + " written to " + out.get().toAbsolutePath().normalize()
            + "; check it offline with: cmcp verify --claim " + out.get());
      } else {
        System.out.println(response.body());
      }
      return Main.OK;
    } catch (IOException e) {
      System.err.println("cmcp claim: cannot reach " + uri + ": " + e.getMessage());
      return Main.INVALID_INPUT;
    }
  }
}
