package dev.cmcp.verify.audit;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.verify.base.Base64Url;
import dev.cmcp.verify.base.CanonicalJson;
import dev.cmcp.verify.base.Jwk;
import java.security.GeneralSecurityException;
import java.security.Signature;

/**
 * What a signed audit checkpoint covers, and its check: the claim key's Ed25519 signature over the
 * RFC 8785 JSON of {@code {"statement": "cmcp-audit-checkpoint-v1", "epoch", "length", "root",
 * "tip"}}. The {@code statement} member keeps a checkpoint from ever reading as a claim, or the
 * reverse. {@code ClaimSigner.signCheckpoint} signs these same bytes.
 */
public final class CheckpointSignature {

  /** The statement's name, signed with it. */
  public static final String STATEMENT = "cmcp-audit-checkpoint-v1";

  private static final int SIGNATURE_BYTES = 64;

  private CheckpointSignature() {}

  /** The bytes signed for the chain of {@code epoch} as it stood after {@code length} entries. */
  public static byte[] signedBytes(String epoch, long length, String root, String tip) {
    ObjectNode statement = JsonNodeFactory.instance.objectNode();
    statement.put("statement", STATEMENT);
    statement.put("epoch", epoch);
    statement.put("length", length);
    statement.put("root", root);
    statement.put("tip", tip);
    return CanonicalJson.bytes(statement);
  }

  /** Whether {@code signature} (base64url) is {@code key}'s signature over {@link #signedBytes}. */
  public static boolean verifies(Jwk key, String signature, String epoch, long length, String root, String tip) {
    try {
      Signature ed25519 = Signature.getInstance("Ed25519");
      ed25519.initVerify(key.publicKey());
      ed25519.update(signedBytes(epoch, length, root, tip));
      return ed25519.verify(Base64Url.decode(signature, SIGNATURE_BYTES, IllegalArgumentException::new));
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      return false;
    }
  }
}
