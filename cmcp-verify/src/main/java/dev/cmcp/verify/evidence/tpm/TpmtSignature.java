package dev.cmcp.verify.evidence.tpm;

/** A TPMT_SIGNATURE (TPM 2.0 Library, Part 2, section 11.3.4) of the kinds an attestation key makes. */
sealed interface TpmtSignature {

  int TPM_ALG_RSASSA = 0x0014;
  int TPM_ALG_RSAPSS = 0x0016;
  int TPM_ALG_ECDSA = 0x0018;

  /** The hash the TPM signed with; it is also the hash of the quote's PCR digest. */
  TpmHash hash();

  /** A name for reports, e.g. {@code ECDSA SHA-256}. */
  String describe();

  /** TPMS_SIGNATURE_ECDSA: r and s, big-endian. */
  record Ecdsa(TpmHash hash, byte[] r, byte[] s) implements TpmtSignature {
    @Override
    public String describe() {
      return "ECDSA " + hash.jdkName;
    }
  }

  /** TPMS_SIGNATURE_RSASSA or TPMS_SIGNATURE_RSAPSS: the signature as a big-endian number. */
  record Rsa(boolean pss, TpmHash hash, byte[] signature) implements TpmtSignature {
    @Override
    public String describe() {
      return (pss ? "RSASSA-PSS " : "RSASSA-PKCS1-v1_5 ") + hash.jdkName;
    }
  }

  static TpmtSignature parse(byte[] bytes) throws TpmFormatException {
    TpmReader in = new TpmReader("TPMT_SIGNATURE", bytes);
    int algorithm = in.u16("sigAlg");
    if (algorithm != TPM_ALG_ECDSA && algorithm != TPM_ALG_RSASSA && algorithm != TPM_ALG_RSAPSS) {
      throw in.invalid("signature algorithm " + TpmHash.hexId(algorithm) + " is not ECDSA, RSASSA or RSAPSS");
    }
    int hashId = in.u16("hash");
    TpmHash hash = TpmHash.byId(hashId)
        .orElseThrow(() -> in.invalid("signature hash " + TpmHash.hexId(hashId) + " is not one of sha1, sha256, sha384, sha512"));
    TpmtSignature signature;
    if (algorithm == TPM_ALG_ECDSA) {
      // TPM2B_ECC_PARAMETER: at most the 66 bytes of a P-521 coordinate.
      signature = new Ecdsa(hash, in.sized("signatureR", 66), in.sized("signatureS", 66));
    } else {
      // TPM2B_PUBLIC_KEY_RSA: at most a 4096-bit modulus.
      signature = new Rsa(algorithm == TPM_ALG_RSAPSS, hash, in.sized("sig", 512));
    }
    in.end();
    return signature;
  }
}
