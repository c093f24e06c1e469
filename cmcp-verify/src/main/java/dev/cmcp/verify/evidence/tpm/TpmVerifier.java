package dev.cmcp.verify.evidence.tpm;

import dev.cmcp.verify.base.Check;
import dev.cmcp.verify.base.CheckStatus;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Checks a TPM 2.0 quote ({@link TpmEvidence}) offline. The quote says: "the key AK signed these
 * PCR digests, with this qualifying data". Each part of that is its own named check, so a report
 * says exactly which one broke. What the quote cannot say by itself is that AK belongs to a real
 * TPM: {@code ak_trust} passes only for an enrolled AK, whose AK certificate (carried in the
 * evidence) chains to the auditor's enrollment CA and names this AK and an EK certificate that
 * chains to a TPM manufacturer's root ({@link TpmTrust.Anchors}).
 * Nothing here throws on bad input: it fails a check instead.
 */
public final class TpmVerifier {

  private static final int BINDING_BYTES = 64;
  private static final HexFormat HEX = HexFormat.of();

  static final String AK_NOT_CERTIFIED = "AK not certified: no EK certificate chain or AK certificate in the evidence. The quote proves"
      + " that the holder of this AK signed it, not that a TPM did: that needs the TPM's EK certificate chained to its"
      + " manufacturer's root, and proof that the AK lives in the same TPM (an AK certificate issued by cmcp tpm enroll"
      + " after TPM2_MakeCredential/ActivateCredential against that EK)";
  static final String NO_ANCHORS = "AK not checked: the evidence carries an AK certificate, but no enrollment CA and"
      + " TPM manufacturer roots were given (--tpm-ak-ca, --tpm-ek-roots), so nothing ties the AK to a TPM";

  private TpmVerifier() {}

  /**
   * @param evidenceJson the evidence JSON ({@code trace.runtime.evidence}, base64url-decoded)
   * @param expectedBinding the claim's 64-byte binding, whose SHA-256 must be the quote's
   *     qualifying data; empty to skip that check
   * @param expectedMeasurement hex PCR digest the quote must carry; empty to skip that check
   * @param trust the enrollment CA and manufacturer roots {@code ak_trust} checks the AK with, or
   *     {@link TpmTrust#notConfigured()}: then {@code ak_trust} is skipped and the result at best partial
   * @param now when the AK and EK certificate chains must be valid
   * @throws IllegalArgumentException when {@code expectedBinding} is not 64 bytes: a caller's
   *     mistake, not bad evidence
   */
  public static TpmVerification verify(
      byte[] evidenceJson, Optional<byte[]> expectedBinding, Optional<String> expectedMeasurement, TpmTrust trust,
      Instant now) {
    Objects.requireNonNull(now, "now");
    Objects.requireNonNull(trust, "trust");
    expectedBinding.ifPresent(binding -> {
      if (binding.length != BINDING_BYTES) {
        throw new IllegalArgumentException("the expected binding has " + binding.length + " bytes, not " + BINDING_BYTES);
      }
    });
    Parsed parsed;
    try {
      parsed = Parsed.of(evidenceJson);
    } catch (TpmFormatException e) {
      List<Check<TpmCheck>> checks = new ArrayList<>();
      for (TpmCheck name : TpmCheck.values()) {
        checks.add(name == TpmCheck.ATTEST_FORMAT
            ? new Check<>(name, CheckStatus.FAIL, e.getMessage())
            : new Check<>(name, CheckStatus.SKIP, "the evidence could not be parsed"));
      }
      return TpmVerification.of(checks, Optional.empty());
    }
    Map<TpmCheck, Check<TpmCheck>> checks = new LinkedHashMap<>();
    checks.put(TpmCheck.ATTEST_FORMAT, pass(TpmCheck.ATTEST_FORMAT, "TPM_ST_ATTEST_QUOTE from TPM_GENERATED_VALUE; "
        + parsed.signature.describe() + " signature; " + parsed.ak.key().describe() + " AK"));
    checks.put(TpmCheck.AK_ATTRIBUTES, akAttributes(parsed.ak));
    checks.put(TpmCheck.AK_SIGNATURE, akSignature(parsed));
    checks.put(TpmCheck.QUALIFYING_DATA, qualifyingData(parsed.attest, expectedBinding));
    checks.put(TpmCheck.PCR_DIGEST, pcrDigest(parsed));
    checks.put(TpmCheck.MEASUREMENT, measurement(parsed.attest, expectedMeasurement));
    checks.put(TpmCheck.AK_TRUST, akTrust(parsed, trust, now));
    return TpmVerification.of(List.copyOf(checks.values()), Optional.of(fields(parsed)));
  }

