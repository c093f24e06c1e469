package dev.cmcp.verify.evidence.tpm;

import dev.cmcp.verify.evidence.TrustStore;
import java.security.GeneralSecurityException;
import java.security.cert.CertPath;
import java.security.cert.CertPathBuilder;
import java.security.cert.CertStore;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXBuilderParameters;
import java.security.cert.PKIXCertPathBuilderResult;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CertSelector;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A TPM's endorsement key certificate checked against the manufacturer roots an auditor
 * configured: the self-signed certificates of the certificates folder are the roots, the
 * others intermediates, with CRLs applied when the folder holds the issuer's. The EK
 * certificate alone proves only that some TPM of that manufacturer exists; credential
 * activation ({@link TpmCredential}) proves that the attestation key is in that TPM.
 */
public final class EkCertificate {

  private EkCertificate() {}

  /**
   * The chain from {@code ek} to a root of {@code store}, as subject names leaf first.
   *
   * @throws TpmFormatException naming why no valid chain exists at {@code now}
   */
  public static List<String> chain(X509Certificate ek, TrustStore store, Instant now) throws TpmFormatException {
    return chain(ek, store, now, "the EK certificate", "manufacturer root",
        "put the TPM vendor's root CA certificate (self-signed) there");
  }

  /**
   * The chain from {@code leaf} to a self-signed root of {@code store} (its other certificates
   * are intermediates, its CRLs applied), as subject names leaf first; shared by EK and AK
   * certificates.
   *
   * @param leafName how messages name the leaf, e.g. {@code the AK certificate}
   * @param rootName how messages name the root, e.g. {@code enrollment CA}
   * @param noRootHint what to do when {@code store} holds no root
   */
  static List<String> chain(X509Certificate leaf, TrustStore store, Instant now, String leafName, String rootName,
      String noRootHint) throws TpmFormatException {
    Set<TrustAnchor> anchors = store.certificates().stream()
        .filter(c -> c.getSubjectX500Principal().equals(c.getIssuerX500Principal()))
        .map(c -> new TrustAnchor(c, null))
        .collect(Collectors.toSet());
    if (anchors.isEmpty()) {
      throw new TpmFormatException("no " + rootName + " given: " + noRootHint);
    }
    List<Object> material = new ArrayList<>(store.certificates());
    material.add(leaf);
    material.addAll(store.crls());
    try {
      X509CertSelector target = new X509CertSelector();
      target.setCertificate(leaf);
      PKIXBuilderParameters parameters = new PKIXBuilderParameters(anchors, target);
      parameters.setDate(Date.from(now));
      parameters.setRevocationEnabled(!store.crls().isEmpty());
      parameters.addCertStore(CertStore.getInstance("Collection", new CollectionCertStoreParameters(material)));
      PKIXCertPathBuilderResult result = (PKIXCertPathBuilderResult) CertPathBuilder.getInstance("PKIX").build(parameters);
      CertPath path = result.getCertPath();
      List<String> names = new ArrayList<>();
      path.getCertificates().forEach(c -> names.add(((X509Certificate) c).getSubjectX500Principal().getName()));
      names.add(result.getTrustAnchor().getTrustedCert().getSubjectX500Principal().getName());
      return names;
    } catch (GeneralSecurityException e) {
      throw new TpmFormatException(leafName + " " + leaf.getSubjectX500Principal().getName() + " (issuer "
          + leaf.getIssuerX500Principal().getName() + ") does not chain to the given " + rootName + " at " + now
          + ": " + Optional.ofNullable(e.getMessage()).orElse(e.getClass().getSimpleName()), e);
    }
  }
}
