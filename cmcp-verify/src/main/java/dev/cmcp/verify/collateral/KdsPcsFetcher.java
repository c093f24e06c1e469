package dev.cmcp.verify.collateral;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cmcp.verify.base.StrictJson;
import dev.cmcp.verify.evidence.TrustStore;
import dev.cmcp.verify.evidence.TrustStoreException;
import dev.cmcp.verify.evidence.snp.KdsIdentity;
import dev.cmcp.verify.evidence.snp.SnpProduct;
import dev.cmcp.verify.evidence.snp.TcbVersion;
import dev.cmcp.verify.evidence.tdx.PcsIdentity;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Fetches from AMD's KDS and Intel's PCS (or mirrors of them), through an optional cache.
 *
 * <p>AMD KDS (VCEK/VLEK certificate interface): {@code vcek/v1/<Product>/<hwid>?blSPL=..&teeSPL=..&snpSPL=..&ucodeSPL=..}
 * ({@code &fmcSPL=..} on Turin) for the VCEK, where hwid is CHIP_ID in lower-case hex (its first
 * 8 bytes on Turin) and the SPLs are REPORTED_TCB's levels as two-digit decimals;
 * {@code vcek/v1/<Product>/cert_chain} (ASK and ARK, PEM) and {@code vcek/v1/<Product>/crl} (DER);
 * for a VLEK-signed report {@code vlek/v1/<Product>/cert_chain} (ASVK and ARK) and {@code vlek/v1/<Product>/crl}.
 *
 * <p>Intel PCS (API version 4): {@code sgx/certification/v4/pckcrl?ca=processor|platform&encoding=der}
 * (chain in the {@code SGX-PCK-CRL-Issuer-Chain} header), {@code sgx/certification/v4/rootcacrl},
 * {@code tdx/certification/v4/tcb?fmspc=..} ({@code TCB-Info-Issuer-Chain}) and
 * {@code tdx/certification/v4/qe/identity} ({@code SGX-Enclave-Identity-Issuer-Chain}); the
 * headers carry the PEM chain URL-encoded.
 *
 * <p>Freshness: a cached certificate is reused while valid; a cached CRL, TCB info or QE identity
 * while its next update is after "now". Otherwise the service is asked. When it cannot be
 * reached, a stale cached copy is not used in its place: the run fails naming the URL (fail
 * closed; a stale CRL cannot vouch that nothing was revoked since).
 */
final class KdsPcsFetcher implements CollateralFetcher {

  private static final String PCK_CRL_CHAIN = "SGX-PCK-CRL-Issuer-Chain";
  private static final String TCB_INFO_CHAIN = "TCB-Info-Issuer-Chain";
  private static final String QE_IDENTITY_CHAIN = "SGX-Enclave-Identity-Issuer-Chain";
  private static final int TURIN_HWID_BYTES = 8;

  private final URI kds;
  private final URI pcs;
  private final CollateralCache cache;
  private final Duration deadline;

  /** @param deadline for each exchange, headers and body ({@link Download#DEADLINE}) */
  KdsPcsFetcher(URI kds, URI pcs, CollateralCache cache, Duration deadline) {
    this.kds = kds;
    this.pcs = pcs;
    this.cache = cache;
    this.deadline = deadline;
  }

  /** What a URL answers with, which decides how it is read and when a copy of it is stale. */
  private enum Kind {
    CERTIFICATES("certificates"),
    CRL("a CRL"),
    TCB_INFO("Intel TCB info"),
    QE_IDENTITY("Intel QE identity");

    final String what;

    Kind(String what) {
      this.what = what;
    }
  }

  /** One request: where, what it should answer, which header carries its signing chain. */
  private record Request(URI uri, Kind kind, Optional<String> chainHeader) {}

  /** One run's requests, the store they build and the notes for the user. */
  private final class Run implements AutoCloseable {
    private final HttpClient client = HttpClient.newBuilder()
        .connectTimeout(Download.CONNECT_TIMEOUT)
        .followRedirects(HttpClient.Redirect.NEVER)
        .build();
    private final Instant now;
    private final List<String> notes = new ArrayList<>();
    private TrustStore store = TrustStore.empty();