  /** The evidence with its three TPM structures and its certificates read, and the AK as a JDK key. */
  private record Parsed(TpmEvidence evidence, TpmsAttest attest, TpmtSignature signature, TpmtPublic ak, PublicKey akKey,
      Optional<Certificates> certificates) {
    static Parsed of(byte[] json) throws TpmFormatException {
      TpmEvidence evidence = TpmEvidence.fromJson(json);
      TpmsAttest attest = TpmsAttest.parse(evidence.attest());
      TpmtSignature signature = TpmtSignature.parse(evidence.signature());
      TpmtPublic ak = TpmtPublic.parse(evidence.akPublic());
      Optional<Certificates> certificates = Optional.empty();
      if (evidence.enrollment().isPresent()) {
        TpmEvidence.Enrollment enrollment = evidence.enrollment().get();
        certificates = Optional.of(new Certificates(
            x509(enrollment.akCertificate(), "ak_certificate"), x509(enrollment.ekCertificate(), "ek_certificate"),
            TpmHash.SHA256.digest(enrollment.ekCertificate())));
      }
      return new Parsed(evidence, attest, signature, ak, ak.key().toJdkKey(), certificates);
    }

    private static X509Certificate x509(byte[] der, String field) throws TpmFormatException {
      try {
        return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
      } catch (CertificateException | ClassCastException e) {
        throw new TpmFormatException("evidence." + field + ": not an X.509 certificate in DER (" + e.getMessage() + ")");
      }
    }
  }

  private record Certificates(X509Certificate ak, X509Certificate ek, byte[] ekSha256) {}

  /**
   * Whether an enrollment ties the AK to a genuine TPM: the AK certificate chains to the
   * enrollment CA, its AkBinding names this AK's Name and this EK certificate, its key is the
   * AK's, and the EK certificate chains to a manufacturer root. Anchors given and no
   * certificates in the evidence is a failure: the auditor asked for an enrolled AK.
   */
  private static Check<TpmCheck> akTrust(Parsed parsed, TpmTrust trust, Instant now) {
    return switch (trust) {
      case TpmTrust.NotConfigured none -> new Check<>(TpmCheck.AK_TRUST, CheckStatus.SKIP,
          parsed.certificates.isPresent() ? NO_ANCHORS : AK_NOT_CERTIFIED);
      case TpmTrust.Anchors anchors -> parsed.certificates
          .map(certificates -> certified(parsed, certificates, anchors, now))
          .orElseGet(() -> fail(TpmCheck.AK_TRUST, "the evidence carries no AK and EK certificates, and an enrolled AK was"
              + " required (--tpm-ak-ca, --tpm-ek-roots): enroll the gateway's TPM with cmcp tpm enroll and configure"
              + " attestation.tpm_enrollment"));
    };
  }

  private static Check<TpmCheck> certified(Parsed parsed, Certificates certificates, TpmTrust.Anchors anchors, Instant now) {
    List<String> akChain;
    AkCertificate.Binding binding;
    List<String> ekChain;
    try {
      akChain = EkCertificate.chain(certificates.ak(), anchors.enrollmentCa(), now, "the AK certificate", "enrollment CA",
          "give the enrollment CA's certificate (--tpm-ak-ca)");
      binding = AkCertificate.Binding.of(certificates.ak());
      ekChain = EkCertificate.chain(certificates.ek(), anchors.manufacturerRoots(), now, "the EK certificate",
          "manufacturer root", "give the TPM vendor's root CA certificate (--tpm-ek-roots)");
    } catch (TpmFormatException e) {
      return fail(TpmCheck.AK_TRUST, e.getMessage());
    }
    if (!MessageDigest.isEqual(binding.akName(), parsed.ak.name())) {
      return fail(TpmCheck.AK_TRUST, "the AK certificate was issued for AK " + HEX.formatHex(binding.akName())
          + ", the quote was signed by AK " + HEX.formatHex(parsed.ak.name()));
    }
    if (!Arrays.equals(certificates.ak().getPublicKey().getEncoded(), parsed.akKey.getEncoded())) {
      return fail(TpmCheck.AK_TRUST, "the AK certificate's public key is not the AK's, though it names the AK's Name");
    }
    if (!MessageDigest.isEqual(binding.ekCertificateSha256(), certificates.ekSha256())) {
      return fail(TpmCheck.AK_TRUST, "the AK certificate was issued against EK certificate sha256 "
          + HEX.formatHex(binding.ekCertificateSha256()) + ", the evidence carries EK certificate sha256 "
          + HEX.formatHex(certificates.ekSha256()));
    }
    return pass(TpmCheck.AK_TRUST, "AK certified by enrollment CA " + akChain.get(akChain.size() - 1)
        + " against EK certificate " + HEX.formatHex(certificates.ekSha256()) + ", which chains to manufacturer root "
        + ekChain.get(ekChain.size() - 1));
  }

