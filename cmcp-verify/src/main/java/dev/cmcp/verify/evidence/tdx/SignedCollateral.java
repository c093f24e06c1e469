package dev.cmcp.verify.evidence.tdx;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import dev.cmcp.verify.base.CheckStatus;
import dev.cmcp.verify.base.StrictJson;
import dev.cmcp.verify.evidence.TrustStore;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * Intel's TCB info or QE identity, once its signature is checked. Intel signs the raw text of the
 * {@code tcbInfo} (or {@code enclaveIdentity}) value exactly as the response carries it, with the
 * Intel SGX TCB Signing certificate; the verdicts use a tree parsed from those same signed bytes.
 *
 * @param body the signed object
 * @param signer the TCB signing certificate's subject CN
 */
record SignedCollateral(JsonNode body, Instant issueDate, Instant nextUpdate, String signer) {

  static final String TCB_SIGNING_CN = "Intel SGX TCB Signing";
  private static final String SIGNATURE = "signature";
  private static final int SIGNATURE_BYTES = 64;

  /** The TCB signing certificate among the supplied ones; its path to a pinned root is checked on use. */
  static Optional<X509Certificate> signingCertificate(TdxCollateral collateral) {
    return collateral.certificates().stream()
        .filter(c -> !CertificatePaths.selfSigned(c) && CertificatePaths.commonName(c).equals(TCB_SIGNING_CN))
        .findFirst();
  }

  /**
   * Checks {@code document}'s signature by {@code signer}, the signer's path to a pinned root, its
   * revocation when the root's CRL is supplied, and that the document is current at {@code now}.
   *
   * @param bodyField {@code tcbInfo} or {@code enclaveIdentity}
   */
  static SignedCollateral verify(TrustStore.Document document, String bodyField, X509Certificate signer,
      TdxCollateral collateral, Instant now) throws TdxException, GeneralSecurityException {
    String source = document.source();
    byte[] json = document.json();
    JsonNode whole = parse(json, source);
    if (!whole.isObject() || whole.size() != 2 || !whole.has(bodyField) || !whole.has(SIGNATURE)) {
      throw new TdxException(source + ": expected exactly the fields \"" + bodyField + "\" and \"signature\"");
    }
    String signatureHex = whole.get(SIGNATURE).asText();
    if (!whole.get(SIGNATURE).isTextual() || signatureHex.length() != 2 * SIGNATURE_BYTES || !signatureHex.matches("[0-9a-fA-F]*")) {
      throw new TdxException(source + ": \"signature\" must be " + 2 * SIGNATURE_BYTES + " hex digits (r||s)");
    }

    X509Certificate anchor = CertificatePaths.validate(List.of(signer), CertificatePaths.anchors(collateral), now);
    Outcome revocation = CertificatePaths.revocation(List.of(signer), anchor, collateral.crls(), now);
    if (revocation.status() == CheckStatus.FAIL) {
      throw new TdxException(revocation.reason());
    }

    byte[] signed = rawValue(json, bodyField, source);
    Signature verifier = Signature.getInstance(TdxVerifier.ECDSA_P256_RAW);
    verifier.initVerify(signer.getPublicKey());
    verifier.update(signed);
    if (!verifier.verify(HexFormat.of().parseHex(signatureHex))) {
      throw new TdxException(source + ": the signature does not verify with " + TCB_SIGNING_CN);
    }

    JsonNode body = parse(signed, source);
    Instant issueDate = instant(body, "issueDate", source);
    Instant nextUpdate = instant(body, "nextUpdate", source);
    if (issueDate.isAfter(now)) {
      throw new TdxException(source + ": issued " + issueDate + ", after " + now + ": supply the one current then");
    }
    if (nextUpdate.isBefore(now)) {
      throw new TdxException(source + ": stale at " + now + " (next update " + nextUpdate + "): supply a current one");
    }
    return new SignedCollateral(body, issueDate, nextUpdate, CertificatePaths.commonName(signer));
  }

  /** The exact bytes of the top-level field {@code name}'s value, as Intel signed them. */
  private static byte[] rawValue(byte[] json, String name, String source) throws TdxException {
    try (JsonParser parser = new JsonFactory().createParser(json)) {
      parser.nextToken();
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        boolean wanted = parser.currentName().equals(name);
        JsonToken value = parser.nextToken();
        long start = parser.currentTokenLocation().getByteOffset();
        parser.skipChildren();
        if (wanted && value == JsonToken.START_OBJECT) {
          long end = parser.currentLocation().getByteOffset();
          return Arrays.copyOfRange(json, (int) start, (int) end);
        }
      }
    } catch (IOException e) {
      throw new TdxException(source + ": " + e.getMessage());
    }
    throw new TdxException(source + ": \"" + name + "\" must be an object");
  }

  private static JsonNode parse(byte[] json, String source) throws TdxException {
    try {
      return new StrictJson().parse(json);
    } catch (StrictJson.MalformedJsonException e) {
      throw new TdxException(source + ": not valid JSON: " + e.getMessage());
    }
  }

  private static Instant instant(JsonNode body, String field, String source) throws TdxException {
    try {
      return Instant.parse(body.path(field).asText());
    } catch (DateTimeParseException e) {
      throw new TdxException(source + ": \"" + field + "\" must be an ISO-8601 UTC time");
    }
  }
}
