package dev.cmcp.gateway.attest.tpm;

import dev.cmcp.gateway.attest.AttestationException;
import dev.cmcp.verify.base.Check;
import dev.cmcp.verify.base.CheckStatus;
import dev.cmcp.verify.base.Digests;
import dev.cmcp.verify.evidence.tpm.AkCertificate;
import dev.cmcp.verify.evidence.tpm.TpmCheck;
import dev.cmcp.verify.evidence.tpm.TpmEvidence;
import dev.cmcp.verify.evidence.tpm.TpmFormatException;
import dev.cmcp.verify.evidence.tpm.TpmTrust;
import dev.cmcp.verify.evidence.tpm.TpmVerification;
import dev.cmcp.verify.evidence.tpm.TpmVerifier;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Quotes the TPM's PCRs over the gateway's binding. With an enrollment ({@link TpmEnrollment},
 * {@code cmcp tpm enroll}) it quotes with the enrolled AK at its persistent handle, after checking
 * that the key there is the one the AK certificate names, and ships the AK and EK certificates
 * in the evidence. Without one, at start it creates an endorsement key and,
 * under it, an uncertified attestation key (AK): ECC NIST P-256 with ECDSA SHA-256, which every TPM 2.0 of
 * the PC Client profile implements, which the TPM generates in milliseconds where RSA 2048 can
 * take seconds, and whose signatures are 64 bytes. Each {@link #quote} signs the selected PCRs
 * with the AK, the qualifying data being SHA-256 of the binding, and is checked by the
 * verifier's own code before it is returned: evidence this gateway cannot verify is never
 * handed out.
 *
 * <p>Thread-safe: quotes are made one at a time. {@link #close} removes the working folder,
 * which holds the keys' TPM contexts (encrypted by the TPM; useless anywhere else).
 */
public final class TpmAttester implements AutoCloseable {

  private static final Logger LOG = System.getLogger("cmcp.attest");
  private static final int BINDING_BYTES = 64;
  /** A PCR extended between the quote and the reading of its value spoils one attempt; three in a row is not a race. */
  private static final int MAX_ATTEMPTS = 3;
  private static final int CONNECT_TIMEOUT_MILLIS = 3000;

  private final TpmTarget target;
  private final PcrSelection pcrs;
  private final Path workDir;
  private final Tpm2Tools tools;
  private final Optional<TpmEnrollment.Enrolled> enrollment;
  private byte[] akPublic;
  private boolean closed;

  private TpmAttester(TpmTarget target, PcrSelection pcrs, Path workDir, Tpm2Tools tools,
      Optional<TpmEnrollment.Enrolled> enrollment) {
    this.target = target;
    this.pcrs = pcrs;
    this.workDir = workDir;
    this.tools = tools;
    this.enrollment = enrollment;
  }

  /**
   * Connects to the TPM and creates the attestation key.
   *
   * @param target {@code /dev/tpmrm0}, or swtpm's command port ({@link TpmTarget#parse})
   * @param pcrs the PCRs every quote covers, e.g. {@link PcrSelection#DEFAULT}
   * @throws AttestationException when the TPM or tpm2-tools is missing or refuses; the message
   *     says which and what to do
   */
  public static TpmAttester start(TpmTarget target, PcrSelection pcrs) throws AttestationException {
    return start(target, pcrs, Optional.empty(), Tpm2Tools.systemPath());
  }

  /**
   * Connects to the TPM and uses the enrolled AK: refused when the key at the enrolled handle is
   * not the one the AK certificate names (another TPM, or an AK replaced since).
   */
  public static TpmAttester start(TpmTarget target, PcrSelection pcrs, TpmEnrollment.Enrolled enrollment)
      throws AttestationException {
    return start(target, pcrs, Optional.of(enrollment), Tpm2Tools.systemPath());
  }

  static TpmAttester start(TpmTarget target, PcrSelection pcrs, List<Path> searchPath) throws AttestationException {
    return start(target, pcrs, Optional.empty(), searchPath);
  }

  private static TpmAttester start(TpmTarget target, PcrSelection pcrs, Optional<TpmEnrollment.Enrolled> enrollment,
      List<Path> searchPath) throws AttestationException {
    checkReachable(target);
    Path workDir;
    try {
      workDir = Files.createTempDirectory("cmcp-tpm-", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    } catch (IOException e) {
      throw new AttestationException("tpm: cannot create a private working folder: " + e.getMessage());
    }
    try {
      TpmAttester attester = new TpmAttester(target, pcrs, workDir, Tpm2Tools.locate(target, workDir, searchPath), enrollment);
      if (enrollment.isPresent()) {
        attester.loadEnrolledAk(enrollment.get());
      } else {
        attester.createAk();
      }
      return attester;
    } catch (AttestationException | RuntimeException e) {
      deleteFolder(workDir);
      throw e;
    }
  }

  /**
   * A fresh quote over {@code binding}.
   *
   * @param binding the 64-byte binding of DESIGN.md; the quote's qualifying data is its SHA-256
   * @throws AttestationException when the TPM fails, or its quote fails verification
   */
  public synchronized TpmQuote quote(byte[] binding) throws AttestationException {
    if (binding.length != BINDING_BYTES) {
      throw new IllegalArgumentException("a binding has " + BINDING_BYTES + " bytes, not " + binding.length);
    }
    if (closed) {
      throw new IllegalStateException("this TPM attester is closed");
    }
    boolean akRecreated = false;
    for (int attempt = 1; ; attempt++) {
      TpmEvidence evidence;
      try {
        evidence = runQuote(binding);
      } catch (AttestationException e) {
        // A TPM reset (reboot, swtpm restart) invalidates the saved AK context: a new AK mends that.
        // An enrolled AK is persistent: a reset does not touch it, and no other key may replace it.
        if (akRecreated || enrollment.isPresent()) {
          throw e;
        }
        LOG.log(Level.WARNING, "{0}; creating a new attestation key and quoting once more", e.getMessage());
        createAk();
        akRecreated = true;
        continue;
      }
      TpmVerification verification =
          TpmVerifier.verify(evidence.toJson(), Optional.of(binding), Optional.empty(), TpmTrust.notConfigured(), Instant.now());
      Optional<Check<TpmCheck>> failed = verification.report().checks().stream().filter(c -> c.status() == CheckStatus.FAIL).findFirst();
      if (failed.isEmpty()) {
        return new TpmQuote(evidence, verification.quote().orElseThrow().pcrDigest());
      }
      boolean pcrRace = failed.get().name() == TpmCheck.PCR_DIGEST;
      if (!pcrRace || attempt >= MAX_ATTEMPTS) {
        throw new AttestationException("tpm: the quote from " + target + " fails verification: "
            + failed.get().name().label() + ": " + failed.get().reason());
      }
      LOG.log(Level.INFO, "tpm: a PCR changed while it was quoted; quoting again");
    }
  }

  /** Removes the working folder; later quotes are refused. */
  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      deleteFolder(workDir);
    }
  }

  /** Says plainly that the TPM is absent, unusable by this user, or not answering, before any tool runs. */
  static void checkReachable(TpmTarget target) throws AttestationException {
    switch (target) {
      case TpmTarget.Device device -> {
        if (!Files.exists(device.path())) {
          throw new AttestationException("tpm: " + device.path() + " not found: this machine shows no TPM 2.0 "
              + "resource manager device (no TPM, or its driver is not loaded); for a software TPM give swtpm's host:port");
        }
        if (!Files.isReadable(device.path()) || !Files.isWritable(device.path())) {
          throw new AttestationException("tpm: " + device.path() + " is not readable and writable by this user: "
              + "add the user to the group that owns it (tss on Debian and Ubuntu)");
        }
      }
      case TpmTarget.Swtpm swtpm -> {
        try (Socket socket = new Socket()) {
          socket.connect(new InetSocketAddress(swtpm.host(), swtpm.port()), CONNECT_TIMEOUT_MILLIS);
        } catch (IOException e) {
          throw new AttestationException("tpm: no swtpm answering at " + swtpm + " (" + e.getMessage() + "): start "
              + "swtpm socket --tpm2 --server type=tcp,port=" + swtpm.port() + " --ctrl type=tcp,port="
              + (swtpm.port() + 1) + " --flags not-need-init,startup-clear --tpmstate dir=DIR, or correct the address");
        }
      }
    }
  }

  /** An EK (the TCG default ECC template), and under it a restricted ECDSA P-256 signing key. */
  private void createAk() throws AttestationException {
    tools.flushUnmanaged(); // what a gateway that died may have left loaded
    tools.run("tpm2_createek", "--ek-context=ek.ctx", "--key-algorithm=ecc", "--public=ek.pub");
    tools.run("tpm2_createak", "--ek-context=ek.ctx", "--ak-context=ak.ctx", "--key-algorithm=ecc",
        "--hash-algorithm=sha256", "--signing-algorithm=ecdsa", "--public=ak.pub", "--ak-name=ak.name");
    byte[] tpm2bPublic = read("ak.pub");
    int size = tpm2bPublic.length < 2 ? -1 : ((tpm2bPublic[0] & 0xFF) << 8) | (tpm2bPublic[1] & 0xFF);
    if (size != tpm2bPublic.length - 2) {
      throw new AttestationException("tpm: tpm2_createak wrote an AK public area of " + tpm2bPublic.length
          + " bytes that is not a TPM2B_PUBLIC");
    }
    akPublic = Arrays.copyOfRange(tpm2bPublic, 2, tpm2bPublic.length);
    LOG.log(Level.INFO, "tpm: attestation key created on {0}: ECC NIST P-256, ECDSA SHA-256, name {1}",
        target, HexFormat.of().formatHex(read("ak.name")));
  }

  /** The enrolled AK at its persistent handle, checked against the AK certificate's Name. */
  private void loadEnrolledAk(TpmEnrollment.Enrolled enrolled) throws AttestationException {
    tools.flushUnmanaged();
    try {
      tools.run("tpm2_readpublic", "--object-context=" + enrolled.akHandle(), "--output=ak.pub", "--name=ak.name");
    } catch (AttestationException e) {
      throw new AttestationException("tpm: no enrolled AK at " + enrolled.akHandle() + " on " + target + " (" + e.getMessage()
          + "): is this the TPM that was enrolled? Enroll it with cmcp tpm enroll");
    }
    byte[] tpmtPublic = TpmEnrollment.withoutSize(read("ak.pub"));
    byte[] name;
    try {
      name = AkCertificate.CertifiedKey.of(tpmtPublic).name();
    } catch (TpmFormatException e) {
      throw new AttestationException("tpm: the key at " + enrolled.akHandle() + " is not an attestation key: " + e.getMessage());
    }
    if (!Arrays.equals(name, enrolled.binding().akName())) {
      throw new AttestationException("tpm: the key at " + enrolled.akHandle() + " (Name " + HexFormat.of().formatHex(name)
          + ") is not the AK the AK certificate names (" + HexFormat.of().formatHex(enrolled.binding().akName())
          + "): another TPM, or the AK was replaced; enroll again with cmcp tpm enroll");
    }
    akPublic = tpmtPublic;
    LOG.log(Level.INFO, "tpm: enrolled attestation key at {0} on {1}, name {2}, certified by {3}", enrolled.akHandle(),
        target, HexFormat.of().formatHex(name), enrolled.akCertificate().getIssuerX500Principal().getName());
  }

  private TpmEvidence runQuote(byte[] binding) throws AttestationException {
    for (String output : List.of("quote.attest", "quote.sig", "quote.pcrs")) {
      try {
        Files.deleteIfExists(workDir.resolve(output));
      } catch (IOException e) {
        throw new AttestationException("tpm: cannot clear " + workDir.resolve(output) + ": " + e.getMessage());
      }
    }
    String akContext = enrollment.map(TpmEnrollment.Enrolled::akHandle).orElse("ak.ctx");
    tools.run("tpm2_quote", "--key-context=" + akContext, "--pcr-list=" + pcrs, "--hash-algorithm=sha256",
        "--qualification=" + Digests.sha256Hex(binding),
        "--message=quote.attest", "--signature=quote.sig", "--pcr=quote.pcrs", "--pcrs_format=values");
    Optional<TpmEvidence.Enrollment> certificates = enrollment.map(TpmEnrollment.Enrolled::evidence);
    return new TpmEvidence(read("quote.attest"), read("quote.sig"), akPublic, pcrValues(read("quote.pcrs")), certificates);
  }

  /** tpm2_quote writes the values one after another in the selection's order, which is the quote's. */
  private List<TpmEvidence.PcrValue> pcrValues(byte[] values) throws AttestationException {
    int expected = pcrs.banks().stream().mapToInt(b -> b.indexes().size() * b.digestSize()).sum();
    if (values.length != expected) {
      throw new AttestationException("tpm: tpm2_quote wrote " + values.length + " bytes of PCR values; the selection "
          + pcrs + " has " + expected);
    }
    List<TpmEvidence.PcrValue> list = new ArrayList<>();
    int offset = 0;
    for (PcrSelection.Bank bank : pcrs.banks()) {
      for (int index : bank.indexes()) {
        list.add(new TpmEvidence.PcrValue(bank.algorithm(), index, Arrays.copyOfRange(values, offset, offset + bank.digestSize())));
        offset += bank.digestSize();
      }
    }
    return list;
  }

  private byte[] read(String file) throws AttestationException {
    try {
      return Files.readAllBytes(workDir.resolve(file));
    } catch (IOException e) {
      throw new AttestationException("tpm: the tpm2-tools output " + file + " cannot be read: " + e.getMessage());
    }
  }

  private static void deleteFolder(Path folder) {
    try (Stream<Path> files = Files.list(folder)) {
      for (Path file : files.toList()) {
        Files.deleteIfExists(file);
      }
      Files.deleteIfExists(folder);
    } catch (IOException | UncheckedIOException e) {
      LOG.log(Level.WARNING, "tpm: could not remove the working folder {0}: {1}", folder, e.getMessage());
    }
  }
}
