package dev.cmcp.verify.channel;

import dev.cmcp.verify.base.CheckStatus;
import dev.cmcp.verify.base.Requirement;
import dev.cmcp.verify.base.Verdict;
import dev.cmcp.verify.claim.CheckName;
import dev.cmcp.verify.claim.EvidencePolicy;
import dev.cmcp.verify.claim.TlsKey;
import dev.cmcp.verify.claim.VerificationOptions;
import dev.cmcp.verify.claim.VerificationReport;
import java.net.URI;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;

/**
 * A trust manager that accepts a gateway's certificate only when the gateway's attestation
 * verifies against the caller's expectations and binds the very key the handshake presented, so
 * that an agent learns, before it sends anything, that its TLS connection ends inside the
 * attested gateway. Use it with the JDK {@code HttpClient} (and so the MCP Java SDK client) via
 * {@link #sslContext}:
 *
 * <pre>{@code
 * VerificationOptions expected = VerificationOptions.of(EvidencePolicy.HARDWARE_ONLY, Instant.now())
 *     .withExpectedBundleHash("sha256:...").withExpectedMeasurement("...")
 *     .withTrustStore(TrustStore.load(Path.of("amd-certs")));
 * HttpClient http = HttpClient.newBuilder()
 *     .sslContext(AttestedTrustManager.sslContext(URI.create("https://gw.example.com:8443"), expected))
 *     .build();
 * }</pre>
 *
 * <p>On a handshake with a key it has not yet accepted, it fetches {@code /v1/attestation} on a
 * connection of its own ({@link GatewayCheck}); the key is accepted when every requested check
 * passes, {@code tls_key_bound} included, and the key that connection presented is the one this
 * handshake presents. An accepted key is remembered until the document expires, at most
 * {@link #MAX_TRUST}. The certificate's names, dates and issuer play no part (the attestation is
 * what vouches for the key), so no host-name check is made: connect to the gateway you mean.
 * Software-attested gateways (development) are accepted only under
 * {@link EvidencePolicy#ALLOW_SOFTWARE}, as {@code partially_verified}.
 */
public final class AttestedTrustManager extends ServerOnlyTrustManager {

  /** How long an accepted key stays trusted without asking the gateway again. */
  public static final Duration MAX_TRUST = Duration.ofMinutes(5);
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  /** Behind a TCP load balancer the check's own connection may reach another replica, with its own key. */
  private static final int ATTEMPTS = 3;

  private final URI gateway;
  private final VerificationOptions expected;
  private final Clock clock;
  private final Map<String, Instant> acceptedUntil = new ConcurrentHashMap<>();

  /**
   * @param gateway the gateway's {@code https://} URL (host and port are used)
   * @param expected what the attestation must show; its {@code now} is replaced by the clock's at each check
   */
  public AttestedTrustManager(URI gateway, VerificationOptions expected, Clock clock) {
    super("this trust manager checks gateways (servers) only");
    this.gateway = Objects.requireNonNull(gateway, "gateway");
    this.expected = Objects.requireNonNull(expected, "expected");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** An {@link SSLContext} whose only trust decision is this trust manager's, with the system clock. */
  public static SSLContext sslContext(URI gateway, VerificationOptions expected) {
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, new TrustManager[] {new AttestedTrustManager(gateway, expected, Clock.systemUTC())}, null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JDK offers no TLS context", e);
    }
  }

  @Override
  void checkServer(X509Certificate[] chain) throws CertificateException {
    if (chain == null || chain.length == 0) {
      throw new CertificateException("the gateway presented no certificate");
    }
    String presented = TlsKey.spkiSha256(chain[0]);
    Instant now = clock.instant();
    Instant until = acceptedUntil.get(presented);
    if (until != null && now.isBefore(until)) {
      return;
    }
    String why = "";
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
      GatewayCheck.Result result;
      try {
        result = GatewayCheck.check(gateway, expected.withNow(now), TIMEOUT);
      } catch (GatewayChannelException e) {
        throw new CertificateException("gateway attestation could not be checked: " + e.getMessage(), e);
      }
      VerificationReport report = result.report();
      if (!accepted(report)) {
        throw new CertificateException("gateway attestation does not verify (" + report.result().label() + "): " + failures(report));
      }
      if (result.presentedSpkiSha256().equals(presented)) {
        Instant limit = now.plus(MAX_TRUST);
        acceptedUntil.put(presented, limit);
        return;
      }
      why = "tls_key_bound: this handshake presented key SPKI sha256 " + presented + ", the attested gateway's key is "
          + result.presentedSpkiSha256() + ": something else terminates this TLS connection";
    }
    throw new CertificateException("gateway attestation does not cover this connection: " + why);
  }

  /**
   * No check failed, the key is bound, and the result is {@code verified}; under
   * {@link EvidencePolicy#ALLOW_SOFTWARE}, {@code partially_verified} too (what it leaves
   * unestablished is in the report's {@code not_established}).
   */
  private boolean accepted(VerificationReport report) {
    boolean failed = report.checks().stream().anyMatch(c -> c.status() == CheckStatus.FAIL);
    if (failed || report.check(CheckName.TLS_KEY_BOUND).status() != CheckStatus.PASS) {
      return false;
    }
    return report.result() == Verdict.VERIFIED
        || (report.result() == Verdict.PARTIALLY_VERIFIED && expected.evidencePolicy() == EvidencePolicy.ALLOW_SOFTWARE);
  }

  private static String failures(VerificationReport report) {
    String failed = report.checks().stream()
        .filter(c -> c.status() == CheckStatus.FAIL || (c.name() == CheckName.TLS_KEY_BOUND && c.status() != CheckStatus.PASS))
        .map(c -> c.name().label() + ": " + c.reason())
        .collect(Collectors.joining("; "));
    if (!failed.isEmpty()) {
      return failed;
    }
    // Partially verified: name what was not established (e.g. a TDX quote checked without Intel's collateral).
    String missing = Stream.concat(
            report.checks().stream()
                .filter(c -> c.status() != CheckStatus.PASS && c.name().requirement() == Requirement.REQUIRED)
                .map(c -> c.name().label() + ": " + c.reason()),
            report.notEstablished().stream())
        .collect(Collectors.joining("; "));
    return "no check failed, but the result is " + report.result().label() + (missing.isEmpty() ? "" : ": " + missing);
  }
}