  private static Check<TpmCheck> akAttributes(TpmtPublic ak) {
    List<String> missing = ak.missingAkAttributes();
    if (missing.isEmpty()) {
      return pass(TpmCheck.AK_ATTRIBUTES, "restricted signing key, fixedTPM, fixedParent, sensitiveDataOrigin");
    }
    return fail(TpmCheck.AK_ATTRIBUTES, "not an attestation key: lacks " + String.join(", ", missing)
        + " (a key that is not a restricted, TPM-bound signing key can sign data that only looks like a quote)");
  }

  private static Check<TpmCheck> akSignature(Parsed parsed) {
    TpmtSignature signature = parsed.signature;
    if (signature.hash() == TpmHash.SHA1) {
      return fail(TpmCheck.AK_SIGNATURE, "SHA-1 signatures are not accepted");
    }
    try {
      boolean valid = switch (signature) {
        case TpmtSignature.Ecdsa ecdsa -> verifyEcdsa(ecdsa, parsed);
        case TpmtSignature.Rsa rsa -> verifyRsa(rsa, parsed);
      };
      return valid
          ? pass(TpmCheck.AK_SIGNATURE, signature.describe() + " signature over TPMS_ATTEST verifies with the AK")
          : fail(TpmCheck.AK_SIGNATURE, signature.describe() + " signature over TPMS_ATTEST does not verify with the AK");
    } catch (TpmFormatException e) {
      return fail(TpmCheck.AK_SIGNATURE, e.getMessage());
    } catch (GeneralSecurityException e) {
      return fail(TpmCheck.AK_SIGNATURE, "the signature could not be checked: " + e.getMessage());
    }
  }

  private static boolean verifyEcdsa(TpmtSignature.Ecdsa ecdsa, Parsed parsed)
      throws TpmFormatException, GeneralSecurityException {
    if (!(parsed.ak.key() instanceof TpmtPublic.EccKey key)) {
      throw new TpmFormatException("an ECDSA signature cannot come from the " + parsed.ak.key().describe() + " AK");
    }
    // The JDK's P1363 form is r || s, each exactly the curve's coordinate size.
    int size = key.curve().coordinateSize;
    byte[] rs = new byte[2 * size];
    place(ecdsa.r(), rs, 0, size);
    place(ecdsa.s(), rs, size, size);
    Signature verifier = Signature.getInstance(ecdsa.hash().jdkName.replace("-", "") + "withECDSAinP1363Format");
    verifier.initVerify(parsed.akKey);
    verifier.update(parsed.evidence.attest());
    return verifier.verify(rs);
  }

  /** Right-aligns a big-endian number in {@code width} bytes, refusing one that does not fit. */
  private static void place(byte[] number, byte[] target, int offset, int width) throws TpmFormatException {
    int start = 0;
    while (start < number.length && number[start] == 0) {
      start++;
    }
    int length = number.length - start;
    if (length > width) {
      throw new TpmFormatException("an ECDSA signature value is longer than the curve's " + width + " bytes");
    }
    System.arraycopy(number, start, target, offset + width - length, length);
  }

  private static boolean verifyRsa(TpmtSignature.Rsa rsa, Parsed parsed) throws TpmFormatException, GeneralSecurityException {
    if (!(parsed.ak.key() instanceof TpmtPublic.RsaKey key)) {
      throw new TpmFormatException("an RSA signature cannot come from the " + parsed.ak.key().describe() + " AK");
    }
    String hash = rsa.hash().jdkName;
    if (!rsa.pss()) {
      Signature verifier = Signature.getInstance(hash.replace("-", "") + "withRSA");
      verifier.initVerify(parsed.akKey);
      verifier.update(parsed.evidence.attest());
      return verifier.verify(rsa.signature());
    }
    // TPMs differ in the PSS salt they use: the digest size (as FIPS 186 wants) or the largest
    // the key allows (as the TPM 2.0 spec once said). Both are genuine TPM signatures.
    int digestSize = rsa.hash().digestSize;
    int largestSalt = (key.keyBits() - 1 + 7) / 8 - digestSize - 2;
    for (int salt : new int[] {digestSize, largestSalt}) {
      Signature verifier = Signature.getInstance("RSASSA-PSS");
      verifier.setParameter(new PSSParameterSpec(hash, "MGF1", new MGF1ParameterSpec(hash), salt, 1));
      verifier.initVerify(parsed.akKey);
      verifier.update(parsed.evidence.attest());
      if (verifier.verify(rsa.signature())) {
        return true;
      }
    }
    return false;
  }

