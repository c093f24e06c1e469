package dev.cmcp.verify.evidence.snp;

import dev.cmcp.verify.base.Check;
import dev.cmcp.verify.evidence.EvidenceReport;
import dev.cmcp.verify.evidence.TrustStore;
import java.io.IOException;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/**
 * Verifies raw SEV-SNP evidence offline: an ATTESTATION_REPORT, optionally followed by the
 * host's certificate table, against certificates the caller supplies. Every {@link SnpCheck}
 * is reported, each on its own, so an auditor sees every fault at once; nothing the evidence
 * contains makes this throw.
 */
public final class SnpVerifier {
  static final int REPORT_DATA_SIZE = 64;

  private static final String RSASSA_PSS_OID = "1.2.840.113549.1.1.10";
  private static final int ECDSA_COMPONENT_SIZE = 72;
  private static final int P384_COMPONENT_SIZE = 48;
  private static final HexFormat HEX = HexFormat.of();

  private SnpVerifier() {}

  /**
   * @param evidence the 1184-byte report, optionally followed by the certificate table holding
   *     the VCEK (and ASK, ARK)
   * @param certs the certificates folder: ASK and ARK (and the VCEK when the evidence has no
   *     table), optionally AMD's CRLs
   * @param expectedReportData the 64 bytes REPORT_DATA must hold (the claim's binding); empty
   *     skips that check
   * @param now the time certificate validity and CRL freshness are judged at
   * @throws IllegalArgumentException when {@code expectedReportData} is not 64 bytes
   */
  public static EvidenceReport<SnpCheck> verify(
      byte[] evidence, TrustStore certs, Optional<byte[]> expectedReportData, Instant now, SnpPolicy policy) {
    Objects.requireNonNull(evidence, "evidence");
    Objects.requireNonNull(expectedReportData, "expectedReportData");
    Objects.requireNonNull(certs, "certs");
    Objects.requireNonNull(now, "now");
    Objects.requireNonNull(policy, "policy");
    expectedReportData.ifPresent(expected -> {
      if (expected.length != REPORT_DATA_SIZE) {
        throw new IllegalArgumentException("expected report data must be 64 bytes (128 hex digits), not "
            + expected.length + " bytes");
      }
    });

    SnpReport report;
    TrustStore embedded;
    try {
      report = SnpReport.parse(evidence);
      embedded = evidence.length > SnpReport.SIZE
          ? CertificateTable.parse(Arrays.copyOfRange(evidence, SnpReport.SIZE, evidence.length))
          : TrustStore.empty();
    } catch (SnpProblem e) {
      return unreadable(e.getMessage());
    }
    TrustStore available = embedded.plus(certs);

    List<Check<SnpCheck>> checks = new ArrayList<>();
    checks.add(pass(SnpCheck.REPORT_FORMAT, "version " + report.version() + " report, "
        + (embedded.certificates().isEmpty()
            ? "no certificates after it"
            : "with a certificate table of " + embedded.certificates().size() + " certificate(s)")));

    // The report says which key signed it: the chip's VCEK, or the cloud provider's VLEK.
    boolean vlek = report.signingKey() == SnpReport.SIGNING_KEY_VLEK;
    Optional<X509Certificate> vcek = Optional.empty();
    String noVcek = "";
    try {
      vcek = Optional.of(vlek ? chooseVlek(available) : chooseVcek(available, report.chipId()));
    } catch (SnpProblem e) {
      noVcek = e.getMessage();
    }
    ProductChoice product = chooseProduct(policy, vcek, report);

    if (vcek.isEmpty()) {
      checks.add(fail(SnpCheck.VCEK_SIGNATURE, noVcek));
      String skipped = "no " + (vlek ? "VLEK" : "VCEK") + " (see vcek_signature)";
      checks.add(skip(SnpCheck.VCEK_CHAIN, skipped));
      checks.add(skip(SnpCheck.VCEK_TCB, skipped));
      checks.add(skip(SnpCheck.VCEK_CHIP_ID, skipped));
    } else {
      checks.add(vcekSignature(report, vcek.get()));
      checks.add(vcekChain(vcek.get(), vlek, available, product, now));
      checks.add(vcekTcb(report, vcek.get(), product));
      checks.add(vlek
          ? skip(SnpCheck.VCEK_CHIP_ID, "a VLEK is issued to the cloud provider, not to one chip: CHIP_ID is not tied to it")
          : vcekChipId(report, vcek.get()));
    }
    checks.add(reportData(report, expectedReportData));
    checks.add(policyDebug(report, policy));
    checks.add(minimumTcb(report, policy, product));
    checks.add(measurement(report, policy));
    return new EvidenceReport<>("sev-snp", checks, fields(report, product));
  }

