package dev.cmcp.verify.evidence.tdx;

import static dev.cmcp.verify.evidence.tdx.TdxCheck.MEASUREMENT;
import static dev.cmcp.verify.evidence.tdx.TdxCheck.PCK_CHAIN;
import static dev.cmcp.verify.evidence.tdx.TdxCheck.PCK_REVOCATION;
import static dev.cmcp.verify.evidence.tdx.TdxCheck.QE_IDENTITY;
import static dev.cmcp.verify.evidence.tdx.TdxCheck.QE_REPORT_BINDS_KEY;
import static dev.cmcp.verify.evidence.tdx.TdxCheck.QE_REPORT_SIGNATURE;
import static dev.cmcp.verify.evidence.tdx.TdxCheck.QUOTE_FORMAT;
import static dev.cmcp.verify.evidence.tdx.TdxCheck.QUOTE_SIGNATURE;
import static dev.cmcp.verify.evidence.tdx.TdxCheck.REPORT_DATA;
import static dev.cmcp.verify.evidence.tdx.TdxCheck.TCB_INFO;
import static dev.cmcp.verify.evidence.tdx.TdxCheck.TCB_LEVEL;
import static dev.cmcp.verify.evidence.tdx.TdxCheck.TD_DEBUG;

import dev.cmcp.verify.base.Check;
import dev.cmcp.verify.base.CheckStatus;
import dev.cmcp.verify.evidence.TrustStore;
import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.security.spec.ECFieldFp;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks an Intel TDX quote (version 4, or 5 with a TD report 1.0 or 1.5 body) offline, with the certificates and collateral an operator
 * supplies and a caller-chosen "now". The chain of trust: the pinned Intel SGX Root CA vouches for
 * the PCK certificate, whose key signed the quoting enclave's report, whose REPORTDATA commits to
 * the attestation key, which signed the TD report. Each link is its own named check, so a report
 * says exactly which one broke. Nothing here throws on bad input: it fails a check instead.
 */
public final class TdxVerifier {

  /** ECDSA over SHA-256 with the signature as raw r||s, as Intel's formats carry it. */
  static final String ECDSA_P256_RAW = "SHA256withECDSAinP1363Format";

  private static final String PCK_CN = "Intel SGX PCK Certificate";
  private static final Set<String> PCK_CA_CNS = Set.of("Intel SGX PCK Platform CA", "Intel SGX PCK Processor CA");
  private static final byte[] INTEL_QE_VENDOR_ID = HexFormat.of().parseHex("939a7233f79c4ca9940a0db3957f0607");
  private static final Pattern PEM_CERTIFICATE =
      Pattern.compile("-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\\s]+)-----END CERTIFICATE-----");
  private static final int PCK_CHAIN_LENGTH = 3;
  private static final int REPORT_DATA_BYTES = 64;
  private static final HexFormat HEX = HexFormat.of();

  private TdxVerifier() {}

  /**
   * @param quote the raw quote, as configfs-tsm or the TDX guest device returns it
   * @param collateral the pinned root, and optionally CRLs, TCB info, QE identity, TCB signing certificate
   * @param expectedReportData the 64 bytes REPORTDATA must hold (the claim's binding); empty to skip
   * @param now the time at which certificates, CRLs and collateral must be valid
   * @param policy the debug, measurement and TCB status rules beyond genuineness
   */
  public static TdxVerification verify(
      byte[] quote, TdxCollateral collateral, Optional<byte[]> expectedReportData, Instant now, TdxPolicy policy) {
    return verify(quote, collateral, Optional.empty(), expectedReportData, now, policy);
  }

  /**
   * As {@link #verify(byte[], TdxCollateral, Optional, Instant, TdxPolicy)}, with the collateral
   * read from {@code store} ({@link TdxCollateral#from}). When the store's TCB info or QE identity
   * cannot be read (not JSON, two of one kind), the checks that use them, {@code tcb_info} and
   * {@code qe_identity}, fail with that reason; every other check still runs.
   */
  public static TdxVerification verify(
      byte[] quote, TrustStore store, Optional<byte[]> expectedReportData, Instant now, TdxPolicy policy) {
    try {
      return verify(quote, TdxCollateral.from(store), Optional.empty(), expectedReportData, now, policy);
    } catch (TdxException e) {
      return verify(quote, TdxCollateral.of(store.certificates(), store.crls()),
          Optional.of("the TDX collateral in the certs folder cannot be read: " + e.getMessage()),
          expectedReportData, now, policy);
    }
  }