  private static Check<TpmCheck> qualifyingData(TpmsAttest attest, Optional<byte[]> expectedBinding) {
    if (expectedBinding.isEmpty()) {
      return new Check<>(TpmCheck.QUALIFYING_DATA, CheckStatus.SKIP, "no expected binding given");
    }
    byte[] expected = TpmHash.SHA256.digest(expectedBinding.get());
    if (MessageDigest.isEqual(expected, attest.extraData())) {
      return pass(TpmCheck.QUALIFYING_DATA, "extraData is SHA-256 of the binding: " + HEX.formatHex(expected));
    }
    return fail(TpmCheck.QUALIFYING_DATA, "extraData " + HEX.formatHex(attest.extraData())
        + " is not SHA-256 of the expected binding (" + HEX.formatHex(expected) + ")");
  }

  private static Check<TpmCheck> pcrDigest(Parsed parsed) {
    TpmsAttest attest = parsed.attest;
    TpmHash hash = parsed.signature.hash();
    Map<String, byte[]> reported = new LinkedHashMap<>();
    for (TpmEvidence.PcrValue pcr : parsed.evidence.pcrs()) {
      reported.put(pcr.bank() + ":" + pcr.index(), pcr.value());
    }
    ByteArrayOutputStream quoted = new ByteArrayOutputStream();
    for (TpmsAttest.PcrBank bank : attest.pcrSelection()) {
      for (int index : bank.indexes()) {
        byte[] value = reported.remove(bank.hash().bankName + ":" + index);
        if (value == null) {
          return fail(TpmCheck.PCR_DIGEST, "the quote covers PCR " + bank.hash().bankName + ":" + index
              + ", whose value the evidence does not report");
        }
        quoted.writeBytes(value);
      }
    }
    if (!reported.isEmpty()) {
      return fail(TpmCheck.PCR_DIGEST, "the evidence reports PCR " + String.join(", ", reported.keySet())
          + ", which the quote does not cover");
    }
    byte[] digest = hash.digest(quoted.toByteArray());
    if (MessageDigest.isEqual(digest, attest.pcrDigest())) {
      return pass(TpmCheck.PCR_DIGEST, hash.jdkName + " of " + selection(attest) + " is the quoted pcrDigest");
    }
    return fail(TpmCheck.PCR_DIGEST, hash.jdkName + " of the reported values of " + selection(attest) + " is "
        + HEX.formatHex(digest) + ", the quote signed " + HEX.formatHex(attest.pcrDigest()));
  }

  private static Check<TpmCheck> measurement(TpmsAttest attest, Optional<String> expectedMeasurement) {
    if (expectedMeasurement.isEmpty()) {
      return new Check<>(TpmCheck.MEASUREMENT, CheckStatus.SKIP, "no expected measurement given");
    }
    String actual = HEX.formatHex(attest.pcrDigest());
    String expected = expectedMeasurement.get().toLowerCase(Locale.ROOT);
    return actual.equals(expected)
        ? pass(TpmCheck.MEASUREMENT, "pcrDigest is the expected " + actual)
        : fail(TpmCheck.MEASUREMENT, "pcrDigest is " + actual + ", expected " + expected);
  }

  private static QuoteFields fields(Parsed parsed) {
    TpmsAttest attest = parsed.attest;
    return new QuoteFields(
        HEX.formatHex(attest.pcrDigest()),
        selection(attest),
        HEX.formatHex(attest.extraData()),
        HEX.formatHex(parsed.ak.name()),
        parsed.ak.key().describe(),
        parsed.signature.describe(),
        HEX.formatHex(attest.qualifiedSigner()),
        attest.clock(),
        attest.resetCount(),
        attest.restartCount(),
        attest.safe(),
        String.format("%016x", attest.firmwareVersion()));
  }

  /** {@code sha256:0,1,2+sha1:0}, in the quote's order. */
  private static String selection(TpmsAttest attest) {
    return attest.pcrSelection().stream()
        .map(bank -> bank.hash().bankName + ":"
            + bank.indexes().stream().map(String::valueOf).collect(Collectors.joining(",")))
        .collect(Collectors.joining("+"));
  }

  private static Check<TpmCheck> pass(TpmCheck name, String reason) {
    return new Check<>(name, CheckStatus.PASS, reason);
  }

  private static Check<TpmCheck> fail(TpmCheck name, String reason) {
    return new Check<>(name, CheckStatus.FAIL, reason);
  }
}
