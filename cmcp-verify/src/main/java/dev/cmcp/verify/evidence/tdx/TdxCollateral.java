package dev.cmcp.verify.evidence.tdx;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cmcp.verify.StrictJson;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CRLException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What an operator supplies offline to check TDX quotes: certificates (the pinned Intel SGX Root
 * CA, and the Intel SGX TCB Signing certificate when TCB info or QE identity is given), CRLs, and
 * Intel's TCB info and QE identity responses. The self-signed certificates are the trust anchors,
 * so the folder must hold only what the operator trusts.
 *
 * @param tcbInfo Intel's TCB info response ({@code {"tcbInfo": ..., "signature": ...}}), as received
 * @param qeIdentity Intel's QE identity response ({@code {"enclaveIdentity": ..., "signature": ...}}), as received
 */
public record TdxCollateral(
    List<X509Certificate> certificates, List<X509CRL> crls, Optional<Document> tcbInfo, Optional<Document> qeIdentity) {

  /** One collateral JSON file, kept byte for byte because Intel signs its raw text. */
  public record Document(String source, byte[] json) {
    public Document {
      json = json.clone();
    }

    @Override
    public byte[] json() {
      return json.clone();
    }
  }

  private static final Pattern PEM_BLOCK =
      Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\\s]*)-----END \\1-----");
  private static final Pattern HEX_TEXT = Pattern.compile("(?:[0-9A-Fa-f]{2})+");
  private static final int DER_SEQUENCE = 0x30;

  public TdxCollateral {
    certificates = List.copyOf(certificates);
    crls = List.copyOf(crls);
  }

  /** Certificates and CRLs only, e.g. from a shared trust store. */
  public static TdxCollateral of(List<X509Certificate> certificates, List<X509CRL> crls) {
    return new TdxCollateral(certificates, crls, Optional.empty(), Optional.empty());
  }

  /**
   * Reads every regular file of {@code dir}: PEM (certificates and CRLs, any number per file), DER
   * or hex-encoded DER certificates and CRLs, and JSON TCB info / QE identity responses. Files that
   * are none of these (a README, the evidence itself) are left alone.
   */
  public static TdxCollateral load(Path dir) throws TdxException {
    if (!Files.isDirectory(dir)) {
      throw new TdxException("certs: directory " + dir + " not found");
    }
    List<Path> files;
    try (Stream<Path> listing = Files.list(dir)) {
      files = listing.filter(Files::isRegularFile).sorted().toList();
    } catch (IOException e) {
      throw new TdxException("certs: cannot list " + dir + ": " + e.getMessage());
    }
    Loader loader = new Loader();
    for (Path file : files) {
      try {
        loader.add(file, Files.readAllBytes(file));
      } catch (IOException e) {
        throw new TdxException("certs: cannot read " + file + ": " + e.getMessage());
      }
    }
    return new TdxCollateral(loader.certificates, loader.crls, loader.tcbInfo, loader.qeIdentity);
  }

  private static final class Loader {
    private final CertificateFactory x509 = x509Factory();
    private final List<X509Certificate> certificates = new ArrayList<>();
    private final List<X509CRL> crls = new ArrayList<>();
    private Optional<Document> tcbInfo = Optional.empty();
    private Optional<Document> qeIdentity = Optional.empty();

    void add(Path file, byte[] content) throws TdxException {
      String text = new String(content, StandardCharsets.ISO_8859_1);
      String trimmed = text.strip();
      // Only a text file is PEM: a binary file with PEM inside (a quote carries its own chain)
      // must not slip its certificates in among the operator's trust anchors.
      if (text.contains("-----BEGIN ") && isText(content)) {
        addPem(file, text);
      } else if (trimmed.startsWith("{")) {
        addJson(file, content);
      } else if (content.length > 0 && (content[0] & 0xff) == DER_SEQUENCE) {
        addDer(file, content);
      } else if (HEX_TEXT.matcher(trimmed).matches() && trimmed.startsWith("30")) {
        addDer(file, HexFormat.of().parseHex(trimmed));
      }
    }

    private static boolean isText(byte[] content) {
      for (byte b : content) {
        if ((b & 0xff) < 0x09) {
          return false;
        }
      }
      return true;
    }

    private void addPem(Path file, String text) throws TdxException {
      Matcher block = PEM_BLOCK.matcher(text);
      while (block.find()) {
        byte[] der;
        try {
          der = Base64.getMimeDecoder().decode(block.group(2));
        } catch (IllegalArgumentException e) {
          throw new TdxException("certs: " + file + ": a " + block.group(1) + " block is not valid base64");
        }
        switch (block.group(1)) {
          case "CERTIFICATE" -> certificates.add(certificate(file, der));
          case "X509 CRL" -> crls.add(crl(file, der));
          default -> { } // keys and other blocks are not collateral
        }
      }
    }

    private void addDer(Path file, byte[] der) throws TdxException {
      try {
        certificates.add((X509Certificate) x509.generateCertificate(new ByteArrayInputStream(der)));
      } catch (CertificateException notACertificate) {
        try {
          crls.add((X509CRL) x509.generateCRL(new ByteArrayInputStream(der)));
        } catch (CRLException notACrl) {
          throw new TdxException("certs: " + file + " is DER but neither an X.509 certificate nor a CRL");
        }
      }
    }

    private void addJson(Path file, byte[] content) throws TdxException {
      JsonNode node;
      try {
        node = new StrictJson().parse(content);
      } catch (StrictJson.MalformedJsonException e) {
        throw new TdxException("certs: " + file + " is not valid JSON: " + e.getMessage());
      }
      Document document = new Document(file.getFileName().toString(), content);
      if (node.has("tcbInfo")) {
        tcbInfo = only(tcbInfo, document, "TCB info");
      } else if (node.has("enclaveIdentity")) {
        qeIdentity = only(qeIdentity, document, "QE identity");
      }
    }

    private static Optional<Document> only(Optional<Document> existing, Document added, String what) throws TdxException {
      if (existing.isPresent()) {
        throw new TdxException("certs: two " + what + " files (" + existing.get().source() + ", " + added.source()
            + "): keep the one for this platform");
      }
      return Optional.of(added);
    }

    private X509Certificate certificate(Path file, byte[] der) throws TdxException {
      try {
        return (X509Certificate) x509.generateCertificate(new ByteArrayInputStream(der));
      } catch (CertificateException e) {
        throw new TdxException("certs: " + file + ": a CERTIFICATE block does not parse: " + e.getMessage());
      }
    }

    private X509CRL crl(Path file, byte[] der) throws TdxException {
      try {
        return (X509CRL) x509.generateCRL(new ByteArrayInputStream(der));
      } catch (CRLException e) {
        throw new TdxException("certs: " + file + ": an X509 CRL block does not parse: " + e.getMessage());
      }
    }
  }

  static CertificateFactory x509Factory() {
    try {
      return CertificateFactory.getInstance("X.509");
    } catch (CertificateException e) {
      throw new IllegalStateException("the JDK has no X.509 certificate factory", e);
    }
  }
}