  private static EvidenceReport<SnpCheck> unreadable(String reason) {
    List<Check<SnpCheck>> checks = new ArrayList<>();
    checks.add(fail(SnpCheck.REPORT_FORMAT, reason));
    for (SnpCheck check : SnpCheck.values()) {
      if (check != SnpCheck.REPORT_FORMAT) {
        checks.add(skip(check, "the report could not be read (see report_format)"));
      }
    }
    return new EvidenceReport<>("sev-snp", checks, Map.of());
  }

  // ---- which certificate, which product line

  /**
   * The VCEK whose hwID names the report's chip; failing that, the only VCEK there is (its
   * mismatch is then reported by vcek_chip_id).
   */
  static X509Certificate chooseVcek(TrustStore available, byte[] chipId) throws SnpProblem {
    List<X509Certificate> vceks = distinct(available.certificates().stream().filter(KdsExtensions::isVcek).toList());
    if (vceks.isEmpty()) {
      throw new SnpProblem("no VCEK certificate: put the chip's VCEK (vcek.der or vcek.pem from AMD's KDS)"
          + " in the certificates folder, or send the host's certificate table with the report");
    }
    for (X509Certificate candidate : vceks) {
      try {
        if (KdsExtensions.hwIdMatches(KdsExtensions.hwId(candidate), chipId)) {
          return candidate;
        }
      } catch (SnpProblem e) {
        // An unreadable hwID is not this chip's; vcek_chip_id reports it if it is the only one.
      }
    }
    if (vceks.size() == 1) {
      return vceks.get(0);
    }
    throw new SnpProblem(vceks.size() + " VCEK certificates and none has a hwID equal to the report's"
        + " CHIP_ID; keep only this chip's VCEK in the certificates folder");
  }

  /** The one VLEK there is: a VLEK names no chip, so several cannot be told apart. */
  static X509Certificate chooseVlek(TrustStore available) throws SnpProblem {
    List<X509Certificate> vleks = distinct(available.certificates().stream().filter(KdsExtensions::isVlek).toList());
    if (vleks.isEmpty()) {
      throw new SnpProblem("SIGNING_KEY says a VLEK signed this report, and there is no VLEK certificate: put the"
          + " cloud provider's VLEK (issued by SEV-VLEK-<product>) in the certificates folder, or send the host's"
          + " certificate table with the report");
    }
    if (vleks.size() > 1) {
      throw new SnpProblem(vleks.size() + " VLEK certificates: keep only the one that signed this report");
    }
    return vleks.get(0);
  }

  private record ProductChoice(Optional<SnpProduct> product, String source) {
    String describe() {
      return product.map(p -> p.displayName() + " (" + source + ")").orElse("unknown (" + source + ")");
    }
  }

  private static ProductChoice chooseProduct(SnpPolicy policy, Optional<X509Certificate> vcek, SnpReport report) {
    if (policy.product().isPresent()) {
      return new ProductChoice(policy.product(), "given by the caller");
    }
    Optional<String> productName = vcek.flatMap(KdsExtensions::productName);
    if (productName.isPresent()) {
      Optional<SnpProduct> line = SnpProduct.fromProductName(productName.get());
      if (line.isPresent()) {
        return new ProductChoice(line, "VCEK product name " + productName.get());
      }
    }
    Optional<int[]> cpuid = report.cpuid();
    if (cpuid.isPresent()) {
      int[] fms = cpuid.get();
      String source = String.format("report CPUID family 0x%02x model 0x%02x", fms[0], fms[1]);
      return new ProductChoice(SnpProduct.fromCpuid(fms[0], fms[1]), source);
    }
    return new ProductChoice(Optional.empty(),
        "no VCEK product name and no CPUID in a version " + report.version() + " report; give the product line");
  }

