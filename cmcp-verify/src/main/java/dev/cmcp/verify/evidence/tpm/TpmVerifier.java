package dev.cmcp.verify.evidence.tpm;

import dev.cmcp.verify.base.CheckStatus;
import dev.cmcp.verify.evidence.tpm.TpmReport.Check;
import dev.cmcp.verify.evidence.tpm.TpmReport.QuoteFields;
import java.io.ByteArrayOutputStream;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.time.Instant;
import java.util.ArrayList;
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
 * TPM: that needs an EK certificate chain, and until one is supplied {@code ak_trust} says so.
 * Nothing here throws on bad input: it fails a check instead.
 */
public final class TpmVerifier {

  private static final int BINDING_BYTES = 64;
  private static final HexFormat HEX = HexFormat.of();

  static final String AK_NOT_CERTIFIED = "AK not certified: no EK certificate chain supplied. The quote proves that "
      + "the holder of this AK signed it, not that a TPM did: that needs the TPM's EK certificate chained to its "
      + "manufacturer's root, and proof that the AK lives in the same TPM (an AK certificate issued after "
      + "TPM2_MakeCredential/ActivateCredential against that EK, or the TPM's IAK certificate)";

  private TpmVerifier() {}

  /**
   * @param evidenceJson the evidence JSON ({@code trace.runtime.evidence}, base64url-decoded)
   * @param expectedBinding the claim's 64-byte binding, whose SHA-256 must be the quote's
   *     qualifying data; empty to skip that check
   * @param expectedMeasurement hex PCR digest the quote must carry; empty to skip that check
   * @param now when an EK certificate chain would have to be valid; not used until one is taken
   * @throws IllegalArgumentException when {@code expectedBinding} is not 64 bytes: a caller's
   *     mistake, not bad evidence
   */
  public static TpmReport verify(
      byte[] evidenceJson, Optional<byte[]> expectedBinding, Optional<String> expectedMeasurement, Instant now) {
    Objects.requireNonNull(now, "now");
    expectedBinding.ifPresent(binding -> {
      if (binding.length != BINDING_BYTES) {
        throw new IllegalArgumentException("the expected binding has " + binding.length + " bytes, not " + BINDING_BYTES);
      }
    });
    Parsed parsed;
    try {
      parsed = Parsed.of(evidenceJson);
    } catch (TpmFormatException e) {
      List<Check> checks = new ArrayList<>();
      for (TpmCheck name : TpmCheck.values()) {
        checks.add(name == TpmCheck.ATTEST_FORMAT
            ? new Check(name, CheckStatus.FAIL, e.getMessage())
            : new Check(name, CheckStatus.SKIP, "the evidence could not be parsed"));
      }
      return new TpmReport(checks, Optional.empty());
    }
    Map<TpmCheck, Check> checks = new LinkedHashMap<>();
    checks.put(TpmCheck.ATTEST_FORMAT, pass(TpmCheck.ATTEST_FORMAT, "TPM_ST_ATTEST_QUOTE from TPM_GENERATED_VALUE; "
        + parsed.signature.describe() + " signature; " + parsed.ak.key().describe() + " AK"));
    checks.put(TpmCheck.AK_ATTRIBUTES, akAttributes(parsed.ak));
    checks.put(TpmCheck.AK_SIGNATURE, akSignature(parsed));
    checks.put(TpmCheck.QUALIFYING_DATA, qualifyingData(parsed.attest, expectedBinding));
    checks.put(TpmCheck.PCR_DIGEST, pcrDigest(parsed));
    checks.put(TpmCheck.MEASUREMENT, measurement(parsed.attest, expectedMeasurement));
    checks.put(TpmCheck.AK_TRUST, new Check(TpmCheck.AK_TRUST, CheckStatus.SKIP, AK_NOT_CERTIFIED));
    return new TpmReport(List.copyOf(checks.values()), Optional.of(fields(parsed)));
  }

  /** The evidence with its three TPM structures read, and the AK as a JDK key. */
  private record Parsed(TpmEvidence evidence, TpmsAttest attest, TpmtSignature signature, TpmtPublic ak, PublicKey akKey) {
    static Parsed of(byte[] json) throws TpmFormatException {
      TpmEvidence evidence = TpmEvidence.fromJson(json);
      TpmsAttest attest = TpmsAttest.parse(evidence.attest());
      TpmtSignature signature = TpmtSignature.parse(evidence.signature());
      TpmtPublic ak = TpmtPublic.parse(evidence.akPublic());
      return new Parsed(evidence, attest, signature, ak, ak.key().toJdkKey());
    }
  }

  private static Check akAttributes(TpmtPublic ak) {
    List<String> missing = ak.missingAkAttributes();
    if (missing.isEmpty()) {
      return pass(TpmCheck.AK_ATTRIBUTES, "restricted signing key, fixedTPM, fixedParent, sensitiveDataOrigin");
    }
    return fail(TpmCheck.AK_ATTRIBUTES, "not an attestation key: lacks " + String.join(", ", missing)
        + " (a key that is not a restricted, TPM-bound signing key can sign data that only looks like a quote)");
  }

  private static Check akSignature(Parsed parsed) {
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

  private static Check qualifyingData(TpmsAttest attest, Optional<byte[]> expectedBinding) {
    if (expectedBinding.isEmpty()) {
      return new Check(TpmCheck.QUALIFYING_DATA, CheckStatus.SKIP, "no expected binding given");
    }
    byte[] expected = TpmHash.SHA256.digest(expectedBinding.get());
    if (MessageDigest.isEqual(expected, attest.extraData())) {
      return pass(TpmCheck.QUALIFYING_DATA, "extraData is SHA-256 of the binding: " + HEX.formatHex(expected));
    }
    return fail(TpmCheck.QUALIFYING_DATA, "extraData " + HEX.formatHex(attest.extraData())
        + " is not SHA-256 of the expected binding (" + HEX.formatHex(expected) + ")");
  }

  private static Check pcrDigest(Parsed parsed) {
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

  private static Check measurement(TpmsAttest attest, Optional<String> expectedMeasurement) {
    if (expectedMeasurement.isEmpty()) {
      return new Check(TpmCheck.MEASUREMENT, CheckStatus.SKIP, "no expected measurement given");
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

  private static Check pass(TpmCheck name, String reason) {
    return new Check(name, CheckStatus.PASS, reason);
  }

  private static Check fail(TpmCheck name, String reason) {
    return new Check(name, CheckStatus.FAIL, reason);
  }
}
