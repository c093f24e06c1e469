package dev.cmcp.verify.evidence.tpm;

import java.math.BigInteger;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.ECFieldFp;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.EllipticCurve;
import java.security.spec.RSAPublicKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The public area of the attestation key: a TPMT_PUBLIC of type RSA or ECC (TPM 2.0 Library,
 * Part 2, section 12.2.4), with what a verifier needs from it: the key, its attributes and its
 * Name.
 *
 * @param bytes the marshaled structure, from which the key's Name is computed
 * @param attributes TPMA_OBJECT bits
 */
record TpmtPublic(byte[] bytes, TpmHash nameAlg, long attributes, Key key) {

  static final int TPM_ALG_RSA = 0x0001;
  static final int TPM_ALG_ECC = 0x0023;
  static final int TPM_ALG_NULL = 0x0010;
  static final int TPM_ALG_ECDAA = 0x001A;

  // TPMA_OBJECT bits (Part 2, section 8.3).
  static final long FIXED_TPM = 1L << 1;
  static final long FIXED_PARENT = 1L << 4;
  static final long SENSITIVE_DATA_ORIGIN = 1L << 5;
  static final long RESTRICTED = 1L << 16;
  static final long DECRYPT = 1L << 17;
  static final long SIGN = 1L << 18;

  sealed interface Key {
    /** e.g. {@code ECC NIST P-256} */
    String describe();

    PublicKey toJdkKey() throws TpmFormatException;
  }

  /** The TPM_ECC_CURVE values a TPM's attestation key uses, with the JDK's names for them. */
  enum Curve {
    P256(0x0003, "secp256r1", 32, "NIST P-256"),
    P384(0x0004, "secp384r1", 48, "NIST P-384"),
    P521(0x0005, "secp521r1", 66, "NIST P-521");

    final int curveId;
    final String jdkName;
    final int coordinateSize;
    final String displayName;

    Curve(int curveId, String jdkName, int coordinateSize, String displayName) {
      this.curveId = curveId;
      this.jdkName = jdkName;
      this.coordinateSize = coordinateSize;
      this.displayName = displayName;
    }
  }

  record EccKey(Curve curve, byte[] x, byte[] y) implements Key {
    @Override
    public String describe() {
      return "ECC " + curve.displayName;
    }

    /** The point, refused unless it lies on the curve: the JDK does not check that for us. */
    @Override
    public PublicKey toJdkKey() throws TpmFormatException {
      try {
        AlgorithmParameters parameters = AlgorithmParameters.getInstance("EC");
        parameters.init(new ECGenParameterSpec(curve.jdkName));
        ECParameterSpec spec = parameters.getParameterSpec(ECParameterSpec.class);
        BigInteger px = new BigInteger(1, x);
        BigInteger py = new BigInteger(1, y);
        if (!onCurve(spec.getCurve(), px, py)) {
          throw new TpmFormatException("TPMT_PUBLIC: the AK's point is not on " + curve.displayName);
        }
        return KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(new ECPoint(px, py), spec));
      } catch (GeneralSecurityException e) {
        throw new TpmFormatException("TPMT_PUBLIC: not a usable " + curve.displayName + " key: " + e.getMessage());
      }
    }