    Run(Instant now) {
      this.now = now;
    }

    /**
     * Adds {@code request}'s answer to the store. Empty when the service answered 404 and
     * {@code absentIsAnAnswer}; any other failure throws.
     */
    Optional<TrustStore> obtain(Request request, boolean absentIsAnAnswer, boolean dropSelfSigned)
        throws CollateralException {
      URI uri = request.uri();
      Optional<CollateralCache.Entry> cached = cache.get(uri);
      Optional<Instant> cachedStaleAt = Optional.empty();
      if (cached.isPresent()) {
        try {
          TrustStore content = read(request, cached.get(), dropSelfSigned);
          Optional<Instant> staleAt = staleAt(content, now);
          if (staleAt.isEmpty()) {
            notes.add("from cache " + uri);
            return Optional.of(add(content));
          }
          cachedStaleAt = staleAt;
        } catch (CollateralException damaged) {
          // Unreadable: fetched again below and rewritten.
        }
      }
      Download.Answer answer;
      try {
        answer = Download.get(client, uri, request.chainHeader(), deadline);
      } catch (Download.Failure e) {
        throw new CollateralException("cannot fetch " + uri + ": " + e.getMessage() + staleCopy(uri, cachedStaleAt));
      }
      if (answer.status() == 404 && absentIsAnAnswer && cachedStaleAt.isEmpty()) {
        return Optional.empty();
      }
      if (answer.status() != 200) {
        throw new CollateralException("cannot fetch " + uri + ": the service answered HTTP " + answer.status()
            + staleCopy(uri, cachedStaleAt));
      }
      if (request.chainHeader().isPresent() && answer.header().isEmpty()) {
        throw new CollateralException(uri + " answered without the " + request.chainHeader().get()
            + " header that carries its signing chain; is this Intel's PCS or a faithful mirror of it?");
      }
      CollateralCache.Entry entry = new CollateralCache.Entry(uri, now, answer.body(),
          answer.header().map(KdsPcsFetcher::urlDecode));
      TrustStore content = read(request, entry, dropSelfSigned);
      Optional<Instant> staleAt = staleAt(content, now);
      if (staleAt.isPresent()) {
        // Handed on all the same: the verifier fails it by name, as it would a laid-out copy.
        notes.add("fetched " + uri + ", which the service sent already stale (next update " + staleAt.get() + ")");
      } else {
        notes.add("fetched " + uri);
        cache.put(entry).ifPresent(notes::add);
      }
      return Optional.of(add(content));
    }

    private TrustStore add(TrustStore content) {
      store = store.plus(content);
      return content;
    }

    private String staleCopy(URI uri, Optional<Instant> staleAt) {
      return staleAt.map(at -> "; the cached copy (" + cache.where(uri) + ") went stale at " + at
          + " and is not used in its place: a stale CRL, TCB info or QE identity cannot vouch for " + now).orElse("");
    }

    Fetched fetched() {
      return new Fetched(store, notes);
    }

    @Override
    public void close() {
      // Every answer is in or given up on: close() would wait for an exchange a deadline abandoned.
      client.shutdownNow();
    }
  }

