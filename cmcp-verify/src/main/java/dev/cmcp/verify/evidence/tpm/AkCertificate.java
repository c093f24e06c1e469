package dev.cmcp.verify.evidence.tpm;

import java.io.ByteArrayOutputStream;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * The X.509 certificate an auditor's enrollment CA issues for a TPM's attestation key (AK) once
 * credential activation has shown that the AK lives in the TPM holding a certified endorsement
 * key (EK): {@code cmcp tpm enroll} issues it, {@link TpmVerifier} checks it ({@code ak_trust}).
 *
 * <p>Its subject public key is the AK's. The extension {@link #BINDING_OID} (non-critical, so
 * that any X.509 tool reads the certificate) ties it to the exact TPM key and TPM:
 *
 * <pre>
 * AkBinding ::= SEQUENCE {
 *   ekCertificateSha256 OCTET STRING (SIZE (32)),  -- SHA-256 of the EK certificate's DER
 *   akName              OCTET STRING }             -- the AK's TPM Name: nameAlg || H(TPMT_PUBLIC)
 * </pre>
 *
 * The AK's Name covers its whole public area, attributes included, so the certificate names one
 * key object, not only a key pair. The OID is under {@code 2.25} (ITU-T X.667, an arc derived
 * from a UUID, which needs no registration).
 */
public final class AkCertificate {

  /** {@code 2.25.<UUID f0448c18-cb99-437e-8a47-09461b31674f as an integer>}: the AkBinding extension. */
  public static final String BINDING_OID = "2.25.319370636676591330728799358743687030607";

  private static final int SHA256_BYTES = 32;
  /** A TPM Name: a 2-byte algorithm and at most a SHA-512 digest. */
  private static final int MAX_NAME_BYTES = 2 + 64;

  private AkCertificate() {}

  /**
   * What an AK certificate certifies of an attestation key's public area: its TPM Name and its
   * key. Only a restricted signing key bound to its TPM (fixedTPM, fixedParent,
   * sensitiveDataOrigin) is one, so {@code cmcp tpm enroll} never certifies anything else.
   */
  public record CertifiedKey(byte[] name, PublicKey key) {
    public CertifiedKey {
      name = name.clone();
    }

    @Override
    public byte[] name() {
      return name.clone();
    }

    /**
     * Reads a marshaled TPMT_PUBLIC (no TPM2B size prefix).
     *
     * @throws TpmFormatException when it does not parse, or is not an attestation key
     */
    public static CertifiedKey of(byte[] tpmtPublic) throws TpmFormatException {
      TpmtPublic ak = TpmtPublic.parse(tpmtPublic);
      List<String> missing = ak.missingAkAttributes();
      if (!missing.isEmpty()) {
        throw new TpmFormatException("not an attestation key: lacks " + String.join(", ", missing));
      }
      return new CertifiedKey(ak.name(), ak.key().toJdkKey());
    }
  }

  /**
   * The AkBinding of a certificate.
   *
   * @param ekCertificateSha256 SHA-256 of the DER of the EK certificate the AK was activated against
   * @param akName the AK's TPM Name
   */
  public record Binding(byte[] ekCertificateSha256, byte[] akName) {
    public Binding {
      if (ekCertificateSha256.length != SHA256_BYTES) {
        throw new IllegalArgumentException("an EK certificate digest has " + SHA256_BYTES + " bytes, not " + ekCertificateSha256.length);
      }
      if (akName.length < 2 + 20 || akName.length > MAX_NAME_BYTES) {
        throw new IllegalArgumentException("a TPM Name has 22 to " + MAX_NAME_BYTES + " bytes, not " + akName.length);
      }
      ekCertificateSha256 = ekCertificateSha256.clone();
      akName = akName.clone();
    }

    @Override
    public byte[] ekCertificateSha256() {
      return ekCertificateSha256.clone();
    }

    @Override
    public byte[] akName() {
      return akName.clone();
    }

    /** The DER of the AkBinding SEQUENCE: the extension's value (extnValue's content). */
    public byte[] toDer() {
      ByteArrayOutputStream content = new ByteArrayOutputStream();
      content.writeBytes(tlv(0x04, ekCertificateSha256));
      content.writeBytes(tlv(0x04, akName));
      return tlv(0x30, content.toByteArray());
    }

    /**
     * Reads the extension from {@code certificate}, exactly: one SEQUENCE of the two OCTET
     * STRINGs, in DER, nothing after it.
     *
     * @throws TpmFormatException when the certificate has no such extension or it is malformed
     */
    public static Binding of(X509Certificate certificate) throws TpmFormatException {
      byte[] extension = certificate.getExtensionValue(BINDING_OID);
      if (extension == null) {
        throw new TpmFormatException("the AK certificate " + certificate.getSubjectX500Principal().getName()
            + " has no AkBinding extension (" + BINDING_OID + "): it was not issued by cmcp tpm enroll");
      }
      try {
        // getExtensionValue gives the extnValue OCTET STRING itself, whose content is the SEQUENCE.
        Der outer = new Der(extension);
        Der sequence = new Der(outer.read(0x04));
        outer.end();
        Der fields = new Der(sequence.read(0x30));
        sequence.end();
        byte[] ekDigest = fields.read(0x04);
        byte[] name = fields.read(0x04);
        fields.end();
        return new Binding(ekDigest, name);
      } catch (IllegalArgumentException e) {
        throw new TpmFormatException("the AK certificate's AkBinding extension is malformed: " + e.getMessage());
      }
    }
  }

  /** A DER TLV with a definite length (short or long form). */
  private static byte[] tlv(int tag, byte[] value) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(tag);
    int length = value.length;
    if (length < 0x80) {
      out.write(length);
    } else if (length <= 0xFF) {
      out.write(0x81);
      out.write(length);
    } else {
      out.write(0x82);
      out.write(length >> 8);
      out.write(length & 0xFF);
    }
    out.writeBytes(value);
    return out.toByteArray();
  }

  /** A strict reader of the few DER elements AkBinding uses: minimal lengths, no indefinite form. */
  private static final class Der {
    private final byte[] bytes;
    private int position;

    Der(byte[] bytes) {
      this.bytes = bytes;
    }

    byte[] read(int tag) {
      if (position + 2 > bytes.length || (bytes[position] & 0xFF) != tag) {
        throw new IllegalArgumentException(String.format("expected tag 0x%02x at byte %d", tag, position));
      }
      position++;
      int first = bytes[position++] & 0xFF;
      int length;
      if (first < 0x80) {
        length = first;
      } else if (first == 0x81 && position < bytes.length && (bytes[position] & 0xFF) >= 0x80) {
        length = bytes[position++] & 0xFF;
      } else if (first == 0x82 && position + 1 < bytes.length && (bytes[position] & 0xFF) != 0) {
        length = ((bytes[position] & 0xFF) << 8) | (bytes[position + 1] & 0xFF);
        position += 2;
        if (length < 0x100) {
          throw new IllegalArgumentException("a length not in its shortest form at byte " + position);
        }
      } else {
        throw new IllegalArgumentException("an unsupported or non-minimal length at byte " + position);
      }
      if (length > bytes.length - position) {
        throw new IllegalArgumentException("a length of " + length + " runs past the end");
      }
      byte[] value = java.util.Arrays.copyOfRange(bytes, position, position + length);
      position += length;
      return value;
    }

    void end() {
      if (position != bytes.length) {
        throw new IllegalArgumentException((bytes.length - position) + " bytes after the value");
      }
    }
  }
}