    private static boolean onCurve(EllipticCurve curve, BigInteger x, BigInteger y) {
      BigInteger p = ((ECFieldFp) curve.getField()).getP();
      if (x.compareTo(p) >= 0 || y.compareTo(p) >= 0) {
        return false;
      }
      BigInteger left = y.multiply(y).mod(p);
      BigInteger right = x.pow(3).add(curve.getA().multiply(x)).add(curve.getB()).mod(p);
      return left.equals(right);
    }
  }

  /** @param exponent the public exponent; the TPM writes 0 for the default 65537 */
  record RsaKey(int keyBits, byte[] modulus, long exponent) implements Key {
    @Override
    public String describe() {
      return "RSA " + keyBits;
    }

    @Override
    public PublicKey toJdkKey() throws TpmFormatException {
      BigInteger n = new BigInteger(1, modulus);
      if (n.bitLength() != keyBits) {
        throw new TpmFormatException("TPMT_PUBLIC: the RSA modulus has " + n.bitLength() + " bits, the key says " + keyBits);
      }
      BigInteger e = BigInteger.valueOf(exponent == 0 ? 65537 : exponent);
      try {
        return KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(n, e));
      } catch (GeneralSecurityException ex) {
        throw new TpmFormatException("TPMT_PUBLIC: not a usable RSA key: " + ex.getMessage());
      }
    }
  }

  static TpmtPublic parse(byte[] bytes) throws TpmFormatException {
    TpmReader in = new TpmReader("TPMT_PUBLIC", bytes);
    int type = in.u16("type");
    if (type != TPM_ALG_RSA && type != TPM_ALG_ECC) {
      throw in.invalid("key type " + TpmHash.hexId(type) + " is not RSA (0x0001) or ECC (0x0023)");
    }
    int nameAlgId = in.u16("nameAlg");
    TpmHash nameAlg = TpmHash.byId(nameAlgId)
        .orElseThrow(() -> in.invalid("nameAlg " + TpmHash.hexId(nameAlgId) + " is not one of sha1, sha256, sha384, sha512"));
    long attributes = in.u32("objectAttributes");
    in.sized("authPolicy", 64);
    skipSymmetric(in);
    Key key = type == TPM_ALG_ECC ? eccKey(in) : rsaKey(in);
    in.end();
    return new TpmtPublic(bytes.clone(), nameAlg, attributes, key);
  }

  /** TPMT_SYM_DEF_OBJECT: NULL for a signing key, but the structure may carry one. */
  private static void skipSymmetric(TpmReader in) throws TpmFormatException {
    if (in.u16("symmetric.algorithm") != TPM_ALG_NULL) {
      in.u16("symmetric.keyBits");
      in.u16("symmetric.mode");
    }
  }

  private static EccKey eccKey(TpmReader in) throws TpmFormatException {
    int scheme = in.u16("scheme.scheme");
    if (scheme != TPM_ALG_NULL) {
      in.u16("scheme.details.hashAlg");
      if (scheme == TPM_ALG_ECDAA) {
        in.u16("scheme.details.count");
      }
    }
    int curveId = in.u16("curveID");
    Curve curve = Arrays.stream(Curve.values()).filter(c -> c.curveId == curveId).findFirst()
        .orElseThrow(() -> in.invalid("curve " + TpmHash.hexId(curveId) + " is not NIST P-256, P-384 or P-521"));
    if (in.u16("kdf.scheme") != TPM_ALG_NULL) {
      in.u16("kdf.details.hashAlg");
    }
    byte[] x = in.sized("unique.x", curve.coordinateSize);
    byte[] y = in.sized("unique.y", curve.coordinateSize);
    return new EccKey(curve, x, y);
  }

  private static RsaKey rsaKey(TpmReader in) throws TpmFormatException {
    if (in.u16("scheme.scheme") != TPM_ALG_NULL) {
      in.u16("scheme.details.hashAlg");
    }
    int keyBits = in.u16("keyBits");
    if (keyBits != 2048 && keyBits != 3072 && keyBits != 4096) {
      throw in.invalid("RSA keyBits is " + keyBits + ", not 2048, 3072 or 4096");
    }
    long exponent = in.u32("exponent");
    byte[] modulus = in.sized("unique.rsa", 512);
    return new RsaKey(keyBits, modulus, exponent);
  }

  /** The key's Name (Part 1, section 16): nameAlg, then the nameAlg digest of this structure. */
  byte[] name() {
    byte[] digest = nameAlg.digest(bytes);
    byte[] name = new byte[2 + digest.length];
    name[0] = (byte) (nameAlg.algorithmId >> 8);
    name[1] = (byte) nameAlg.algorithmId;
    System.arraycopy(digest, 0, name, 2, digest.length);
    return name;
  }

  /**
   * What an attestation key must be for its quotes to mean anything: a restricted signing key
   * (the TPM refuses to sign, with it, data that could pass for a TPMS_ATTEST), generated inside
   * this TPM and unable to leave it, and not also a decryption key. Empty when it is all that;
   * otherwise what it lacks, e.g. {@code [restricted, fixedTPM]}.
   */
  List<String> missingAkAttributes() {
    List<String> missing = new ArrayList<>();
    requireSet(missing, SIGN, "sign");
    requireSet(missing, RESTRICTED, "restricted");
    requireSet(missing, FIXED_TPM, "fixedTPM");
    requireSet(missing, FIXED_PARENT, "fixedParent");
    requireSet(missing, SENSITIVE_DATA_ORIGIN, "sensitiveDataOrigin");
    if ((attributes & DECRYPT) != 0) {
      missing.add("a clear decrypt bit");
    }
    return missing;
  }

  private void requireSet(List<String> missing, long bit, String name) {
    if ((attributes & bit) == 0) {
      missing.add(name);
    }
  }
}
