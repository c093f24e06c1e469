package dev.cmcp.gateway.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import dev.cmcp.gateway.config.ListenAddress;
import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The signing keys of one OAuth issuer: its metadata (RFC 8414, else OpenID Connect discovery)
 * names the JWKS, which is fetched, kept and fetched again every {@code refresh}. A token naming a
 * key the set lacks triggers one early fetch (keys rotate), at most every {@link #MIN_FETCH_INTERVAL}
 * so that made-up key ids cannot make the gateway hammer the issuer. While the issuer cannot be
 * reached the keys fetched last keep working for {@code maxAge}; after that no token can be
 * checked and requests are refused (fail closed) until a fetch succeeds.
 */
public final class IssuerKeys {

  /** Reads one URL's body; the gateway's is {@link #http()}. */
  @FunctionalInterface
  public interface Fetch {
    byte[] get(URI url) throws IOException;
  }

  /** The keys a token may be checked with now, or why there are none. */
  sealed interface Lookup {
    record Keys(List<JWK> keys) implements Lookup {}

    record Unavailable(String reason) implements Lookup {}
  }

  static final Duration MIN_FETCH_INTERVAL = Duration.ofSeconds(10);
  private static final Logger LOG = System.getLogger("cmcp.auth");
  private static final int MAX_DOCUMENT_BYTES = 1024 * 1024;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final URI issuer;
  private final Duration refresh;
  private final Duration maxAge;
  private final Fetch fetch;
  private final Clock clock;
  /** Held while fetching; requests that have usable keys never wait for it. */
  private final ReentrantLock fetching = new ReentrantLock();
  /** The keys fetched last and when; null until the first fetch succeeds. */
  private volatile Fetched current;
  private volatile Optional<String> lastFailure = Optional.empty();
  // Guarded by fetching.
  private Instant lastAttempt;
  private Optional<URI> jwksUri = Optional.empty();

  /** One successful fetch of the key set. */
  private record Fetched(JWKSet keys, Instant at) {}

  public IssuerKeys(URI issuer, Duration refresh, Duration maxAge, Fetch fetch, Clock clock) {
    this.issuer = issuer;
    this.refresh = refresh;
    this.maxAge = maxAge;
    this.fetch = fetch;
    this.clock = clock;
  }

  /** Fetches metadata and keys now; false (with the reason logged and in {@link #problem}) when that failed. */
  public boolean fetchNow() {
    fetching.lock();
    try {
      return fetchLocked();
    } finally {
      fetching.unlock();
    }
  }

  /**
   * The keys a token with key id {@code kid} (null: none named) may be checked with. An unknown
   * id, or keys due for refresh, cause a fetch first; while one runs, a request that has usable
   * keys goes on with them rather than wait, and only one without usable keys waits.
   */
  Lookup keysFor(String kid) {
    Instant now = clock.instant();
    Fetched known = current;
    boolean usable = known != null && now.isBefore(known.at().plus(maxAge));
    boolean due = known == null || !now.isBefore(known.at().plus(refresh)) || matching(known, kid).isEmpty();
    if (due && usable) {
      if (fetching.tryLock()) {
        try {
          fetchIfAllowed(now);
        } finally {
          fetching.unlock();
        }
      }
      known = current;
    } else if (due) {
      fetching.lock();
      try {
        fetchIfAllowed(now);
      } finally {
        fetching.unlock();
      }
      known = current;
    }
    if (known == null) {
      return new Lookup.Unavailable("the issuer's keys could not be fetched: " + lastFailure.orElse("not tried yet"));
    }
    if (!now.isBefore(known.at().plus(maxAge))) {
      return new Lookup.Unavailable("the issuer's keys were last fetched at " + known.at() + " and have expired (jwks_max_age_seconds); "
          + "fetching them again failed: " + lastFailure.orElse("unknown"));
    }
    return new Lookup.Keys(matching(known, kid));
  }

  /** Why tokens cannot be checked now, for {@code /readyz}; empty while they can. */
  public Optional<String> problem() {
    Fetched known = current;
    if (known == null) {
      return Optional.of("oauth: the keys of " + issuer + " have not been fetched: " + lastFailure.orElse("not tried yet"));
    }
    if (!clock.instant().isBefore(known.at().plus(maxAge))) {
      return Optional.of("oauth: the keys of " + issuer + " expired at " + known.at().plus(maxAge)
          + " and could not be fetched again: " + lastFailure.orElse("unknown") + "; tokens are refused (fail closed)");
    }
    return Optional.empty();
  }

  private static List<JWK> matching(Fetched known, String kid) {
    if (kid == null) {
      return known.keys().getKeys();
    }
    JWK key = known.keys().getKeyByKeyId(kid);
    return key == null ? List.of() : List.of(key);
  }

  private void fetchIfAllowed(Instant now) {
    if (lastAttempt != null && now.isBefore(lastAttempt.plus(MIN_FETCH_INTERVAL))) {
      return;
    }
    fetchLocked();
  }

  private boolean fetchLocked() {
    lastAttempt = clock.instant();
    try {
      if (jwksUri.isEmpty()) {
        jwksUri = Optional.of(discoverJwksUri());
      }
      JWKSet fetched = JWKSet.parse(new String(fetch.get(jwksUri.get()), StandardCharsets.UTF_8));
      current = new Fetched(new JWKSet(fetched.getKeys().stream().filter(IssuerKeys::usableForSigning).toList()), clock.instant());
      lastFailure = Optional.empty();
      return true;
    } catch (IOException | ParseException | RuntimeException e) {
      String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      lastFailure = Optional.of(reason);
      // The metadata may have moved the key set; find it again next time.
      jwksUri = Optional.empty();
      LOG.log(Level.WARNING, "oauth: cannot fetch the keys of {0}: {1}", issuer, reason);
      return false;
    }
  }

  /** Public signing keys only: an encryption key or one with private parts has no place here. */
  private static boolean usableForSigning(JWK key) {
    return !key.isPrivate() && (key.getKeyUse() == null || "sig".equals(key.getKeyUse().identifier()));
  }

  private URI discoverJwksUri() throws IOException {
    IOException first = null;
    for (URI metadata : metadataUrls(issuer)) {
      try {
        JsonNode document = JSON.readTree(fetch.get(metadata));
        String named = document.path("issuer").asText("");
        if (!named.equals(issuer.toString())) {
          throw new IOException(metadata + " names issuer \"" + named + "\", not " + issuer + " (RFC 8414 3.3: they must be identical)");
        }
        String jwks = document.path("jwks_uri").asText("");
        if (jwks.isEmpty()) {
          throw new IOException(metadata + " has no jwks_uri");
        }
        URI uri = URI.create(jwks);
        checkTransport(uri);
        return uri;
      } catch (IOException | IllegalArgumentException e) {
        if (first == null) {
          first = e instanceof IOException io ? io : new IOException(metadata + ": " + e.getMessage(), e);
        }
      }
    }
    throw first;
  }

  /** RFC 8414 section 3.1 (well-known suffix before the issuer's path), then OpenID Connect discovery (after it). */
  static List<URI> metadataUrls(URI issuer) {
    String path = issuer.getRawPath() == null ? "" : issuer.getRawPath();
    if (path.endsWith("/")) {
      path = path.substring(0, path.length() - 1);
    }
    String origin = issuer.getScheme() + "://" + issuer.getRawAuthority();
    return List.of(
        URI.create(origin + "/.well-known/oauth-authorization-server" + path),
        URI.create(origin + path + "/.well-known/openid-configuration"));
  }

  /** https, or http to a loopback host only: keys fetched in clear could be swapped by anyone on the path. */
  static void checkTransport(URI url) throws IOException {
    String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
    boolean loopback = url.getHost() != null && ListenAddress.isLoopbackHost(url.getHost());
    if (!scheme.equals("https") && !(scheme.equals("http") && loopback)) {
      throw new IOException(url + " is not https (http is accepted only on a loopback host)");
    }
  }

  /** GETs with a short timeout, no redirects and a bounded body. */
  public static Fetch http() {
    HttpClient client = HttpClient.newBuilder()
        .connectTimeout(Duration.ofSeconds(5))
        .followRedirects(HttpClient.Redirect.NEVER)
        .build();
    return url -> {
      checkTransport(url);
      HttpRequest request = HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(10)).header("Accept", "application/json").GET().build();
      try {
        HttpResponse<InputStream> response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream body = response.body()) {
          if (response.statusCode() != 200) {
            throw new IOException(url + " answered HTTP " + response.statusCode());
          }
          byte[] bytes = body.readNBytes(MAX_DOCUMENT_BYTES + 1);
          if (bytes.length > MAX_DOCUMENT_BYTES) {
            throw new IOException(url + " answered more than " + MAX_DOCUMENT_BYTES + " bytes");
          }
          return bytes;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while fetching " + url, e);
      }
    };
  }
}
