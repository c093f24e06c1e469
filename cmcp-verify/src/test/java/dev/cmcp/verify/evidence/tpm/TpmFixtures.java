package dev.cmcp.verify.evidence.tpm;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * Real quotes from swtpm, made by make-fixtures.sh beside them, the binding they were made over,
 * and quotes forged with a software key, which is what an uncertified AK cannot rule out.
 */
public final class TpmFixtures {

  public static final String ECC = "quote-ecc.json";
  public static final String RSASSA = "quote-rsassa.json";
  public static final String RSAPSS = "quote-rsapss.json";

  /** TPMA_OBJECT of an attestation key: fixedTPM, fixedParent, sensitiveDataOrigin, userWithAuth, restricted, sign. */
  public static final long AK_ATTRIBUTES = 0x00050072L;

  private TpmFixtures() {}

  public static byte[] json(String name) {
    try (InputStream in = TpmFixtures.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("test resource " + name + " is missing");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static TpmEvidence evidence(String name) {
    try {
      return TpmEvidence.fromJson(json(name));
    } catch (TpmFormatException e) {
      throw new IllegalStateException("fixture " + name + " does not parse: " + e.getMessage(), e);
    }
  }

  /** The 64 bytes whose SHA-256 every fixture quote carries as its qualifying data. */
  public static byte[] binding() {
    return HexFormat.of().parseHex(new String(json("binding.hex"), StandardCharsets.US_ASCII).strip());
  }

  /**
   * {@code attest} (a TPMS_ATTEST) with its qualifying data (extraData) replaced by SHA-256 of
   * {@code binding}: what a quote over that binding would have signed.
   */
  public static byte[] attestOver(byte[] attest, byte[] binding) {
    byte[] changed = attest.clone();
    // magic (4), type (2), qualifiedSigner (TPM2B), then extraData (TPM2B).
    int signerSize = ((changed[6] & 0xFF) << 8) | (changed[7] & 0xFF);
    int extraData = 8 + signerSize;
    if ((((changed[extraData] & 0xFF) << 8) | (changed[extraData + 1] & 0xFF)) != 32) {
      throw new IllegalArgumentException("the quote's extraData is not a SHA-256 digest");
    }
    System.arraycopy(TpmHash.SHA256.digest(binding), 0, changed, extraData + 2, 32);
    return changed;
  }

  /**
   * {@code real}'s TPMS_ATTEST signed by a P-256 key made here, with these TPMA_OBJECT bits:
   * a well-formed quote no TPM ever made.
   */
  public static TpmEvidence signedBySoftwareKey(TpmEvidence real, long attributes) throws GeneralSecurityException {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair key = generator.generateKeyPair();
    ECPublicKey publicKey = (ECPublicKey) key.getPublic();

    ByteArrayOutputStream akPublic = new ByteArrayOutputStream();
    u16(akPublic, 0x0023);                  // type: ECC
    u16(akPublic, 0x000B);                  // nameAlg: SHA-256
    u16(akPublic, (int) (attributes >> 16));
    u16(akPublic, (int) attributes);
    u16(akPublic, 0);                       // authPolicy: empty
    u16(akPublic, 0x0010);                  // symmetric: NULL
    u16(akPublic, 0x0018);                  // scheme: ECDSA
    u16(akPublic, 0x000B);                  //   SHA-256
    u16(akPublic, 0x0003);                  // curve: NIST P-256
    u16(akPublic, 0x0010);                  // kdf: NULL
    sized(akPublic, unsigned32(publicKey.getW().getAffineX()));
    sized(akPublic, unsigned32(publicKey.getW().getAffineY()));

    Signature signer = Signature.getInstance("SHA256withECDSAinP1363Format");
    signer.initSign(key.getPrivate());
    signer.update(real.attest());
    byte[] rs = signer.sign();
    ByteArrayOutputStream signature = new ByteArrayOutputStream();
    u16(signature, 0x0018);
    u16(signature, 0x000B);
    sized(signature, Arrays.copyOfRange(rs, 0, 32));
    sized(signature, Arrays.copyOfRange(rs, 32, 64));
    return new TpmEvidence(real.attest(), signature.toByteArray(), akPublic.toByteArray(), real.pcrs());
  }

  private static void u16(ByteArrayOutputStream out, int value) {
    out.write((value >> 8) & 0xFF);
    out.write(value & 0xFF);
  }

  private static void sized(ByteArrayOutputStream out, byte[] bytes) {
    u16(out, bytes.length);
    out.writeBytes(bytes);
  }

  private static byte[] unsigned32(BigInteger value) {
    byte[] bytes = value.toByteArray();
    byte[] fixed = new byte[32];
    int length = Math.min(bytes.length, 32);
    System.arraycopy(bytes, bytes.length - length, fixed, 32 - length, length);
    return fixed;
  }
}