  private static TdxVerification verify(byte[] quote, TdxCollateral collateral, Optional<String> collateralProblem,
      Optional<byte[]> expectedReportData, Instant now, TdxPolicy policy) {
    TdxQuote parsed;
    try {
      parsed = TdxQuote.parse(quote);
    } catch (TdxException e) {
      List<Check<TdxCheck>> checks = new ArrayList<>();
      for (TdxCheck name : TdxCheck.values()) {
        checks.add(name == QUOTE_FORMAT
            ? new Check<>(name, CheckStatus.FAIL, e.getMessage())
            : new Check<>(name, CheckStatus.SKIP, "the quote could not be parsed"));
      }
      return TdxVerification.of(checks, Optional.empty());
    }
    return new Verification(parsed, collateral, collateralProblem, now, policy).run(expectedReportData);
  }

  /** One verification's state: each check may use what an earlier one established. */
  private static final class Verification {
    private final TdxQuote quote;
    private final TdxCollateral collateral;
    /** Why the supplied TCB info and QE identity could not be read, when they could not. */
    private final Optional<String> collateralProblem;
    private final Instant now;
    private final TdxPolicy policy;
    private final Map<TdxCheck, Outcome> outcomes = new EnumMap<>(TdxCheck.class);
    private List<X509Certificate> pckChain = List.of();
    private String pckChainProblem = "";
    private Optional<PckExtensions> pckExtensions = Optional.empty();
    private Optional<X509Certificate> anchor = Optional.empty();
    private Optional<SignedCollateral> trustedTcbInfo = Optional.empty();

    Verification(TdxQuote quote, TdxCollateral collateral, Optional<String> collateralProblem, Instant now, TdxPolicy policy) {
      this.quote = quote;
      this.collateral = collateral;
      this.collateralProblem = collateralProblem;
      this.now = now;
      this.policy = policy;
    }

    TdxVerification run(Optional<byte[]> expectedReportData) {
      outcomes.put(QUOTE_FORMAT, Outcome.pass(formatSummary()));
      outcomes.put(QUOTE_SIGNATURE, attempt(this::quoteSignature));
      readPckChain();
      outcomes.put(QE_REPORT_SIGNATURE, attempt(this::qeReportSignature));
      outcomes.put(QE_REPORT_BINDS_KEY, attempt(this::qeReportBindsKey));
      outcomes.put(PCK_CHAIN, attempt(this::pckChain));
      outcomes.put(PCK_REVOCATION, attempt(this::pckRevocation));
      outcomes.put(REPORT_DATA, reportData(expectedReportData));
      outcomes.put(TD_DEBUG, tdDebug());
      outcomes.put(MEASUREMENT, measurement());
      outcomes.put(TCB_INFO, attempt(this::tcbInfo));
      outcomes.put(TCB_LEVEL, attempt(this::tcbLevel));
      outcomes.put(QE_IDENTITY, attempt(this::qeIdentity));

      List<Check<TdxCheck>> checks = new ArrayList<>();
      outcomes.forEach((name, outcome) -> checks.add(new Check<>(name, outcome.status(), outcome.reason())));
      return TdxVerification.of(checks, Optional.of(fields()));
    }

    private String formatSummary() {
      String vendor = Arrays.equals(quote.header().qeVendorId(), INTEL_QE_VENDOR_ID)
          ? "Intel" : HEX.formatHex(quote.header().qeVendorId());
      String trailing = quote.trailingBytes() == 0 ? "" : "; " + quote.trailingBytes() + " bytes after the signature data ignored";
      return "TDX quote v" + quote.header().version() + " (TD report " + quote.tdReport().bodyVersion()
          + "), ECDSA-256 (P-256) attestation key, QE vendor " + vendor + trailing;
    }

