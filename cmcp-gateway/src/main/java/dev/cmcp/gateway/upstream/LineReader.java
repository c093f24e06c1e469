package dev.cmcp.gateway.upstream;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Splits a child's stdout or stderr into newline-delimited lines while holding at most a bounded
 * part of any one line: a server that writes a gigabyte without a newline costs the gateway no
 * more than the bound. Not thread-safe; one reader thread owns it.
 */
final class LineReader {

  /** One line, without its terminator. */
  sealed interface Line {
    record Whole(byte[] bytes) implements Line {}

    /**
     * A line longer than the bound: its first {@code head} bytes, and the remainder up to the
     * newline as a stream. Whatever of {@code rest} the caller leaves unread is skipped by the
     * next call to {@link #next}.
     */
    record TooLong(byte[] head, InputStream rest) implements Line {}
  }

  private final InputStream in;
  private final byte[] buffer = new byte[64 * 1024];
  private int position;
  private int end;
  private RestOfLine unfinished;

  LineReader(InputStream in) {
    this.in = in;
  }

  /** The next line, cut off after {@code maxBytes} bytes; null once the stream has ended. */
  Line next(int maxBytes) throws IOException {
    if (unfinished != null) {
      unfinished.skipAll();
      unfinished = null;
    }
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    while (true) {
      if (position == end && !fill()) {
        return line.size() == 0 ? null : whole(line.toByteArray());
      }
      int newline = indexOfNewline(position, end);
      int stop = newline < 0 ? end : newline;
      int room = maxBytes - line.size();
      if (stop - position > room) {
        line.write(buffer, position, room);
        position += room;
        unfinished = new RestOfLine();
        return new Line.TooLong(line.toByteArray(), unfinished);
      }
      line.write(buffer, position, stop - position);
      position = stop;
      if (newline >= 0) {
        position++;
        return whole(line.toByteArray());
      }
    }
  }

  private static Line whole(byte[] bytes) {
    // Tolerate CRLF from servers written on Windows.
    boolean crlf = bytes.length > 0 && bytes[bytes.length - 1] == '\r';
    return new Line.Whole(crlf ? Arrays.copyOf(bytes, bytes.length - 1) : bytes);
  }

  private int indexOfNewline(int from, int to) {
    for (int i = from; i < to; i++) {
      if (buffer[i] == '\n') {
        return i;
      }
    }
    return -1;
  }

  private boolean fill() throws IOException {
    int read = in.read(buffer, 0, buffer.length);
    if (read < 0) {
      return false;
    }
    position = 0;
    end = read;
    return true;
  }

  /** The remainder of an over-long line; ends (returns -1) at its newline. */
  private final class RestOfLine extends InputStream {
    private boolean finished;

    @Override
    public int read(byte[] into, int offset, int length) throws IOException {
      if (finished || length == 0) {
        return finished ? -1 : 0;
      }
      if (position == end && !fill()) {
        finished = true;
        return -1;
      }
      int limit = Math.min(end, position + length);
      int newline = indexOfNewline(position, limit);
      int stop = newline < 0 ? limit : newline;
      int count = stop - position;
      System.arraycopy(buffer, position, into, offset, count);
      position = stop;
      if (newline >= 0) {
        position++;
        finished = true;
        if (count == 0) {
          return -1;
        }
      }
      return count;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int read = read(one, 0, 1);
      return read < 0 ? -1 : one[0] & 0xff;
    }

    void skipAll() throws IOException {
      byte[] scratch = new byte[8192];
      while (read(scratch, 0, scratch.length) >= 0) {
        // discard
      }
    }
  }
}
