package dev.cmcp.verify.evidence.tdx;

import java.security.GeneralSecurityException;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.PKIXCertPathValidatorResult;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/** X.509 path validation and CRL checks for the PCK chain and the TCB signing certificate. */
final class CertificatePaths {

  private CertificatePaths() {}

  /** The self-signed certificates the operator supplied: the only roots a path may end in. */
  static List<X509Certificate> anchors(TdxCollateral collateral) {
    return collateral.certificates().stream().filter(CertificatePaths::selfSigned).toList();
  }

  static boolean selfSigned(X509Certificate certificate) {
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

  /**
   * Validates {@code path} (leaf first, root left out) up to one of {@code anchors}, with every
   * certificate, the anchor included, valid at {@code now}. Revocation is {@link #revocation}'s job.
   *
   * @return the anchor the path ends in
   */
  static X509Certificate validate(List<X509Certificate> path, List<X509Certificate> anchors, Instant now) throws TdxException {
    if (anchors.isEmpty()) {
      throw new TdxException("no trust anchor: put the Intel SGX Root CA certificate (trusted_root.pem) in the certs folder");
    }
    X509Certificate anchor;
    try {
      PKIXParameters parameters = new PKIXParameters(
          anchors.stream().map(a -> new TrustAnchor(a, null)).collect(Collectors.toSet()));
      parameters.setDate(Date.from(now));
      parameters.setRevocationEnabled(false);
      PKIXCertPathValidatorResult result = (PKIXCertPathValidatorResult)
          CertPathValidator.getInstance("PKIX").validate(TdxCollateral.x509Factory().generateCertPath(path), parameters);
      anchor = result.getTrustAnchor().getTrustedCert();
    } catch (CertPathValidatorException e) {
      String which = e.getIndex() >= 0 && e.getIndex() < path.size() ? commonName(path.get(e.getIndex())) + ": " : "";
      String cause = e.getCause() != null && e.getCause().getMessage() != null ? " (" + e.getCause().getMessage() + ")" : "";
      throw new TdxException(which + e.getMessage() + cause);
    } catch (GeneralSecurityException e) {
      throw new TdxException("the certificate path cannot be checked: " + e.getMessage());
    }
    // PKIX takes a trust anchor as valid forever; the pinned root must be valid at "now" too.
    try {
      anchor.checkValidity(Date.from(now));
    } catch (GeneralSecurityException e) {
      throw new TdxException(commonName(anchor) + " is not valid at " + now + " (" + anchor.getNotBefore().toInstant()
          + " to " + anchor.getNotAfter().toInstant() + ")");
    }
    return anchor;
  }

  /**
   * Checks each certificate of {@code path} (leaf first; its issuer is the next one, the last one's
   * is {@code anchor}) against the supplied CRLs of its issuer. A CRL must be signed by that issuer
   * and current at {@code now}: a stale CRL cannot vouch that nothing was revoked since.
   */
  static Outcome revocation(List<X509Certificate> path, X509Certificate anchor, List<X509CRL> crls, Instant now) {
    List<String> checked = new ArrayList<>();
    List<String> unchecked = new ArrayList<>();
    for (int i = 0; i < path.size(); i++) {
      X509Certificate certificate = path.get(i);
      X509Certificate issuer = i + 1 < path.size() ? path.get(i + 1) : anchor;
      List<X509CRL> fromIssuer = crls.stream()
          .filter(crl -> crl.getIssuerX500Principal().equals(certificate.getIssuerX500Principal()))
          .toList();
      if (fromIssuer.isEmpty()) {
        unchecked.add(commonName(certificate));
        continue;
      }
      for (X509CRL crl : fromIssuer) {
        try {
          crl.verify(issuer.getPublicKey());
        } catch (GeneralSecurityException | RuntimeException e) {
          return Outcome.fail("a CRL naming " + commonName(issuer) + " as issuer is not signed by it");
        }
      }
      Optional<X509CRL> latest = fromIssuer.stream()
          .filter(crl -> !crl.getThisUpdate().toInstant().isAfter(now))
          .max(Comparator.comparing(X509CRL::getThisUpdate));
      if (latest.isEmpty()) {
        return Outcome.fail("the CRL of " + commonName(issuer) + " was issued after " + now + ": supply the one current then");
      }
      X509CRL crl = latest.get();
      if (crl.getNextUpdate() == null || crl.getNextUpdate().toInstant().isBefore(now)) {
        return Outcome.fail("the CRL of " + commonName(issuer) + " is stale at " + now + " (next update "
            + (crl.getNextUpdate() == null ? "missing" : crl.getNextUpdate().toInstant()) + "): supply a current one");
      }
      X509CRLEntry entry = crl.getRevokedCertificate(certificate);
      if (entry != null) {
        return Outcome.fail(commonName(certificate) + " (serial " + certificate.getSerialNumber().toString(16)
            + ") is revoked since " + entry.getRevocationDate().toInstant()
            + (entry.getRevocationReason() == null ? "" : " (" + entry.getRevocationReason() + ")"));
      }
      checked.add(commonName(certificate) + " per the CRL of " + commonName(issuer) + " of " + crl.getThisUpdate().toInstant());
    }
    if (checked.isEmpty()) {
      return Outcome.skip("no CRL supplied: revocation not checked (" + TdxCollateral.HOW_TO_SUPPLY + ")");
    }
    if (!unchecked.isEmpty()) {
      return Outcome.skip("not revoked: " + String.join("; ", checked) + "; but no CRL covers " + String.join(", ", unchecked)
          + " (" + TdxCollateral.HOW_TO_SUPPLY + ")");
    }
    return Outcome.pass("not revoked: " + String.join("; ", checked));
  }

  /** The subject's CN, or the whole subject when it has none. */
  static String commonName(X509Certificate certificate) {
    String subject = certificate.getSubjectX500Principal().getName();
    try {
      for (Rdn rdn : new LdapName(subject).getRdns()) {
        if (rdn.getType().equalsIgnoreCase("CN")) {
          return rdn.getValue().toString();
        }
      }
    } catch (InvalidNameException e) {
      return subject;
    }
    return subject;
  }
}