    private Outcome quoteSignature() throws GeneralSecurityException, TdxException {
      PublicKey attestationKey = p256Key(quote.attestationKey());
      if (!verifyRaw(attestationKey, quote.signedPart(), quote.quoteSignature())) {
        return Outcome.fail("the attestation key's signature over the header and TD report does not verify");
      }
      return Outcome.pass("the attestation key signed the header and TD report body");
    }

    private void readPckChain() {
      try {
        pckChain = parseChain(quote.pckChainPem());
      } catch (TdxException e) {
        pckChainProblem = e.getMessage();
      }
    }

    private Outcome qeReportSignature() throws GeneralSecurityException {
      if (pckChain.isEmpty()) {
        return Outcome.skip("no PCK certificate to check it with: " + pckChainProblem);
      }
      if (!verifyRaw(pckChain.get(0).getPublicKey(), quote.qeReportBytes(), quote.qeReportSignature())) {
        return Outcome.fail("the QE report's signature does not verify with the PCK certificate's key");
      }
      return Outcome.pass("the PCK certificate's key signed the QE report");
    }

    private Outcome qeReportBindsKey() throws GeneralSecurityException {
      MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
      sha256.update(quote.attestationKey());
      sha256.update(quote.qeAuthData());
      byte[] expected = Arrays.copyOf(sha256.digest(), REPORT_DATA_BYTES);
      if (!MessageDigest.isEqual(expected, quote.qeReport().reportData())) {
        return Outcome.fail("the QE report's REPORTDATA is not SHA-256(attestation key || QE authentication data) followed by zeros");
      }
      return Outcome.pass("the QE report's REPORTDATA commits to the attestation key");
    }

    private Outcome pckChain() throws TdxException {
      if (pckChain.isEmpty()) {
        return Outcome.fail("the PCK certificate chain in the quote does not parse: " + pckChainProblem);
      }
      X509Certificate pck = pckChain.get(0);
      X509Certificate ca = pckChain.get(1);
      X509Certificate root = pckChain.get(2);
      if (!CertificatePaths.commonName(pck).equals(PCK_CN) || !PCK_CA_CNS.contains(CertificatePaths.commonName(ca))) {
        return Outcome.fail("the quote's chain is " + CertificatePaths.commonName(pck) + " <- " + CertificatePaths.commonName(ca)
            + ", not a PCK certificate and a PCK CA");
      }
      List<X509Certificate> anchors = CertificatePaths.anchors(collateral);
      if (anchors.stream().noneMatch(a -> sameCertificate(a, root))) {
        return Outcome.fail(anchors.isEmpty()
            ? "no trust anchor: put the Intel SGX Root CA certificate (trusted_root.pem) in the certs folder"
            : "the quote's root certificate (" + CertificatePaths.commonName(root) + ") is none of the pinned roots in the certs folder");
      }
      X509Certificate trusted = CertificatePaths.validate(List.of(pck, ca), anchors, now);
      PckExtensions extensions = PckExtensions.of(pck);
      anchor = Optional.of(trusted);
      pckExtensions = Optional.of(extensions);
      return Outcome.pass(PCK_CN + " <- " + CertificatePaths.commonName(ca) + " <- " + CertificatePaths.commonName(trusted)
          + " (pinned), all valid at " + now + "; FMSPC " + extensions.fmspc());
    }

    private Outcome pckRevocation() {
      if (anchor.isEmpty()) {
        return Outcome.skip("the PCK chain did not verify");
      }
      return CertificatePaths.revocation(pckChain.subList(0, PCK_CHAIN_LENGTH - 1), anchor.get(), collateral.crls(), now);
    }

    private Outcome reportData(Optional<byte[]> expected) {
      byte[] actual = quote.tdReport().reportData();
      if (expected.isEmpty()) {
        return Outcome.skip("no expected REPORTDATA given");
      }
      if (expected.get().length != REPORT_DATA_BYTES) {
        return Outcome.fail("the expected REPORTDATA must be " + REPORT_DATA_BYTES + " bytes, not " + expected.get().length);
      }
      return MessageDigest.isEqual(actual, expected.get())
          ? Outcome.pass("REPORTDATA equals the expected binding")
          : Outcome.fail("REPORTDATA " + HEX.formatHex(actual) + " is not the expected " + HEX.formatHex(expected.get()));
    }

