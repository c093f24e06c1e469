package dev.cmcp.gateway.attest;

import dev.cmcp.verify.claim.Binding;
import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Optional;

/**
 * The Linux configfs-tsm report interface (Linux 6.7 and later), through which SEV-SNP and TDX
 * guests obtain a signed report over 64 bytes of their choosing: make a folder under the report
 * root, write the bytes to {@code inblob}, read {@code outblob} (and {@code auxblob}, the SNP
 * certificate table), remove the folder. The kernel names its report format in {@code provider}
 * ({@code sev_guest}, {@code tdx_guest}).
 *
 * <p>Each report gets a fresh, randomly named folder, so no other process shares it; the
 * {@code generation} counter, which the kernel raises on every write to the folder, is read
 * before and after the blobs to detect a writer that did anyway.
 */
final class ConfigfsTsm {

  private static final Logger LOG = System.getLogger("cmcp.attest");

  /** Reports are at most 32 KiB in Linux; the bound only stops a runaway read. */
  private static final int MAX_BLOB_BYTES = 1 << 20;
  private static final int MAX_WORD_BYTES = 64;
  private static final int INBLOB_BYTES = 64;

  /**
   * The kernel side of the interface: configfs in a guest, a folder the test lays out in tests.
   * Making and removing a report folder is where the two differ: in configfs the kernel creates
   * the attribute files on mkdir and drops them on rmdir.
   */
  interface Filesystem {
    void makeFolder(Path folder) throws IOException;

    byte[] read(Path attribute, int maxBytes) throws IOException;

    void write(Path attribute, byte[] value) throws IOException;

    void removeFolder(Path folder) throws IOException;
  }

  /** configfs itself: plain mkdir, read, write and rmdir. */
  static final Filesystem CONFIGFS = new Filesystem() {
    @Override
    public void makeFolder(Path folder) throws IOException {
      Files.createDirectory(folder);
    }

    @Override
    public byte[] read(Path attribute, int maxBytes) throws IOException {
      try (InputStream in = Files.newInputStream(attribute)) {
        byte[] bytes = in.readNBytes(maxBytes + 1);
        if (bytes.length > maxBytes) {
          throw new IOException(attribute.getFileName() + " is larger than " + maxBytes + " bytes");
        }
        return bytes;
      }
    }

    @Override
    public void write(Path attribute, byte[] value) throws IOException {
      Files.write(attribute, value);
    }

    @Override
    public void removeFolder(Path folder) throws IOException {
      Files.delete(folder);
    }
  };

  /**
   * What the kernel answered.
   *
   * @param provider the report format, e.g. {@code sev_guest}
   * @param auxblob empty when the platform supplied no auxiliary data
   */
  record Report(String provider, byte[] outblob, Optional<byte[]> auxblob) {}

  private final Path root;
  private final Filesystem files;
  private final SecureRandom random = new SecureRandom();

  ConfigfsTsm(Path root, Filesystem files) {
    this.root = root;
    this.files = files;
  }

  Path root() {
    return root;
  }

  /**
   * Why this machine offers no reports of format {@code provider} here; empty when it does. Finds
   * out by making (and removing) one report folder and reading its {@code provider}.
   *
   * @param legacyDevice the guest device of kernels before configfs-tsm, named in the reason when present
   */
  Optional<String> absence(String provider, Path legacyDevice) throws AttestationException {
    if (!Files.isDirectory(root)) {
      String reason = root + " not found (configfs-tsm needs Linux 6.7 or later with configfs mounted: "
          + "mount -t configfs none /sys/kernel/config)";
      if (Files.exists(legacyDevice)) {
        reason += "; " + legacyDevice + " exists, but that older interface needs ioctl calls, which this Java gateway "
            + "cannot make without native code";
      }
      return Optional.of(reason);
    }
    String offered = provider();
    if (!offered.equals(provider)) {
      return Optional.of(root + " offers " + offered + " reports, not " + provider);
    }
    return Optional.empty();
  }

  /** The report format the kernel offers, read from a folder made and removed for the purpose. */
  String provider() throws AttestationException {
    Path folder = makeFolder();
    try {
      return word(folder, "provider");
    } finally {
      removeFolder(folder);
    }
  }

