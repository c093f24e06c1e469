package dev.cmcp.verify.claim;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.verify.CanonicalJson;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The 64 bytes a platform report carries as its user data (SNP REPORT_DATA, TDX REPORTDATA,
 * the software evidence's report_data): SHA-512 of the canonical JSON of
 * {@code {bundle_hash, catalog_hash, enforcement_mode, cnf_jwk_thumbprint}}. It ties the claim
 * key and the policy to the measured runtime; a verifier recomputes it from the claim.
 */
public final class Binding {

  private final byte[] value;

  private Binding(byte[] value) {
    this.value = value;
  }

  public static Binding of(String bundleHash, String catalogHash, String enforcementMode, String cnfJwkThumbprint) {
    ObjectNode bound = JsonNodeFactory.instance.objectNode();
    bound.put("bundle_hash", bundleHash);
    bound.put("catalog_hash", catalogHash);
    bound.put("enforcement_mode", enforcementMode);
    bound.put("cnf_jwk_thumbprint", cnfJwkThumbprint);
    try {
      return new Binding(MessageDigest.getInstance("SHA-512").digest(CanonicalJson.bytes(bound)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-512", e);
    }
  }

  /** The binding a claim's own policy and key call for. */
  public static Binding of(GatewayClaim.Policy policy, Jwk key) {
    return of(policy.bundleHash(), policy.catalogHash(), policy.enforcementMode(), key.thumbprint());
  }

  public byte[] bytes() {
    return value.clone();
  }

  /** Lower-case hex, 128 digits. */
  public String hex() {
    return HexFormat.of().formatHex(value);
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof Binding binding && MessageDigest.isEqual(value, binding.value);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(value);
  }

  @Override
  public String toString() {
    return "Binding[" + hex() + "]";
  }
}