  // ---- the checks

  private static Check<SnpCheck> vcekSignature(SnpReport report, X509Certificate vcek) {
    int signingKey = report.signingKey();
    String signer = signingKey == SnpReport.SIGNING_KEY_VLEK ? "VLEK" : "VCEK";
    if (signingKey == SnpReport.SIGNING_KEY_NONE) {
      return fail(SnpCheck.VCEK_SIGNATURE, "SIGNING_KEY says this report is not signed");
    }
    if (!(vcek.getPublicKey() instanceof ECPublicKey key)
        || key.getParams().getCurve().getField().getFieldSize() != 384) {
      return fail(SnpCheck.VCEK_SIGNATURE, "the " + signer + "'s key is not an ECDSA P-384 key");
    }
    byte[] field = report.signature();
    byte[] r = Arrays.copyOfRange(field, 0, ECDSA_COMPONENT_SIZE);
    byte[] s = Arrays.copyOfRange(field, ECDSA_COMPONENT_SIZE, 2 * ECDSA_COMPONENT_SIZE);
    // r and s are 48-byte numbers zero-padded to 72; the rest of the field is reserved, zero.
    // Nothing there is signed, so anything non-zero would let one report take many spellings.
    if (!isZero(r, P384_COMPONENT_SIZE, ECDSA_COMPONENT_SIZE) || !isZero(s, P384_COMPONENT_SIZE, ECDSA_COMPONENT_SIZE)
        || !isZero(field, 2 * ECDSA_COMPONENT_SIZE, field.length)) {
      return fail(SnpCheck.VCEK_SIGNATURE, "SIGNATURE has non-zero bytes outside the 48-byte R and S");
    }
    byte[] p1363 = new byte[2 * P384_COMPONENT_SIZE];
    System.arraycopy(bigEndian(r, P384_COMPONENT_SIZE), 0, p1363, 0, P384_COMPONENT_SIZE);
    System.arraycopy(bigEndian(s, P384_COMPONENT_SIZE), 0, p1363, P384_COMPONENT_SIZE, P384_COMPONENT_SIZE);
    try {
      Signature verifier = Signature.getInstance("SHA384withECDSAinP1363Format");
      verifier.initVerify(key);
      verifier.update(report.signedBody());
      if (!verifier.verify(p1363)) {
        return fail(SnpCheck.VCEK_SIGNATURE, "the ECDSA P-384 signature over bytes 0x000-0x29F does not verify"
            + " with the " + signer + ": the report was altered or another key signed it");
      }
    } catch (GeneralSecurityException e) {
      return fail(SnpCheck.VCEK_SIGNATURE, "the signature cannot be checked: " + e.getMessage());
    }
    return pass(SnpCheck.VCEK_SIGNATURE, "ECDSA P-384/SHA-384 over bytes 0x000-0x29F verifies with the " + signer);
  }