  @Override
  public Fetched forSnp(byte[] evidence, Instant now) throws CollateralException {
    KdsIdentity identity;
    try {
      identity = KdsIdentity.of(evidence);
    } catch (IllegalArgumentException e) {
      throw new CollateralException("cannot tell what to fetch from AMD's KDS: " + e.getMessage());
    }
    String key = identity.vlek() ? "vlek" : "vcek";
    List<SnpProduct> lines = identity.product().map(List::of).orElseGet(() -> List.of(SnpProduct.values()));
    try (Run run = new Run(now)) {
      if (!identity.vlek()) {
        // A version 2 report does not name its product line: the KDS knows the chip under one only.
        Optional<SnpProduct> found = Optional.empty();
        List<String> tried = new ArrayList<>();
        for (SnpProduct line : lines) {
          URI vcek = kds.resolve("vcek/v1/" + line.displayName() + "/" + hwid(identity, line) + "?" + spls(identity, line));
          tried.add(vcek.toString());
          if (run.obtain(new Request(vcek, Kind.CERTIFICATES, Optional.empty()), true, false).isPresent()) {
            found = Optional.of(line);
            break;
          }
        }
        if (found.isEmpty()) {
          throw new CollateralException("AMD's KDS has no VCEK for this chip at its REPORTED_TCB (HTTP 404 from "
              + String.join(", ", tried) + "); a masked CHIP_ID (MASK_CHIP_KEY) cannot be looked up");
        }
        lines = List.of(found.get());
      }
      // A VLEK comes from the host, not the KDS; a version 2 report then gets every line's chain,
      // and the verifier picks the one the VLEK names.
      for (SnpProduct line : lines) {
        String base = key + "/v1/" + line.displayName() + "/";
        run.obtain(new Request(kds.resolve(base + "cert_chain"), Kind.CERTIFICATES, Optional.empty()), false, false);
        URI crl = kds.resolve(base + "crl");
        if (run.obtain(new Request(crl, Kind.CRL, Optional.empty()), true, false).isEmpty()) {
          run.notes.add("AMD's KDS has no CRL at " + crl + " (HTTP 404): revocation of the "
              + (identity.vlek() ? "ASVK" : "ASK") + " is not checked");
        }
      }
      return run.fetched();
    }
  }

  @Override
  public Fetched forTdx(byte[] quote, Instant now) throws CollateralException {
    PcsIdentity identity;
    try {
      identity = PcsIdentity.of(quote);
    } catch (IllegalArgumentException e) {
      throw new CollateralException("cannot tell what to fetch from Intel's PCS: " + e.getMessage());
    }
    try (Run run = new Run(now)) {
      // Self-signed certificates are dropped: the TDX verifier takes every self-signed certificate
      // it is given as a trust anchor, and anchors come only from the operator's folder.
      run.obtain(new Request(pcs.resolve("sgx/certification/v4/pckcrl?ca=" + identity.pckCa() + "&encoding=der"),
          Kind.CRL, Optional.of(PCK_CRL_CHAIN)), false, true);
      run.obtain(new Request(pcs.resolve("sgx/certification/v4/rootcacrl"), Kind.CRL, Optional.empty()), false, true);
      run.obtain(new Request(pcs.resolve("tdx/certification/v4/tcb?fmspc=" + identity.fmspc()),
          Kind.TCB_INFO, Optional.of(TCB_INFO_CHAIN)), false, true);
      run.obtain(new Request(pcs.resolve("tdx/certification/v4/qe/identity"),
          Kind.QE_IDENTITY, Optional.of(QE_IDENTITY_CHAIN)), false, true);
      return run.fetched();
    }
  }

  // ---- what to ask for

  static String hwid(KdsIdentity identity, SnpProduct line) {
    byte[] chipId = identity.chipId();
    int length = line == SnpProduct.TURIN ? TURIN_HWID_BYTES : chipId.length;
    return HexFormat.of().formatHex(chipId, 0, length);
  }

  static String spls(KdsIdentity identity, SnpProduct line) {
    TcbVersion tcb = identity.reportedTcb(line);
    String spls = String.format(Locale.ROOT, "blSPL=%02d&teeSPL=%02d&snpSPL=%02d&ucodeSPL=%02d",
        tcb.bootloader(), tcb.tee(), tcb.snp(), tcb.microcode());
    return line == SnpProduct.TURIN ? spls + String.format(Locale.ROOT, "&fmcSPL=%02d", tcb.fmc()) : spls;
  }

  // ---- reading what came back

