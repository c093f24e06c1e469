package dev.cmcp.verify.claim;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.verify.base.CanonicalJson;
import dev.cmcp.verify.base.Jwk;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Optional;

/**
 * The 64 bytes a platform report carries as its user data (SNP REPORT_DATA, TDX REPORTDATA,
 * the software evidence's report_data): SHA-512 of the canonical JSON of
 * {@code {bundle_hash, catalog_hash, enforcement_mode, cnf_jwk_thumbprint}}, plus
 * {@code tls_spki_sha256} when the gateway serves TLS. It ties the claim key, the policy and the
 * key that terminates TLS to the measured runtime; a verifier recomputes it from the claim.
 *
 * <p>A gateway without TLS ({@code tls.mode: off}, loopback only) binds the four fields alone,
 * with no {@code tls_spki_sha256} member at all, which is exactly the binding of claims made before
 * TLS existed: those stay verifiable, and no TLS key can be claimed for them.
 */
public final class Binding {

  private final byte[] value;

  private Binding(byte[] value) {
    this.value = value;
  }

  /** The binding of a gateway that serves no TLS. */
  public static Binding of(String bundleHash, String catalogHash, String enforcementMode, String cnfJwkThumbprint) {
    return of(bundleHash, catalogHash, enforcementMode, cnfJwkThumbprint, Optional.empty());
  }

  /**
   * @param tlsSpkiSha256 lower-case hex SHA-256 of the DER SubjectPublicKeyInfo of the key that
   *     terminates TLS ({@link TlsKey#spkiSha256}); empty when the gateway serves no TLS
   */
  public static Binding of(
      String bundleHash, String catalogHash, String enforcementMode, String cnfJwkThumbprint, Optional<String> tlsSpkiSha256) {
    return new Binding(sha512(CanonicalJson.bytes(inputs(bundleHash, catalogHash, enforcementMode, cnfJwkThumbprint, tlsSpkiSha256))));
  }

  /** The JSON object whose canonical form is hashed: what {@code GET /v1/attestation} shows as the binding's inputs. */
  public static ObjectNode inputs(
      String bundleHash, String catalogHash, String enforcementMode, String cnfJwkThumbprint, Optional<String> tlsSpkiSha256) {
    ObjectNode bound = JsonNodeFactory.instance.objectNode();
    bound.put("bundle_hash", bundleHash);
    bound.put("catalog_hash", catalogHash);
    bound.put("enforcement_mode", enforcementMode);
    bound.put("cnf_jwk_thumbprint", cnfJwkThumbprint);
    tlsSpkiSha256.ifPresent(spki -> bound.put("tls_spki_sha256", spki));
    return bound;
  }

  private static byte[] sha512(byte[] input) {
    try {
      return MessageDigest.getInstance("SHA-512").digest(input);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-512", e);
    }
  }

  /** The binding a claim's own policy and key call for, without TLS. */
  public static Binding of(GatewayClaim.Policy policy, Jwk key) {
    return of(policy.bundleHash(), policy.catalogHash(), policy.enforcementMode(), key.thumbprint());
  }

  /** The binding a claim's trace calls for: its policy, its key and, when it names one, its TLS key. */
  public static Binding of(GatewayClaim.Trace trace) {
    GatewayClaim.Policy policy = trace.policy();
    return of(policy.bundleHash(), policy.catalogHash(), policy.enforcementMode(), trace.cnf().thumbprint(), trace.tlsSpkiSha256());
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