  /** The signing key's chain: VCEK <- ASK <- ARK, or VLEK <- ASVK <- ARK, the same ARK pinned for both. */
  private static Check<SnpCheck> vcekChain(X509Certificate vcek, boolean vlek, TrustStore available, ProductChoice product, Instant now) {
    if (product.product().isEmpty()) {
      return fail(SnpCheck.VCEK_CHAIN, "product line unknown, so no AMD root to pin: " + product.source());
    }
    SnpProduct line = product.product().get();
    String keyLabel = vlek ? "VLEK" : "VCEK";
    String intermediateLabel = vlek ? "ASVK" : "ASK";
    String fix = "; the certificates folder needs AMD's " + intermediateLabel + " and ARK for " + line.displayName()
        + " (KDS /" + keyLabel.toLowerCase(Locale.ROOT) + "/v1/" + line.displayName() + "/cert_chain)";

    X509Certificate ask;
    X509Certificate ark;
    try {
      ask = issuerOf(vcek, keyLabel, available, fix);
      ark = issuerOf(ask, intermediateLabel, available, fix);
    } catch (SnpProblem e) {
      return fail(SnpCheck.VCEK_CHAIN, e.getMessage());
    }
    List<X509Certificate> chain = List.of(vcek, ask, ark);
    List<String> labels = List.of(keyLabel, intermediateLabel, "ARK");

    String arkSha256 = sha256(ark);
    if (!arkSha256.equals(line.arkSha256())) {
      return fail(SnpCheck.VCEK_CHAIN, "the root " + name(ark) + " (SHA-256 " + arkSha256
          + ") is not AMD's published " + line.displayName() + " ARK (SHA-256 " + line.arkSha256() + ")");
    }
    if (!ark.getSubjectX500Principal().equals(ark.getIssuerX500Principal())
        || !signedBy(ark, ark)) {
      return fail(SnpCheck.VCEK_CHAIN, "the ARK is not self-signed");
    }
    for (int i = 0; i < chain.size(); i++) {
      Optional<String> algorithm = pssSha384Problem(chain.get(i));
      if (algorithm.isPresent()) {
        return fail(SnpCheck.VCEK_CHAIN, "the " + labels.get(i) + " " + algorithm.get());
      }
    }
    if (ask.getBasicConstraints() < 0 || ark.getBasicConstraints() < 0) {
      return fail(SnpCheck.VCEK_CHAIN, "the " + intermediateLabel + " and ARK must be CA certificates");
    }
    for (int i = 0; i < chain.size(); i++) {
      X509Certificate certificate = chain.get(i);
      try {
        certificate.checkValidity(Date.from(now));
      } catch (CertificateException e) {
        return fail(SnpCheck.VCEK_CHAIN, "the " + labels.get(i) + " is not valid at " + now + " (valid "
            + certificate.getNotBefore().toInstant() + " to " + certificate.getNotAfter().toInstant() + ")");
      }
    }
    int crlsUsed = 0;
    for (int i = 0; i < 2; i++) {
      List<X509CRL> crls = crlsOf(chain.get(i + 1), available);
      Optional<String> revoked = revocationProblem(chain.get(i), chain.get(i + 1), crls, now);
      if (revoked.isPresent()) {
        return fail(SnpCheck.VCEK_CHAIN, revoked.get());
      }
      crlsUsed += crls.size();
    }
    return pass(SnpCheck.VCEK_CHAIN, keyLabel + " <- " + name(ask) + " <- " + name(ark)
        + " (AMD's " + line.displayName() + " root), RSA-PSS SHA-384, valid at " + now + "; "
        + (crlsUsed == 0 ? "no CRL supplied" : crlsUsed + " CRL(s) checked"));
  }

  private static Check<SnpCheck> vcekTcb(SnpReport report, X509Certificate vcek, ProductChoice product) {
    if (product.product().isEmpty()) {
      return fail(SnpCheck.VCEK_TCB, "product line unknown, so REPORTED_TCB cannot be read: " + product.source());
    }
    SnpProduct line = product.product().get();
    TcbVersion reported = line.tcb(report.reportedTcb());
    TcbVersion certified;
    try {
      certified = KdsExtensions.tcb(vcek, line);
    } catch (SnpProblem e) {
      return fail(SnpCheck.VCEK_TCB, e.getMessage());
    }
    if (!certified.equals(reported)) {
      return fail(SnpCheck.VCEK_TCB, "the VCEK certifies " + certified + " but REPORTED_TCB is " + reported);
    }
    return pass(SnpCheck.VCEK_TCB, "the VCEK certifies REPORTED_TCB " + reported);
  }