    private Outcome tdDebug() {
      String attributes = "TDATTRIBUTES " + HEX.formatHex(quote.tdReport().tdAttributes());
      if (!quote.tdReport().debug()) {
        return Outcome.pass("not a debug TD (" + attributes + ")");
      }
      return policy.allowDebug()
          ? Outcome.pass("a debug TD (" + attributes + "), allowed by the policy")
          : Outcome.fail("a debug TD (" + attributes + "): the host can read and change its memory");
    }

    private Outcome measurement() {
      String mrtd = HEX.formatHex(quote.tdReport().mrTd());
      return policy.expectedMrtd()
          .map(expected -> expected.equals(mrtd)
              ? Outcome.pass("MRTD equals the expected " + expected)
              : Outcome.fail("MRTD " + mrtd + " is not the expected " + expected))
          .orElseGet(() -> Outcome.skip("no expected MRTD given; MRTD is " + mrtd));
    }

    private Outcome tcbInfo() throws TdxException, GeneralSecurityException {
      if (collateralProblem.isPresent()) {
        return Outcome.fail(collateralProblem.get());
      }
      if (collateral.tcbInfo().isEmpty()) {
        return Outcome.skip("no TCB info supplied, so whether this platform's TCB is current or revoked is unknown ("
            + TdxCollateral.HOW_TO_SUPPLY + ")");
      }
      Optional<Outcome> unusable = collateralUnusable();
      if (unusable.isPresent()) {
        return unusable.get();
      }
      SignedCollateral signed = SignedCollateral.verify(collateral.tcbInfo().get(), "tcbInfo",
          SignedCollateral.signingCertificate(collateral).orElseThrow(), collateral, now);
      Outcome outcome = CollateralChecks.tcbInfo(signed, quote.tdReport(), pckExtensions.orElseThrow());
      if (outcome.passed()) {
        trustedTcbInfo = Optional.of(signed);
      }
      return outcome;
    }

    private Outcome tcbLevel() throws TdxException {
      if (trustedTcbInfo.isEmpty()) {
        return Outcome.skip("no trusted TCB info");
      }
      if (!passed(QUOTE_SIGNATURE)) {
        return Outcome.skip("the TD report's TEE_TCB_SVN is not authenticated");
      }
      return CollateralChecks.tcbLevel(trustedTcbInfo.get(), quote.tdReport(), pckExtensions.orElseThrow(), policy);
    }

    private Outcome qeIdentity() throws TdxException, GeneralSecurityException {
      if (collateralProblem.isPresent()) {
        return Outcome.fail(collateralProblem.get());
      }
      if (collateral.qeIdentity().isEmpty()) {
        return Outcome.skip("no QE identity supplied, so whether the quoting enclave is Intel's, and current, is unknown ("
            + TdxCollateral.HOW_TO_SUPPLY + ")");
      }
      Optional<Outcome> unusable = collateralUnusable();
      if (unusable.isPresent()) {
        return unusable.get();
      }
      if (!passed(QE_REPORT_SIGNATURE)) {
        return Outcome.skip("the QE report is not authenticated");
      }
      SignedCollateral signed = SignedCollateral.verify(collateral.qeIdentity().get(), "enclaveIdentity",
          SignedCollateral.signingCertificate(collateral).orElseThrow(), collateral, now);
      return CollateralChecks.qeIdentity(signed, quote.qeReport(), policy);
    }

    /** Why supplied TCB info or QE identity cannot be used, if it cannot. */
    private Optional<Outcome> collateralUnusable() {
      if (!passed(PCK_CHAIN)) {
        return Optional.of(Outcome.skip("the PCK certificate is not trusted, so the platform it describes is unknown"));
      }
      if (SignedCollateral.signingCertificate(collateral).isEmpty()) {
        return Optional.of(Outcome.skip("no " + SignedCollateral.TCB_SIGNING_CN + " certificate in the certs folder: "
            + "the collateral's signature cannot be checked, so its content is not used (" + TdxCollateral.HOW_TO_SUPPLY + ")"));
      }
      return Optional.empty();
    }

    private boolean passed(TdxCheck name) {
      return outcomes.get(name).passed();
    }

