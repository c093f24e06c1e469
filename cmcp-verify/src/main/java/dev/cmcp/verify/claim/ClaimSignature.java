package dev.cmcp.verify.claim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.verify.base.Base64Url;
import dev.cmcp.verify.base.CanonicalJson;
import dev.cmcp.verify.base.Jwk;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.PublicKey;
import java.security.Signature;

/**
 * What a claim signature covers, and its check. {@link ClaimSigner} uses the same
 * {@link #signedBytes} so signer and verifier cannot disagree about what was signed.
 */
public final class ClaimSignature {

  /** The member of the claim object that holds the signature. */
  public static final String FIELD = "signature";

  static final int SIGNATURE_BYTES = 64;

  private ClaimSignature() {}

  /** RFC 8785 canonical JSON of the claim object without its {@code signature} member. */
  public static byte[] signedBytes(JsonNode claim) {
    if (!claim.isObject()) {
      throw new IllegalArgumentException("a claim is a JSON object");
    }
    ObjectNode unsigned = claim.deepCopy();
    unsigned.remove(FIELD);
    return CanonicalJson.bytes(unsigned);
  }

  /**
   * Returns normally when the claim's {@code signature} is a valid Ed25519 signature by
   * {@code key} over {@link #signedBytes}; throws otherwise.
   */
  public static void verify(JsonNode claim, Jwk key) throws ClaimException {
    JsonNode value = claim.get(FIELD);
    if (value == null || !value.isTextual()) {
      throw new ClaimException("signature: missing or not a string");
    }
    byte[] signature = Base64Url.decode(value.asText(), SIGNATURE_BYTES, ClaimException.at(FIELD));
    PublicKey publicKey;
    try {
      publicKey = key.publicKey();
    } catch (InvalidKeyException e) {
      throw new ClaimException(e.getMessage());
    }
    boolean valid;
    try {
      Signature ed25519 = Signature.getInstance("Ed25519");
      ed25519.initVerify(publicKey);
      ed25519.update(signedBytes(claim));
      valid = ed25519.verify(signature);
    } catch (GeneralSecurityException e) {
      // Also what the JDK throws for a signature whose S is out of range: not a signature.
      valid = false;
    }
    if (!valid) {
      throw new ClaimException("signature does not verify with trace.cnf.jwk: the claim was altered after signing, or signed by another key");
    }
  }
}