  private static Check<SnpCheck> vcekChipId(SnpReport report, X509Certificate vcek) {
    byte[] hwId;
    try {
      hwId = KdsExtensions.hwId(vcek);
    } catch (SnpProblem e) {
      return fail(SnpCheck.VCEK_CHIP_ID, e.getMessage());
    }
    if (KdsExtensions.hwIdMatches(hwId, report.chipId())) {
      return pass(SnpCheck.VCEK_CHIP_ID, "the VCEK's hwID equals CHIP_ID " + abbreviated(report.chipId()));
    }
    String masked = report.chipKeyMasked() ? " (the host masked CHIP_ID: MASK_CHIP_KEY is set)" : "";
    return fail(SnpCheck.VCEK_CHIP_ID, "the VCEK's hwID " + abbreviated(hwId) + " is not CHIP_ID "
        + abbreviated(report.chipId()) + masked);
  }

  private static Check<SnpCheck> reportData(SnpReport report, Optional<byte[]> expected) {
    if (expected.isEmpty()) {
      return skip(SnpCheck.REPORT_DATA, "no expected report data given");
    }
    byte[] actual = report.reportData();
    if (MessageDigest.isEqual(actual, expected.get())) {
      return pass(SnpCheck.REPORT_DATA, "REPORT_DATA equals the expected " + abbreviated(actual));
    }
    return fail(SnpCheck.REPORT_DATA, "REPORT_DATA is " + HEX.formatHex(actual) + ", expected "
        + HEX.formatHex(expected.get()));
  }

  private static Check<SnpCheck> policyDebug(SnpReport report, SnpPolicy policy) {
    if (!report.debugAllowed()) {
      return pass(SnpCheck.POLICY_DEBUG, "DEBUG policy bit clear");
    }
    if (policy.allowDebug()) {
      return pass(SnpCheck.POLICY_DEBUG, "DEBUG policy bit set, accepted because debug guests are allowed");
    }
    return fail(SnpCheck.POLICY_DEBUG, "DEBUG policy bit set: the host can read and alter this guest's memory;"
        + " accept only in development, by allowing debug guests explicitly");
  }

  private static Check<SnpCheck> minimumTcb(SnpReport report, SnpPolicy policy, ProductChoice product) {
    if (policy.minimumTcb().isEmpty()) {
      return skip(SnpCheck.MINIMUM_TCB, "no minimum TCB configured");
    }
    if (product.product().isEmpty()) {
      return fail(SnpCheck.MINIMUM_TCB, "product line unknown, so REPORTED_TCB cannot be read: " + product.source());
    }
    TcbVersion minimum = policy.minimumTcb().get();
    // REPORTED_TCB is what the VCEK was derived for; the firmware running is at least that.
    TcbVersion reported = product.product().get().tcb(report.reportedTcb());
    if (reported.atLeast(minimum)) {
      return pass(SnpCheck.MINIMUM_TCB, "REPORTED_TCB " + reported + " is at least " + minimum);
    }
    return fail(SnpCheck.MINIMUM_TCB, "REPORTED_TCB " + reported + " is below the minimum " + minimum);
  }

  private static Check<SnpCheck> measurement(SnpReport report, SnpPolicy policy) {
    if (policy.expectedMeasurement().isEmpty()) {
      return skip(SnpCheck.MEASUREMENT, "no expected measurement given");
    }
    String actual = HEX.formatHex(report.measurement());
    if (actual.equals(policy.expectedMeasurement().get())) {
      return pass(SnpCheck.MEASUREMENT, "MEASUREMENT equals the expected " + actual);
    }
    return fail(SnpCheck.MEASUREMENT, "MEASUREMENT is " + actual + ", expected " + policy.expectedMeasurement().get());
  }

  // ---- certificates

  /** The certificate named as {@code certificate}'s issuer whose key verifies its signature. */
  private static X509Certificate issuerOf(X509Certificate certificate, String label, TrustStore available, String fix)
      throws SnpProblem {
    String issuer = commonName(certificate.getIssuerX500Principal().getName());
    List<X509Certificate> named = available.certificates().stream()
        .filter(c -> c.getSubjectX500Principal().equals(certificate.getIssuerX500Principal()))
        .toList();
    if (named.isEmpty()) {
      throw new SnpProblem("no certificate named " + issuer + ", the " + label + "'s issuer" + fix);
    }
    return named.stream()
        .filter(c -> signedBy(certificate, c))
        .findFirst()
        .orElseThrow(() -> new SnpProblem("the " + label + "'s signature does not verify with the key of "
            + issuer + ": the " + label + " was altered, or was not issued by this " + issuer));
  }