  /**
   * A report over {@code inblob}. A folder whose generation changed while it was read is given
   * up and the request made once more in a new one; a second change fails.
   */
  Report report(byte[] inblob, String expectedProvider) throws AttestationException {
    if (inblob.length != INBLOB_BYTES) {
      throw new IllegalArgumentException("inblob must be " + INBLOB_BYTES + " bytes, not " + inblob.length);
    }
    Optional<Report> report = attempt(inblob);
    if (report.isEmpty()) {
      LOG.log(Level.WARNING, "configfs-tsm: another writer changed the report folder; asking once more");
      report = attempt(inblob);
    }
    if (report.isEmpty()) {
      throw new AttestationException("configfs-tsm: the report folder under " + root + " was written by someone else "
          + "during two requests in a row (its generation changed); find the other process that writes there");
    }
    if (!report.get().provider().equals(expectedProvider)) {
      throw new AttestationException("configfs-tsm: " + root + " made a " + report.get().provider() + " report, not "
          + expectedProvider + "; choose the attestation.provider of this machine, or auto");
    }
    return report.get();
  }

  /**
   * Logs when a report does not carry the binding written to {@code inblob}. Claims bound to it
   * would fail the verifier's binding check; the gateway does not stop, since the verifier, not
   * the gateway, is what a relying party trusts.
   */
  static void warnUnlessBound(String platform, byte[] report, int offset, Binding binding) {
    byte[] userData = Arrays.copyOfRange(report, offset, offset + INBLOB_BYTES);
    if (!MessageDigest.isEqual(userData, binding.bytes())) {
      LOG.log(Level.ERROR, platform + ": the report's user data is " + HexFormat.of().formatHex(userData)
          + ", not the binding " + binding.hex() + " written to inblob; claims bound to it will fail verification");
    }
  }

  /** The report, or empty when the folder's generation changed while it was being read. */
  private Optional<Report> attempt(byte[] inblob) throws AttestationException {
    Path folder = makeFolder();
    try {
      try {
        files.write(folder.resolve("inblob"), inblob);
      } catch (IOException e) {
        throw failure("cannot write " + folder.resolve("inblob"), e);
      }
      // From our own write on, nothing should write here (the folder's name is random): a
      // generation that moves while the blobs are read means another writer.
      long before = generation(folder);
      byte[] outblob = blob(folder, "outblob").orElseThrow(
          () -> new AttestationException("configfs-tsm: " + folder.resolve("outblob") + " is missing or empty"));
      Optional<byte[]> auxblob = blob(folder, "auxblob");
      String provider = word(folder, "provider");
      if (generation(folder) != before) {
        return Optional.empty();
      }
      return Optional.of(new Report(provider, outblob, auxblob));
    } finally {
      removeFolder(folder);
    }
  }

  private Path makeFolder() throws AttestationException {
    Path folder = root.resolve("cmcp-" + HexFormat.of().formatHex(nextName()));
    try {
      files.makeFolder(folder);
      return folder;
    } catch (AccessDeniedException e) {
      throw new AttestationException("configfs-tsm: cannot make a report folder under " + root
          + ": permission denied; run the gateway as a user that may write there (normally root)");
    } catch (IOException e) {
      throw failure("cannot make a report folder under " + root, e);
    }
  }

  private byte[] nextName() {
    byte[] name = new byte[8];
    random.nextBytes(name);
    return name;
  }

  private void removeFolder(Path folder) {
    try {
      files.removeFolder(folder);
    } catch (IOException e) {
      // The report is already read; a folder left behind costs a little kernel memory, nothing more.
      LOG.log(Level.WARNING, "configfs-tsm: cannot remove " + folder + ": " + e.getMessage());
    }
  }

  private long generation(Path folder) throws AttestationException {
    String word = word(folder, "generation");
    try {
      return Long.parseLong(word);
    } catch (NumberFormatException e) {
      throw new AttestationException("configfs-tsm: " + folder.resolve("generation") + " holds \"" + word + "\", not a number");
    }
  }

  /** A short text attribute, without its trailing newline. */
  private String word(Path folder, String name) throws AttestationException {
    try {
      return new String(files.read(folder.resolve(name), MAX_WORD_BYTES), StandardCharsets.US_ASCII).strip();
    } catch (IOException e) {
      throw failure("cannot read " + folder.resolve(name), e);
    }
  }

  /** A binary attribute; empty when the kernel offers none or it holds nothing. */
  private Optional<byte[]> blob(Path folder, String name) throws AttestationException {
    try {
      byte[] bytes = files.read(folder.resolve(name), MAX_BLOB_BYTES);
      return bytes.length == 0 ? Optional.empty() : Optional.of(bytes);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw failure("cannot read " + folder.resolve(name), e);
    }
  }

  private static AttestationException failure(String what, IOException e) {
    String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return new AttestationException("configfs-tsm: " + what + ": " + reason);
  }
}
