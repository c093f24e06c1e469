package dev.cmcp.gateway.attest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * configfs-tsm played by an ordinary folder: each report folder the gateway makes is laid out
 * with the files the kernel would show ({@code provider}, {@code generation}, {@code outblob},
 * {@code auxblob}), pre-written by the test. What the gateway wrote to {@code inblob} is kept
 * when it removes the folder.
 */
final class LaidOutConfigfs implements ConfigfsTsm.Filesystem {

  private final String provider;
  private final byte[] outblob;
  private final Optional<byte[]> auxblob;
  private final List<byte[]> inblobs = new ArrayList<>();
  private int foldersMade;
  private int foldersWithAnotherWriter;

  LaidOutConfigfs(String provider, byte[] outblob, Optional<byte[]> auxblob) {
    this.provider = provider;
    this.outblob = outblob.clone();
    this.auxblob = auxblob.map(byte[]::clone);
  }

  /** In the next {@code count} folders, another writer raises the generation while outblob is read. */
  LaidOutConfigfs withAnotherWriterInFirstFolders(int count) {
    foldersWithAnotherWriter = count;
    return this;
  }

  /** What was written to inblob, one entry per report folder, in order. */
  List<byte[]> inblobs() {
    return inblobs;
  }

  int foldersMade() {
    return foldersMade;
  }

  @Override
  public void makeFolder(Path folder) throws IOException {
    Files.createDirectory(folder);
    foldersMade++;
    Files.writeString(folder.resolve("provider"), provider + "\n", StandardCharsets.US_ASCII);
    Files.writeString(folder.resolve("generation"), "1\n", StandardCharsets.US_ASCII);
    Files.write(folder.resolve("outblob"), outblob);
    if (auxblob.isPresent()) {
      Files.write(folder.resolve("auxblob"), auxblob.get());
    }
  }

  @Override
  public byte[] read(Path attribute, int maxBytes) throws IOException {
    byte[] bytes = ConfigfsTsm.CONFIGFS.read(attribute, maxBytes);
    if (attribute.getFileName().toString().equals("outblob") && foldersMade <= foldersWithAnotherWriter) {
      Files.writeString(attribute.resolveSibling("generation"), "2\n", StandardCharsets.US_ASCII);
    }
    return bytes;
  }

  @Override
  public void write(Path attribute, byte[] value) throws IOException {
    ConfigfsTsm.CONFIGFS.write(attribute, value);
  }

  @Override
  public void removeFolder(Path folder) throws IOException {
    Path inblob = folder.resolve("inblob");
    if (Files.exists(inblob)) {
      inblobs.add(Files.readAllBytes(inblob));
    }
    try (Stream<Path> files = Files.walk(folder)) {
      for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(file);
      }
    }
  }
}
