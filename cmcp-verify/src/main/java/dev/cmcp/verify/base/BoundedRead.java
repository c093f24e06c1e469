package dev.cmcp.verify.base;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads a file into memory with a byte limit that holds whatever the file is: a regular file, a
 * pipe, a device or a socket. {@code Files.size} is 0 for the latter (and for {@code /proc}
 * files), so a size check before {@code readAllBytes} does not bound them: {@code /dev/zero}
 * would be read until memory runs out. Here at most {@code limit + 1} bytes are ever read.
 */
public final class BoundedRead {

  private BoundedRead() {}

  /** Thrown when the file holds more than the limit; the message names the file, the limit and what was expected. */
  public static final class TooLargeException extends IOException {
    private static final long serialVersionUID = 1L;

    TooLargeException(String message) {
      super(message);
    }
  }

  /**
   * The file's bytes, at most {@code limit} of them.
   *
   * @param what what the file should be, for the message ("a claim", "a report or quote")
   * @throws TooLargeException when the file holds more than {@code limit} bytes
   * @throws IOException when it cannot be opened or read (NoSuchFileException when it is absent)
   */
  public static byte[] read(Path file, int limit, String what) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      byte[] bytes = in.readNBytes(limit + 1);
      if (bytes.length > limit) {
        throw new TooLargeException(file + " holds more than " + limit + " bytes: not " + what
            + " (read stopped at the limit)");
      }
      return bytes;
    }
  }
}
