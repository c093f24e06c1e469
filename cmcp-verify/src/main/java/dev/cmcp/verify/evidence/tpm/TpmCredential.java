package dev.cmcp.verify.evidence.tpm;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.MGF1ParameterSpec;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import javax.crypto.spec.SecretKeySpec;

/**
 * The verifier's half of TPM credential activation (TPM 2.0 Part 1, "Credential Protection"):
 * a secret wrapped so that only the TPM holding this endorsement key can unwrap it, and only
 * for a loaded key whose Name is the attestation key's. A TPM that answers with the secret
 * (TPM2_ActivateCredential, {@code tpm2_activatecredential}) proves that the AK lives in the
 * same TPM as the EK, whose certificate ties it to a manufacturer. This is what MakeCredential
 * computes; it needs no TPM, so the verifier does it itself.
 *
 * <p>For an RSA 2048 EK of the default template (nameAlg SHA-256, AES-128 CFB): the seed is
 * RSA-OAEP(SHA-256) encrypted under the label {@code IDENTITY}; KDFa(SHA-256) derives the AES
 * key ({@code STORAGE}, context the AK's Name) and the HMAC key ({@code INTEGRITY}).
 */
public final class TpmCredential {

  /** tpm2-tools' file header for a credential: magic, then version 1. */
  private static final int MAGIC = 0xBADCC0DE;
  private static final int FILE_VERSION = 1;
  private static final int SEED_BYTES = 32;
  private static final int AES_KEY_BITS = 128;
  private static final int HMAC_KEY_BITS = 256;
  private static final int MAX_SECRET_BYTES = 32;

  private TpmCredential() {}

  /**
   * The credential for {@code secret}, in the file format {@code tpm2_activatecredential -i}
   * reads ({@code tpm2_makecredential -o} writes it too).
   *
   * @param ek the endorsement key's public key, from its certificate (RSA 2048, default template)
   * @param akName the attestation key's TPM Name: nameAlg (2 bytes) and the digest of its public area
   * @param secret at most 32 bytes, fresh for each challenge
   * @throws IllegalArgumentException when the secret is empty or too long
   */
  public static byte[] make(RSAPublicKey ek, byte[] akName, byte[] secret, SecureRandom random) throws GeneralSecurityException {
    if (secret.length == 0 || secret.length > MAX_SECRET_BYTES) {
      throw new IllegalArgumentException("a credential secret is 1 to " + MAX_SECRET_BYTES + " bytes, not " + secret.length);
    }
    byte[] seed = new byte[SEED_BYTES];
    random.nextBytes(seed);

    Cipher oaep = Cipher.getInstance("RSA/ECB/OAEPPadding");
    oaep.init(Cipher.ENCRYPT_MODE, ek, new OAEPParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256,
        new PSource.PSpecified("IDENTITY\0".getBytes(StandardCharsets.US_ASCII))), random);
    byte[] encryptedSeed = oaep.doFinal(seed);

    byte[] aesKey = kdfa(seed, "STORAGE", akName, AES_KEY_BITS);
    Cipher cfb = Cipher.getInstance("AES/CFB/NoPadding");
    cfb.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(aesKey, "AES"), new IvParameterSpec(new byte[16]));
    byte[] encIdentity = cfb.doFinal(sized(secret));

    Mac hmac = Mac.getInstance("HmacSHA256");
    hmac.init(new SecretKeySpec(kdfa(seed, "INTEGRITY", new byte[0], HMAC_KEY_BITS), "HmacSHA256"));
    hmac.update(encIdentity);
    hmac.update(akName);
    byte[] outerHmac = hmac.doFinal();

    ByteArrayOutputStream idObject = new ByteArrayOutputStream();
    idObject.writeBytes(sized(outerHmac));
    idObject.writeBytes(encIdentity);

    ByteArrayOutputStream file = new ByteArrayOutputStream();
    file.writeBytes(ByteBuffer.allocate(8).putInt(MAGIC).putInt(FILE_VERSION).array());
    file.writeBytes(sized(idObject.toByteArray()));
    file.writeBytes(sized(encryptedSeed));
    return file.toByteArray();
  }

  /** Whether the TPM's answer is the secret: compared in constant time. */
  public static boolean activated(byte[] secret, byte[] answer) {
    return MessageDigest.isEqual(secret, answer);
  }

  /** KDFa with HMAC-SHA-256 (SP 800-108 counter mode), contextV empty. */
  static byte[] kdfa(byte[] key, String label, byte[] contextU, int bits) throws GeneralSecurityException {
    Mac hmac = Mac.getInstance("HmacSHA256");
    hmac.init(new SecretKeySpec(key, "HmacSHA256"));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int counter = 1; out.size() * 8 < bits; counter++) {
      hmac.update(ByteBuffer.allocate(4).putInt(counter).array());
      hmac.update(label.getBytes(StandardCharsets.US_ASCII));
      hmac.update((byte) 0);
      hmac.update(contextU);
      hmac.update(ByteBuffer.allocate(4).putInt(bits).array());
      out.writeBytes(hmac.doFinal());
    }
    return Arrays.copyOf(out.toByteArray(), bits / 8);
  }

  /** A TPM2B: big-endian u16 size, then the bytes. */
  private static byte[] sized(byte[] bytes) {
    return ByteBuffer.allocate(2 + bytes.length).putShort((short) bytes.length).put(bytes).array();
  }
}
