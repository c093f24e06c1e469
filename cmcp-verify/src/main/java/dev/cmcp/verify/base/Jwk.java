package dev.cmcp.verify.base;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.interfaces.EdECPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Set;
import java.util.function.Function;

/**
 * An Ed25519 public key as a JSON Web Key (RFC 8037): {@code {"kty":"OKP","crv":"Ed25519","x":...}}
 * where {@code x} is the 32-byte encoded public key (RFC 8032 section 5.1.2), base64url.
 *
 * <p>The raw key is handed to the JDK wrapped in its X.509 SubjectPublicKeyInfo, so the JDK,
 * not this class, decodes the point (little-endian y with the sign bit of x in the top bit).
 */
public record Jwk(String x) {

  private static final Set<String> FIELDS = Set.of("kty", "crv", "x");
  private static final int KEY_BYTES = 32;
  /** DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410); the 32 key bytes follow it. */
  private static final byte[] SPKI_PREFIX = HexFormat.of().parseHex("302a300506032b6570032100");

  public Jwk {
    Base64Url.decode(x, KEY_BYTES, reason -> new IllegalArgumentException("Ed25519 JWK x: " + reason));
  }

  /** The JWK of a JDK Ed25519 public key. */
  public static Jwk fromPublicKey(PublicKey key) {
    if (!(key instanceof EdECPublicKey edKey) || !edKey.getParams().getName().equals("Ed25519")) {
      throw new IllegalArgumentException("not an Ed25519 public key: " + key.getAlgorithm());
    }
    byte[] spki = key.getEncoded();
    if (spki.length != SPKI_PREFIX.length + KEY_BYTES
        || !Arrays.equals(spki, 0, SPKI_PREFIX.length, SPKI_PREFIX, 0, SPKI_PREFIX.length)) {
      throw new IllegalArgumentException("unexpected X.509 encoding of an Ed25519 public key");
    }
    return new Jwk(Base64Url.encode(Arrays.copyOfRange(spki, SPKI_PREFIX.length, spki.length)));
  }

  /**
   * Reads the JWK at {@code path}: exactly {@code kty} OKP, {@code crv} Ed25519 and a 32-byte
   * {@code x}; {@code failure} makes the reader's exception from a message naming the field.
   */
  public static <E extends Exception> Jwk fromJson(JsonNode node, String path, Function<String, E> failure) throws E {
    JsonFields<E> jwk = JsonFields.exactly(node, path, FIELDS, failure);
    jwk.oneOf("kty", Set.of("OKP"));
    jwk.oneOf("crv", Set.of("Ed25519"));
    String x = jwk.text("x");
    String at = jwk.path("x");
    Base64Url.decode(x, KEY_BYTES, reason -> failure.apply(at + ": " + reason));
    return new Jwk(x);
  }

  /** The JWK object, as {@code trace.cnf.jwk} carries it. */
  public ObjectNode toJson() {
    ObjectNode jwk = JsonNodeFactory.instance.objectNode();
    jwk.put("kty", "OKP");
    jwk.put("crv", "Ed25519");
    jwk.put("x", x);
    return jwk;
  }

  /** RFC 7638 thumbprint: base64url of SHA-256 over the canonical JSON of the required members. */
  public String thumbprint() {
    // The required members of an OKP key are exactly crv, kty and x (RFC 8037 section 2).
    return Base64Url.encode(Digests.sha256(CanonicalJson.bytes(toJson())));
  }

  /** The key as a JDK public key, for {@code Signature.getInstance("Ed25519")}. */
  public PublicKey publicKey() throws InvalidKeyException {
    byte[] raw = Base64Url.decode(x, KEY_BYTES, reason -> new InvalidKeyException("cnf.jwk: x: " + reason));
    byte[] spki = Arrays.copyOf(SPKI_PREFIX, SPKI_PREFIX.length + KEY_BYTES);
    System.arraycopy(raw, 0, spki, SPKI_PREFIX.length, KEY_BYTES);
    try {
      return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki));
    } catch (GeneralSecurityException e) {
      throw new InvalidKeyException("cnf.jwk: not a valid Ed25519 public key (" + e.getMessage() + ")", e);
    }
  }
}
