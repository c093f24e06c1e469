package dev.cmcp.verify.evidence.tpm;

import dev.cmcp.verify.base.BoundedRead;
import dev.cmcp.verify.evidence.TrustStore;
import dev.cmcp.verify.evidence.TrustStoreException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * What ties a TPM's attestation key (AK) to a genuine TPM, as the auditor configures it: either
 * nothing ({@code ak_trust} is then skipped and a TPM quote is at best partially verified), or
 * both anchors together. There is no way to give one without the other: an AK certificate from
 * the enrollment CA means nothing unless its EK certificate is checked too, and an EK
 * certificate alone says nothing about the AK.
 */
public sealed interface TpmTrust {

  /** Bounds each file given; real roots and intermediates are a few KiB. */
  int MAX_FILE_BYTES = 1024 * 1024;

  /** No anchors: {@code ak_trust} is skipped, with the reason. */
  record NotConfigured() implements TpmTrust {}

  /**
   * @param enrollmentCa the auditor's enrollment CA (its self-signed root, and any intermediate),
   *     which signs AK certificates after credential activation ({@code cmcp tpm enroll})
   * @param manufacturerRoots the TPM manufacturers' EK roots (self-signed) and intermediates, with
   *     their CRLs when given
   */
  record Anchors(TrustStore enrollmentCa, TrustStore manufacturerRoots) implements TpmTrust {
    public Anchors {
      requireRoot(enrollmentCa, "the enrollment CA (--tpm-ak-ca)");
      requireRoot(manufacturerRoots, "the TPM manufacturer roots (--tpm-ek-roots)");
    }

    private static void requireRoot(TrustStore store, String what) {
      if (store.certificates().stream().noneMatch(c -> c.getSubjectX500Principal().equals(c.getIssuerX500Principal()))) {
        throw new IllegalArgumentException(what + " holds no self-signed root certificate: give the root's PEM");
      }
    }
  }

  static TpmTrust notConfigured() {
    return new NotConfigured();
  }

  /**
   * The anchors of the command-line options {@code --tpm-ak-ca} and {@code --tpm-ek-roots}: both
   * read, or {@link #notConfigured()} when neither is given.
   *
   * @throws IllegalArgumentException when only one is given, or a file holds no self-signed root
   * @throws TrustStoreException when a file cannot be read or holds no certificate
   */
  static TpmTrust fromOptions(Optional<Path> enrollmentCa, Optional<Path> manufacturerRoots) throws TrustStoreException {
    if (enrollmentCa.isPresent() != manufacturerRoots.isPresent()) {
      throw new IllegalArgumentException("give --tpm-ak-ca and --tpm-ek-roots together: an AK certificate means"
          + " nothing without its EK certificate's chain, and an EK certificate says nothing about the AK");
    }
    return enrollmentCa.isPresent() ? load(enrollmentCa.get(), manufacturerRoots.get()) : notConfigured();
  }

  /**
   * Reads the two PEM (or DER) files: the enrollment CA's certificate(s), and the manufacturer
   * roots and intermediates.
   *
   * @throws TrustStoreException when a file cannot be read or holds no certificate
   * @throws IllegalArgumentException when a file holds no self-signed root
   */
  static Anchors load(Path enrollmentCa, Path manufacturerRoots) throws TrustStoreException {
    return new Anchors(read(enrollmentCa, "the enrollment CA certificate"), read(manufacturerRoots, "TPM manufacturer roots"));
  }

  private static TrustStore read(Path file, String what) throws TrustStoreException {
    byte[] bytes;
    try {
      bytes = BoundedRead.read(file, MAX_FILE_BYTES, what);
    } catch (IOException e) {
      throw new TrustStoreException("cannot read " + what + " from " + file + ": " + e.getMessage(), e);
    }
    TrustStore store = TrustStore.parse(file.toString(), bytes);
    if (store.certificates().isEmpty()) {
      throw new TrustStoreException(file + " holds no certificate: expected " + what + " (PEM)");
    }
    return store;
  }
}
