package dev.cmcp.verify.evidence;

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
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The certificates and CRLs an auditor supplies offline: vendor roots, intermediates, the
 * platform's own certificate (an SEV-SNP VCEK, an Intel PCK) and revocation lists. Nothing in
 * here is trusted by being here: each verifier pins its roots and checks every signature.
 *
 * <p>{@link #load} takes every regular file of a folder, whatever its name, as PEM (any mix of
 * {@code CERTIFICATE} and {@code X509 CRL} blocks) or DER (one certificate or one CRL). A file
 * that is neither is an error naming it, so a misplaced key or report is noticed rather than
 * silently ignored.
 */
public record TrustStore(List<X509Certificate> certificates, List<X509CRL> crls) {

  /** Far larger than any certificate or CRL a vendor publishes; keeps a stray disk image out of memory. */
  static final long MAX_FILE_BYTES = 16L * 1024 * 1024;

  private static final Pattern PEM_BLOCK = Pattern.compile(
      "-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \\1-----", Pattern.DOTALL);

  public TrustStore {
    certificates = List.copyOf(certificates);
    crls = List.copyOf(crls);
  }

  public static TrustStore empty() {
    return new TrustStore(List.of(), List.of());
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
      store = store.plus(parse(file.toString(), read(file)));
    }
    return store;
  }

  /**
   * Reads one PEM or DER blob, named {@code source} in errors: a file's path, or where in some
   * evidence the bytes were found.
   */
  public static TrustStore parse(String source, byte[] content) throws TrustStoreException {
    if (looksLikePem(content)) {
      return parsePem(source, new String(content, StandardCharsets.US_ASCII));
    }
    return parseDer(source, content);
  }

  /** This store with {@code other}'s certificates and CRLs added after its own. */
  public TrustStore plus(TrustStore other) {
    List<X509Certificate> allCertificates = new ArrayList<>(certificates);
    allCertificates.addAll(other.certificates);
    List<X509CRL> allCrls = new ArrayList<>(crls);
    allCrls.addAll(other.crls);
    return new TrustStore(allCertificates, allCrls);
  }

  private static byte[] read(Path file) throws TrustStoreException {
    try {
      long size = Files.size(file);
      if (size > MAX_FILE_BYTES) {
        throw new TrustStoreException(file + ": " + size + " bytes is too large for a certificate or CRL"
            + " (at most " + MAX_FILE_BYTES + "); remove it from the certificates folder");
      }
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new TrustStoreException(file + ": cannot read: " + e.getMessage(), e);
    }
  }

  private static boolean looksLikePem(byte[] content) {
    String head = new String(content, 0, Math.min(content.length, 4096), StandardCharsets.US_ASCII);
    return head.contains("-----BEGIN ");
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
