package dev.cmcp.verify.claim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.verify.audit.CheckpointSignature;
import dev.cmcp.verify.base.Base64Url;
import dev.cmcp.verify.base.Jwk;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.interfaces.EdECPrivateKey;

/**
 * Signs claims with the gateway's Ed25519 claim key.
 *
 * <p>It takes the key pair, not only the private key, so that it can refuse to sign a claim
 * whose {@code trace.cnf.jwk} names another key: such a claim could never verify, and the
 * mistake is better found at the gateway than by an auditor.
 */
public final class ClaimSigner {

  private final PrivateKey privateKey;
  private final Jwk jwk;

  public ClaimSigner(KeyPair keyPair) {
    if (!(keyPair.getPrivate() instanceof EdECPrivateKey key) || !key.getParams().getName().equals("Ed25519")) {
      throw new IllegalArgumentException("the claim key must be Ed25519, not " + keyPair.getPrivate().getAlgorithm());
    }
    this.privateKey = keyPair.getPrivate();
    this.jwk = Jwk.fromPublicKey(keyPair.getPublic());
  }

  /** The public half, for {@code trace.cnf.jwk}. */
  public Jwk jwk() {
    return jwk;
  }

  /**
   * A copy of {@code claim} with its {@code signature} set; any signature already there is
   * replaced, since it is not covered by the signature.
   */
  public ObjectNode sign(ObjectNode claim) {
    JsonNode named = claim.path("trace").path("cnf").path("jwk");
    if (!named.equals(jwk.toJson())) {
      throw new IllegalArgumentException("trace.cnf.jwk of the claim is not this signer's key " + jwk.toJson());
    }
    ObjectNode signed = claim.deepCopy();
    try {
      Signature ed25519 = Signature.getInstance("Ed25519");
      ed25519.initSign(privateKey);
      ed25519.update(ClaimSignature.signedBytes(signed));
      signed.put(ClaimSignature.FIELD, Base64Url.encode(ed25519.sign()));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("Ed25519 signing failed", e);
    }
    return signed;
  }

  /**
   * The signature (base64url) of an audit checkpoint: the chain of {@code epoch} after
   * {@code length} entries has this Merkle {@code root} and last entry hash {@code tip}.
   */
  public String signCheckpoint(String epoch, long length, String root, String tip) {
    try {
      Signature ed25519 = Signature.getInstance("Ed25519");
      ed25519.initSign(privateKey);
      ed25519.update(CheckpointSignature.signedBytes(epoch, length, root, tip));
      return Base64Url.encode(ed25519.sign());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("Ed25519 signing failed", e);
    }
  }
}