  /** The answer as a store: parsed as its kind, with its signing chain; garbage is named, never kept. */
  private static TrustStore read(Request request, CollateralCache.Entry entry, boolean dropSelfSigned)
      throws CollateralException {
    String source = request.uri().toString();
    byte[] body = entry.body();
    TrustStore content;
    try {
      content = switch (request.kind()) {
        case CERTIFICATES, CRL -> TrustStore.parse(source, body);
        case TCB_INFO, QE_IDENTITY -> new TrustStore(List.of(), List.of(),
            List.of(new TrustStore.Document(source, signedJson(request, body))));
      };
      if (entry.issuerChain().isPresent()) {
        content = content.plus(TrustStore.parse(source + " (" + request.chainHeader().orElse("issuer chain") + ")",
            entry.issuerChain().get().getBytes(StandardCharsets.US_ASCII)));
      }
    } catch (TrustStoreException e) {
      throw new CollateralException(source + " answered with something that is not " + request.kind().what + ": "
          + e.getMessage());
    }
    boolean expected = switch (request.kind()) {
      case CERTIFICATES -> !content.certificates().isEmpty() && content.crls().isEmpty();
      case CRL -> content.crls().size() == 1;
      case TCB_INFO, QE_IDENTITY -> true;
    };
    if (!expected) {
      throw new CollateralException(source + " answered with something that is not " + request.kind().what);
    }
    if (dropSelfSigned) {
      content = new TrustStore(
          content.certificates().stream().filter(c -> !selfSigned(c)).toList(), content.crls(), content.documents());
    }
    return content;
  }

  private static byte[] signedJson(Request request, byte[] body) throws CollateralException {
    String field = request.kind() == Kind.TCB_INFO ? "tcbInfo" : "enclaveIdentity";
    JsonNode json;
    try {
      json = new StrictJson().parse(body);
    } catch (StrictJson.MalformedJsonException e) {
      throw new CollateralException(request.uri() + " answered with something that is not " + request.kind().what
          + ": not JSON (" + e.getMessage() + ")");
    }
    if (!json.path(field).isObject() || !json.path("signature").isTextual()) {
      throw new CollateralException(request.uri() + " answered with something that is not " + request.kind().what
          + ": a JSON object with \"" + field + "\" and \"signature\" was expected");
    }
    return body;
  }

  /**
   * When {@code content} stopped being usable, if it had by {@code now}: a certificate past its
   * validity, a CRL, TCB info or QE identity past its next update (or without one).
   */
  private static Optional<Instant> staleAt(TrustStore content, Instant now) {
    List<Instant> ends = new ArrayList<>();
    content.certificates().forEach(certificate -> ends.add(certificate.getNotAfter().toInstant()));
    for (X509CRL crl : content.crls()) {
      ends.add(crl.getNextUpdate() == null ? Instant.MIN : crl.getNextUpdate().toInstant());
    }
    for (TrustStore.Document document : content.documents()) {
      ends.add(nextUpdate(document));
    }
    return ends.stream().filter(end -> !end.isAfter(now)).min(Instant::compareTo);
  }

  private static Instant nextUpdate(TrustStore.Document document) {
    try {
      JsonNode json = new StrictJson().parse(document.json());
      JsonNode body = json.has("tcbInfo") ? json.get("tcbInfo") : json.path("enclaveIdentity");
      return Instant.parse(body.path("nextUpdate").asText());
    } catch (StrictJson.MalformedJsonException | DateTimeParseException e) {
      return Instant.MIN;
    }
  }

  private static String urlDecode(String header) {
    // Percent-decoding only: a literal '+' is base64, not a space (Intel writes spaces as %20).
    // A '+' for a space can then stand only in the PEM armour, which base64 never contains.
    return URLDecoder.decode(header.replace("+", "%2B"), StandardCharsets.UTF_8)
        .replace("BEGIN+CERTIFICATE", "BEGIN CERTIFICATE").replace("END+CERTIFICATE", "END CERTIFICATE");
  }

  private static boolean selfSigned(X509Certificate certificate) {
    if (!certificate.getSubjectX500Principal().equals(certificate.getIssuerX500Principal())) {
      return false;
    }
    try {
      certificate.verify(certificate.getPublicKey());
      return true;
    } catch (GeneralSecurityException | RuntimeException e) {
      return false;
    }
  }
}