    private TdFields fields() {
      TdxQuote.TdReport td = quote.tdReport();
      return new TdFields(
          HEX.formatHex(td.teeTcbSvn()),
          HEX.formatHex(td.mrSeam()),
          HEX.formatHex(td.mrSignerSeam()),
          HEX.formatHex(td.seamAttributes()),
          HEX.formatHex(td.tdAttributes()),
          HEX.formatHex(td.xfam()),
          HEX.formatHex(td.mrTd()),
          HEX.formatHex(td.mrConfigId()),
          HEX.formatHex(td.mrOwner()),
          HEX.formatHex(td.mrOwnerConfig()),
          td.rtmrs().stream().map(HEX::formatHex).toList(),
          HEX.formatHex(td.reportData()),
          td.debug());
    }
  }

  /** A check step; whatever it throws fails the check, never the verification. */
  private interface Step {
    Outcome run() throws TdxException, GeneralSecurityException;
  }

  private static Outcome attempt(Step step) {
    try {
      return step.run();
    } catch (TdxException | GeneralSecurityException e) {
      return Outcome.fail(e.getMessage());
    } catch (RuntimeException e) {
      // Untrusted bytes reach JDK parsers and providers; whatever breaks there fails closed.
      return Outcome.fail("cannot be checked: " + e);
    }
  }

  /** The quote's PEM chain: exactly PCK certificate, PCK CA, root, and nothing else but whitespace. */
  static List<X509Certificate> parseChain(byte[] pem) throws TdxException {
    String text = new String(pem, StandardCharsets.ISO_8859_1);
    Matcher block = PEM_CERTIFICATE.matcher(text);
    List<X509Certificate> chain = new ArrayList<>();
    int end = 0;
    while (block.find()) {
      if (!text.substring(end, block.start()).isBlank()) {
        throw new TdxException("text outside the PEM certificate blocks at offset " + end);
      }
      try {
        byte[] der = Base64.getMimeDecoder().decode(block.group(1));
        chain.add((X509Certificate) TdxCollateral.x509Factory().generateCertificate(new ByteArrayInputStream(der)));
      } catch (IllegalArgumentException | CertificateException e) {
        throw new TdxException("certificate " + (chain.size() + 1) + " does not parse: " + e.getMessage());
      }
      end = block.end();
    }
    // The quote generator may pad the chain with NUL bytes.
    if (!text.substring(end).replace("\0", "").isBlank()) {
      throw new TdxException("text outside the PEM certificate blocks at offset " + end);
    }
    if (chain.size() != PCK_CHAIN_LENGTH) {
      throw new TdxException("expected " + PCK_CHAIN_LENGTH + " certificates (PCK, PCK CA, root), found " + chain.size());
    }
    return chain;
  }

  private static boolean sameCertificate(X509Certificate a, X509Certificate b) {
    try {
      return Arrays.equals(a.getEncoded(), b.getEncoded());
    } catch (CertificateException e) {
      return false;
    }
  }

  /** The P-256 public key x||y, refused when the point is not on the curve. */
  private static PublicKey p256Key(byte[] xy) throws GeneralSecurityException, TdxException {
    AlgorithmParameters parameters = AlgorithmParameters.getInstance("EC");
    parameters.init(new ECGenParameterSpec("secp256r1"));
    ECParameterSpec curve = parameters.getParameterSpec(ECParameterSpec.class);
    BigInteger x = new BigInteger(1, Arrays.copyOfRange(xy, 0, 32));
    BigInteger y = new BigInteger(1, Arrays.copyOfRange(xy, 32, 64));
    BigInteger p = ((ECFieldFp) curve.getCurve().getField()).getP();
    BigInteger left = y.pow(2).mod(p);
    BigInteger right = x.pow(3).add(curve.getCurve().getA().multiply(x)).add(curve.getCurve().getB()).mod(p);
    if (x.compareTo(p) >= 0 || y.compareTo(p) >= 0 || !left.equals(right)) {
      throw new TdxException("the attestation key is not a point on P-256");
    }
    return KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(new ECPoint(x, y), curve));
  }

  private static boolean verifyRaw(PublicKey key, byte[] data, byte[] signature) throws GeneralSecurityException {
    Signature verifier = Signature.getInstance(ECDSA_P256_RAW);
    verifier.initVerify(key);
    verifier.update(data);
    return verifier.verify(signature);
  }
}