  private static boolean signedBy(X509Certificate certificate, X509Certificate issuer) {
    try {
      certificate.verify(issuer.getPublicKey());
      return true;
    } catch (GeneralSecurityException | RuntimeException e) {
      return false;
    }
  }

  /** AMD signs its VCEKs, ASKs and ARKs with RSASSA-PSS, SHA-384, MGF1 SHA-384, 48-byte salt; nothing weaker is accepted. */
  static Optional<String> pssSha384Problem(X509Certificate certificate) {
    if (!RSASSA_PSS_OID.equals(certificate.getSigAlgOID())) {
      return Optional.of("is signed with " + certificate.getSigAlgName() + ", not RSASSA-PSS");
    }
    try {
      AlgorithmParameters parameters = AlgorithmParameters.getInstance("RSASSA-PSS");
      parameters.init(certificate.getSigAlgParams());
      PSSParameterSpec pss = parameters.getParameterSpec(PSSParameterSpec.class);
      boolean sha384 = "SHA-384".equals(pss.getDigestAlgorithm())
          && pss.getMGFParameters() instanceof MGF1ParameterSpec mgf
          && "SHA-384".equals(mgf.getDigestAlgorithm())
          && pss.getSaltLength() == 48;
      return sha384 ? Optional.empty() : Optional.of("is signed with RSASSA-PSS parameters other than SHA-384");
    } catch (GeneralSecurityException | IOException | RuntimeException e) {
      return Optional.of("has unreadable RSASSA-PSS parameters: " + e.getMessage());
    }
  }

  private static List<X509CRL> crlsOf(X509Certificate issuer, TrustStore available) {
    return available.crls().stream()
        .filter(crl -> crl.getIssuerX500Principal().equals(issuer.getSubjectX500Principal()))
        .toList();
  }

  /**
   * Why {@code certificate} must not be trusted according to {@code crls} (those of its
   * issuer): a CRL that does not verify with the issuer's key, one past its next update at
   * {@code now}, or one listing the certificate. Empty when there is no such reason.
   */
  static Optional<String> revocationProblem(
      X509Certificate certificate, X509Certificate issuer, List<X509CRL> crls, Instant now) {
    for (X509CRL crl : crls) {
      try {
        crl.verify(issuer.getPublicKey());
      } catch (GeneralSecurityException | RuntimeException e) {
        return Optional.of("a CRL naming " + name(issuer) + " as issuer does not verify with its key");
      }
      if (crl.getNextUpdate() != null && crl.getNextUpdate().toInstant().isBefore(now)) {
        return Optional.of("the CRL of " + name(issuer) + " was due for renewal at "
            + crl.getNextUpdate().toInstant() + ", before " + now + "; supply a current one");
      }
      if (crl.isRevoked(certificate)) {
        return Optional.of(name(certificate) + " (serial " + certificate.getSerialNumber().toString(16)
            + ") is revoked by the CRL of " + name(issuer));
      }
    }
    return Optional.empty();
  }

  private static List<X509Certificate> distinct(List<X509Certificate> certificates) {
    Map<String, X509Certificate> bySha256 = new LinkedHashMap<>();
    for (X509Certificate certificate : certificates) {
      bySha256.putIfAbsent(sha256(certificate), certificate);
    }
    return List.copyOf(bySha256.values());
  }

