package dev.cmcp.verify.channel;

import dev.cmcp.verify.claim.ClaimVerifier;
import dev.cmcp.verify.claim.TlsKey;
import dev.cmcp.verify.claim.VerificationOptions;
import dev.cmcp.verify.claim.VerificationReport;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;

/**
 * Checks, before anything is sent to it, that a TLS endpoint is the attested gateway: opens TLS,
 * takes the SubjectPublicKeyInfo of the key the handshake presented, fetches
 * {@code /v1/attestation} over that same connection and verifies it with
 * {@link ClaimVerifier#verifyAttestation}, whose {@code tls_key_bound} check passes only when the
 * evidence binds exactly the presented key.
 *
 * <p>The handshake accepts any certificate: what makes the endpoint trusted is the attestation,
 * not a CA, and the only thing sent before it is checked is the request for the public document.
 */
public final class GatewayCheck {

  /** The document is a few kilobytes (a TDX quote with its certificates is the largest); more is not a document. */
  static final int MAX_RESPONSE_BYTES = 1024 * 1024;
  static final String PATH = "/v1/attestation";

  /**
   * What one check found.
   *
   * @param presentedSpkiSha256 SHA-256 of the SubjectPublicKeyInfo of the key the TLS handshake presented
   * @param protocol the TLS version negotiated
   * @param report every named check of the attestation document, {@code tls_key_bound} among them
   */
  public record Result(String presentedSpkiSha256, String protocol, VerificationReport report) {}

  private GatewayCheck() {}

  /**
   * @param gateway an {@code https://} URL of the gateway; only its host and port are used
   * @throws GatewayChannelException when no TLS connection can be made or no document is answered
   */
  public static Result check(URI gateway, VerificationOptions options, Duration timeout) throws GatewayChannelException {
    String scheme = gateway.getScheme() == null ? "" : gateway.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("https") || gateway.getHost() == null) {
      throw new GatewayChannelException("--url " + gateway + ": expected https://host[:port]/...; a gateway without TLS"
          + " (tls.mode: off) has no TLS key to check");
    }
    String host = gateway.getHost().startsWith("[") ? gateway.getHost().substring(1, gateway.getHost().length() - 1) : gateway.getHost();
    int port = gateway.getPort() < 0 ? 443 : gateway.getPort();
    int millis = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
    try (SSLSocket socket = (SSLSocket) anyServerKey().getSocketFactory().createSocket()) {
      SSLParameters parameters = socket.getSSLParameters();
      parameters.setProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
      if (!host.contains(":") && !host.matches("[0-9.]+")) {
        parameters.setServerNames(List.of(new SNIHostName(host)));
      }
      socket.setSSLParameters(parameters);
      try {
        socket.connect(new InetSocketAddress(host, port), millis);
      } catch (IOException e) {
        throw new GatewayChannelException("cannot connect to " + host + ":" + port + ": " + e.getMessage(), e);
      }
      socket.setSoTimeout(millis);
      try {
        socket.startHandshake();
      } catch (SSLException e) {
        throw new GatewayChannelException("TLS handshake with " + host + ":" + port + " failed: " + e.getMessage()
            + " (is tls.mode off there, or is it not a cMCP gateway?)", e);
      }
      Certificate[] chain = socket.getSession().getPeerCertificates();
      String presented = TlsKey.spkiSha256(chain[0]);
      String protocol = socket.getSession().getProtocol();
      byte[] document = get(socket, gateway.getRawAuthority(), host, port);
      return new Result(presented, protocol, ClaimVerifier.verifyAttestation(document, options, Optional.of(presented)));
    } catch (IOException e) {
      throw new GatewayChannelException("reading " + PATH + " from " + host + ":" + port + " failed: " + e.getMessage(), e);
    }
  }

  private static SSLContext anyServerKey() throws GatewayChannelException {
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, new TrustManager[] {new AnyServerKey()}, null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new GatewayChannelException("this JDK offers no TLS: " + e.getMessage(), e);
    }
  }

  /** HTTP/1.1 GET of the document on the connection at hand; the answer must be 200 with a body. */
  private static byte[] get(SSLSocket socket, String authority, String host, int port) throws IOException, GatewayChannelException {
    OutputStream out = socket.getOutputStream();
    out.write(("GET " + PATH + " HTTP/1.1\r\nHost: " + authority + "\r\nAccept: application/json\r\nConnection: close\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII));
    out.flush();
    byte[] response = readBounded(socket.getInputStream());
    int end = indexOf(response, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    if (end < 0) {
      throw new GatewayChannelException(host + ":" + port + " answered " + PATH + " with no complete HTTP response");
    }
    String head = new String(response, 0, end, StandardCharsets.ISO_8859_1);
    List<String> lines = head.lines().toList();
    String[] status = lines.get(0).split(" ", 3);
    if (status.length < 2 || !status[0].startsWith("HTTP/1.")) {
      throw new GatewayChannelException(host + ":" + port + " answered " + PATH + " with no HTTP status line");
    }
    if (!status[1].equals("200")) {
      throw new GatewayChannelException(host + ":" + port + " answered " + PATH + " with HTTP " + status[1]
          + " (a cMCP gateway without this endpoint is older than the attested channel, or this is not one)");
    }
    byte[] body = java.util.Arrays.copyOfRange(response, end + 4, response.length);
    for (int i = 1; i < lines.size(); i++) {
      String line = lines.get(i).toLowerCase(Locale.ROOT);
      if (line.startsWith("transfer-encoding:") && line.contains("chunked")) {
        return dechunk(body, host + ":" + port);
      }
    }
    return body;
  }

  private static byte[] readBounded(InputStream in) throws IOException, GatewayChannelException {
    byte[] bytes = in.readNBytes(MAX_RESPONSE_BYTES + 1);
    if (bytes.length > MAX_RESPONSE_BYTES) {
      throw new GatewayChannelException(PATH + ": the answer is larger than " + MAX_RESPONSE_BYTES + " bytes: not an attestation document");
    }
    return bytes;
  }

  private static byte[] dechunk(byte[] body, String from) throws GatewayChannelException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int at = 0;
    while (true) {
      int lineEnd = indexOf(body, at, "\r\n".getBytes(StandardCharsets.US_ASCII));
      if (lineEnd < 0) {
        throw new GatewayChannelException(from + ": " + PATH + " answered a truncated chunked body");
      }
      String sizeText = new String(body, at, lineEnd - at, StandardCharsets.US_ASCII).split(";", 2)[0].strip();
      int size;
      try {
        size = Integer.parseInt(sizeText, 16);
      } catch (NumberFormatException e) {
        throw new GatewayChannelException(from + ": " + PATH + " answered a malformed chunk size \"" + sizeText + "\"", e);
      }
      at = lineEnd + 2;
      if (size == 0) {
        return out.toByteArray();
      }
      if (size < 0 || at + size > body.length) {
        throw new GatewayChannelException(from + ": " + PATH + " answered a truncated chunked body");
      }
      out.write(body, at, size);
      at += size + 2;
    }
  }

  private static int indexOf(byte[] data, byte[] pattern) {
    return indexOf(data, 0, pattern);
  }

  private static int indexOf(byte[] data, int from, byte[] pattern) {
    outer:
    for (int i = from; i <= data.length - pattern.length; i++) {
      for (int j = 0; j < pattern.length; j++) {
        if (data[i + j] != pattern[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
