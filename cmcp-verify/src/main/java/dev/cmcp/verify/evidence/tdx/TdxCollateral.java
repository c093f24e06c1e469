package dev.cmcp.verify.evidence.tdx;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cmcp.verify.base.StrictJson;
import dev.cmcp.verify.evidence.TrustStore;
import dev.cmcp.verify.evidence.TrustStore.Document;
import dev.cmcp.verify.evidence.TrustStoreException;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;

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

  /**
   * How to supply Intel's collateral, named in the reason of each required check that is skipped
   * for want of it ({@code pck_revocation}, {@code tcb_info}, {@code tcb_level},
   * {@code qe_identity}): without it a quote is at most {@code partially_verified}.
   */
  public static final String HOW_TO_SUPPLY = "get Intel's collateral with --fetch-collateral, or put the PCK CRL, the root CA"
      + " CRL, the TDX TCB info and QE identity responses and the Intel SGX TCB Signing certificate in the --certs folder";

  public TdxCollateral {
    certificates = List.copyOf(certificates);
    crls = List.copyOf(crls);
  }

  /** Certificates and CRLs only. */
  public static TdxCollateral of(List<X509Certificate> certificates, List<X509CRL> crls) {
    return new TdxCollateral(certificates, crls, Optional.empty(), Optional.empty());
  }

  /**
   * The certificates and CRLs of {@code store}, and among its JSON documents Intel's TCB info
   * and QE identity (at most one of each); other JSON documents are not TDX collateral and are
   * left alone.
   */
  public static TdxCollateral from(TrustStore store) throws TdxException {
    Optional<Document> tcbInfo = Optional.empty();
    Optional<Document> qeIdentity = Optional.empty();
    for (Document document : store.documents()) {
      JsonNode node;
      try {
        node = new StrictJson().parse(document.json());
      } catch (StrictJson.MalformedJsonException e) {
        throw new TdxException("certs: " + document.source() + " is not valid JSON: " + e.getMessage());
      }
      if (node.has("tcbInfo")) {
        tcbInfo = only(tcbInfo, document, "TCB info");
      } else if (node.has("enclaveIdentity")) {
        qeIdentity = only(qeIdentity, document, "QE identity");
      }
    }
    return new TdxCollateral(store.certificates(), store.crls(), tcbInfo, qeIdentity);
  }

  /** {@link TrustStore#load} of {@code dir}, then {@link #from}. */
  public static TdxCollateral load(Path dir) throws TdxException {
    try {
      return from(TrustStore.load(dir));
    } catch (TrustStoreException e) {
      throw new TdxException("certs: " + e.getMessage());
    }
  }

  private static Optional<Document> only(Optional<Document> existing, Document added, String what) throws TdxException {
    if (existing.isPresent()) {
      throw new TdxException("certs: two " + what + " files (" + existing.get().source() + ", " + added.source()
          + "): keep the one for this platform");
    }
    return Optional.of(added);
  }

  static CertificateFactory x509Factory() {
    try {
      return CertificateFactory.getInstance("X.509");
    } catch (CertificateException e) {
      throw new IllegalStateException("the JDK has no X.509 certificate factory", e);
    }
  }
}
