package dev.cmcp.verify.evidence;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cmcp.verify.base.BoundedRead;
import dev.cmcp.verify.base.StrictJson;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
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
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What an auditor supplies offline to check platform evidence: vendor roots, intermediates, the
 * platform's own certificate (an SEV-SNP VCEK, an Intel PCK), revocation lists, and signed JSON
 * collateral (Intel's TCB info and QE identity). Being here makes nothing trusted by itself:
 * each verifier pins or chooses its roots (SEV-SNP pins AMD's ARK per product line; TDX takes
 * the folder's self-signed certificates as its anchors, so the folder must hold only roots the
 * auditor trusts) and checks every signature.
 *
 * <p>{@link #load} reads every regular file of a folder, whatever its name, by its content:
 * <ul>
 *   <li>PEM text: any mix of {@code CERTIFICATE} and {@code X509 CRL} blocks;
 *   <li>DER: one certificate or one CRL; or that DER written as hex text (as Intel's PCS serves CRLs);
 *   <li>a JSON object: a collateral {@link Document}, kept byte for byte for the verifier that reads it;
 *   <li>other plain text (a README, a licence): left alone.
 * </ul>
 * Any other file (a key, a report, a quote, an empty file) is an error naming it, so a misplaced
 * file is noticed rather than silently ignored. PEM is read from text files only: a binary file
 * with PEM inside (a TDX quote carries its certificate chain) must not slip its certificates in
 * among the auditor's.
 *
 * @param documents the JSON collateral files, in file-name order
 */
public record TrustStore(List<X509Certificate> certificates, List<X509CRL> crls, List<Document> documents) {

  /** Far larger than any certificate or CRL a vendor publishes; keeps a stray disk image out of memory. */
  static final int MAX_FILE_BYTES = 16 * 1024 * 1024;

  private static final Pattern PEM_BLOCK = Pattern.compile(
      "-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \\1-----", Pattern.DOTALL);

  private static final Pattern HEX_DER_TEXT = Pattern.compile("30(?:[0-9A-Fa-f]{2})+");

  public TrustStore {
    certificates = List.copyOf(certificates);
    crls = List.copyOf(crls);
    documents = List.copyOf(documents);
  }

  /** Certificates and CRLs without collateral documents. */
  public TrustStore(List<X509Certificate> certificates, List<X509CRL> crls) {
    this(certificates, crls, List.of());
  }

  /**
   * One JSON collateral file, kept byte for byte because its issuer signs the raw text.
   *
   * @param source the file name
   */
  public record Document(String source, byte[] json) {
    public Document {
      Objects.requireNonNull(source, "source");
      json = json.clone();
    }

    @Override
    public byte[] json() {
      return json.clone();
    }
  }

  public static TrustStore empty() {
    return new TrustStore(List.of(), List.of(), List.of());
  }

  /**
   * Reads every regular file directly in {@code dir} (not its sub-folders; names starting with a
   * dot are skipped as editor or OS litter).
   */
  public static TrustStore load(Path dir) throws TrustStoreException {
    List<Path> files;
    try (Stream<Path> entries = Files.list(dir)) {
      files = entries
          .filter(Files::isRegularFile)
          .filter(p -> !p.getFileName().toString().startsWith("."))
          .sorted()
          .toList();
    } catch (NoSuchFileException e) {
      throw new TrustStoreException("certificates: folder " + dir + " not found");
    } catch (NotDirectoryException e) {
      throw new TrustStoreException("certificates: " + dir + " is a file; give the folder that holds the certificates");
    } catch (IOException e) {
      throw new TrustStoreException("certificates: cannot list folder " + dir + ": " + e.getMessage(), e);
    }
    TrustStore store = empty();
    for (Path file : files) {
      byte[] content = read(file);
      store = switch (Content.of(content)) {
        case JSON -> store.plus(new TrustStore(List.of(), List.of(), List.of(document(file, content))));
        case PLAIN_TEXT -> store;
        case EMPTY -> throw new TrustStoreException(file + ": empty file; put the certificate or CRL in it, or remove it");
        case PEM, HEX_DER, BINARY -> store.plus(parse(file.toString(), content));
      };
    }
    return store;
  }

  /**
   * Reads one PEM or DER blob, named {@code source} in errors: a file's path, or where in some
   * evidence the bytes were found.
   */
  public static TrustStore parse(String source, byte[] content) throws TrustStoreException {
    return switch (Content.of(content)) {
      case PEM -> parsePem(source, new String(content, StandardCharsets.US_ASCII));
      case HEX_DER -> parseDer(source, HexFormat.of().parseHex(new String(content, StandardCharsets.US_ASCII).strip()));
      case JSON, PLAIN_TEXT, EMPTY, BINARY -> parseDer(source, content);
    };
  }

  /** This store with {@code other}'s certificates, CRLs and documents added after its own. */
  public TrustStore plus(TrustStore other) {
    List<X509Certificate> allCertificates = new ArrayList<>(certificates);
    allCertificates.addAll(other.certificates);
    List<X509CRL> allCrls = new ArrayList<>(crls);
    allCrls.addAll(other.crls);
    List<Document> allDocuments = new ArrayList<>(documents);
    allDocuments.addAll(other.documents);
    return new TrustStore(allCertificates, allCrls, allDocuments);
  }

  /** What a file holds, judged by its bytes alone. */
  private enum Content {
    EMPTY, PEM, HEX_DER, JSON, PLAIN_TEXT, BINARY;

    static Content of(byte[] content) {
      if (content.length == 0) {
        return EMPTY;
      }
      if (!isText(content)) {
        return BINARY;
      }
      String text = new String(content, StandardCharsets.ISO_8859_1);
      String stripped = text.strip();
      if (text.contains("-----BEGIN ")) {
        return PEM;
      }
      if (stripped.startsWith("{")) {
        return JSON;
      }
      return HEX_DER_TEXT.matcher(stripped).matches() ? Content.HEX_DER : PLAIN_TEXT;
    }

    /** No control bytes below TAB: DER and binary reports always have some (a length, a zero). */
    private static boolean isText(byte[] content) {
      for (byte b : content) {
        if ((b & 0xff) < 0x09) {
          return false;
        }
      }
      return true;
    }
  }

  private static Document document(Path file, byte[] content) throws TrustStoreException {
    JsonNode json;
    try {
      json = new StrictJson().parse(content);
    } catch (StrictJson.MalformedJsonException e) {
      throw new TrustStoreException(file + ": not valid JSON: " + e.getMessage(), e);
    }
    if (!json.isObject()) {
      throw new TrustStoreException(file + ": a JSON collateral file must hold one object");
    }
    return new Document(file.getFileName().toString(), content);
  }

  private static byte[] read(Path file) throws TrustStoreException {
    try {
      return BoundedRead.read(file, MAX_FILE_BYTES, "a certificate, CRL or collateral file");
    } catch (BoundedRead.TooLargeException e) {
      throw new TrustStoreException(e.getMessage() + "; remove it from the certificates folder", e);
    } catch (IOException e) {
      throw new TrustStoreException(file + ": cannot read: " + e.getMessage(), e);
    }
  }

  private static TrustStore parsePem(String source, String text) throws TrustStoreException {
    List<X509Certificate> certificates = new ArrayList<>();
    List<X509CRL> crls = new ArrayList<>();
    Matcher block = PEM_BLOCK.matcher(text);
    int blocks = 0;
    while (block.find()) {
      blocks++;
      String type = block.group(1);
      byte[] der;
      try {
        der = Base64.getMimeDecoder().decode(block.group(2).trim());
      } catch (IllegalArgumentException e) {
        throw new TrustStoreException(source + ": PEM block " + blocks + " (" + type + ") is not valid base64");
      }
      String where = source + " (PEM block " + blocks + ")";
      switch (type) {
        case "CERTIFICATE" -> certificates.add(certificate(where, der));
        case "X509 CRL" -> crls.add(crl(where, der));
        default -> throw new TrustStoreException(where + ": a " + type + " is neither a certificate nor a CRL;"
            + " keep only certificates and CRLs in the certificates folder");
      }
    }
    if (blocks == 0) {
      throw new TrustStoreException(source + ": PEM text without a complete -----BEGIN/END----- block");
    }
    return new TrustStore(certificates, crls);
  }

  private static TrustStore parseDer(String source, byte[] der) throws TrustStoreException {
    try {
      return new TrustStore(List.of(certificate(source, der)), List.of());
    } catch (TrustStoreException notACertificate) {
      try {
        return new TrustStore(List.of(), List.of(crl(source, der)));
      } catch (TrustStoreException notACrl) {
        throw new TrustStoreException(source + ": neither an X.509 certificate nor a CRL (PEM or DER);"
            + " remove it from the certificates folder");
      }
    }
  }

  private static X509Certificate certificate(String source, byte[] der) throws TrustStoreException {
    try {
      X509Certificate certificate = (X509Certificate) factory()
          .generateCertificate(new ByteArrayInputStream(der));
      // The factory stops after the first object; trailing bytes would go unread and unnoticed.
      if (certificate.getEncoded().length != der.length) {
        throw new TrustStoreException(source + ": bytes after the certificate");
      }
      return certificate;
    } catch (CertificateException | RuntimeException e) {
      throw new TrustStoreException(source + ": not an X.509 certificate: " + e.getMessage(), e);
    }
  }

  private static X509CRL crl(String source, byte[] der) throws TrustStoreException {
    try {
      X509CRL crl = (X509CRL) factory().generateCRL(new ByteArrayInputStream(der));
      if (crl.getEncoded().length != der.length) {
        throw new TrustStoreException(source + ": bytes after the CRL");
      }
      return crl;
    } catch (CRLException | RuntimeException e) {
      throw new TrustStoreException(source + ": not an X.509 CRL: " + e.getMessage(), e);
    }
  }

  private static CertificateFactory factory() {
    try {
      return CertificateFactory.getInstance("X.509");
    } catch (CertificateException e) {
      throw new IllegalStateException("the JDK has no X.509 certificate factory", e);
    }
  }
}