  private static String sha256(X509Certificate certificate) {
    try {
      return HEX.formatHex(MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded()));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK lacks SHA-256", e);
    }
  }

  private static String name(X509Certificate certificate) {
    return commonName(certificate.getSubjectX500Principal().getName());
  }

  /** {@code CN=SEV-Milan} out of a whole distinguished name; the whole name when it has no CN. */
  private static String commonName(String distinguishedName) {
    try {
      for (Rdn rdn : new LdapName(distinguishedName).getRdns()) {
        if (rdn.getType().equalsIgnoreCase("CN")) {
          return "CN=" + rdn.getValue();
        }
      }
    } catch (InvalidNameException | IllegalArgumentException e) {
      // Fall through to the whole name.
    }
    return distinguishedName;
  }

  // ---- the report's fields

  private static Map<String, String> fields(SnpReport report, ProductChoice product) {
    Map<String, String> fields = new LinkedHashMap<>();
    fields.put("product", product.describe());
    fields.put("version", Long.toString(report.version()));
    fields.put("guest_svn", Long.toString(report.guestSvn()));
    fields.put("policy", String.format("0x%016x (%s)", report.policy(), report.policyFlags()));
    fields.put("debug", Boolean.toString(report.debugAllowed()));
    fields.put("family_id", HEX.formatHex(report.familyId()));
    fields.put("image_id", HEX.formatHex(report.imageId()));
    fields.put("vmpl", Long.toString(report.vmpl()));
    fields.put("signing_key", switch (report.signingKey()) {
      case SnpReport.SIGNING_KEY_VCEK -> "vcek";
      case SnpReport.SIGNING_KEY_VLEK -> "vlek";
      default -> "none";
    });
    fields.put("mask_chip_key", Boolean.toString(report.chipKeyMasked()));
    fields.put("author_key_en", Boolean.toString(report.authorKeyEnabled()));
    fields.put("platform_info", String.format("0x%016x (%s)", report.platformInfo(), report.platformInfoFlags()));
    fields.put("current_tcb", tcb(report.currentTcb(), product));
    fields.put("reported_tcb", tcb(report.reportedTcb(), product));
    fields.put("committed_tcb", tcb(report.committedTcb(), product));
    fields.put("launch_tcb", tcb(report.launchTcb(), product));
    fields.put("current_firmware", report.currentFirmware());
    fields.put("committed_firmware", report.committedFirmware());
    report.cpuid().ifPresent(fms ->
        fields.put("cpuid", String.format("family 0x%02x model 0x%02x stepping 0x%02x", fms[0], fms[1], fms[2])));
    fields.put("measurement", HEX.formatHex(report.measurement()));
    fields.put("report_data", HEX.formatHex(report.reportData()));
    fields.put("host_data", HEX.formatHex(report.hostData()));
    fields.put("id_key_digest", HEX.formatHex(report.idKeyDigest()));
    fields.put("author_key_digest", HEX.formatHex(report.authorKeyDigest()));
    fields.put("report_id", HEX.formatHex(report.reportId()));
    fields.put("report_id_ma", HEX.formatHex(report.reportIdMa()));
    fields.put("chip_id", HEX.formatHex(report.chipId()));
    return fields;
  }

  private static String tcb(long raw, ProductChoice product) {
    String hex = String.format("0x%016x", raw);
    return product.product().map(line -> line.tcb(raw) + " (" + hex + ")").orElse(hex);
  }

  // ---- small helpers

  private static Check<SnpCheck> pass(SnpCheck check, String reason) {
    return Check.pass(check, reason);
  }

  private static Check<SnpCheck> fail(SnpCheck check, String reason) {
    return Check.fail(check, reason);
  }

  private static Check<SnpCheck> skip(SnpCheck check, String reason) {
    return Check.skip(check, reason);
  }

  private static boolean isZero(byte[] bytes, int from, int to) {
    for (int i = from; i < to; i++) {
      if (bytes[i] != 0) {
        return false;
      }
    }
    return true;
  }

  /** The low {@code size} bytes of a little-endian number, big-endian. */
  private static byte[] bigEndian(byte[] littleEndian, int size) {
    byte[] result = new byte[size];
    for (int i = 0; i < size; i++) {
      result[i] = littleEndian[size - 1 - i];
    }
    return result;
  }

  private static String abbreviated(byte[] bytes) {
    String hex = HEX.formatHex(bytes);
    return hex.length() <= 16 ? hex : hex.substring(0, 16) + "...";
  }
}
