package dev.cmcp.verify.evidence.tpm;

import java.util.Arrays;

/**
 * A cursor over one marshaled TPM structure: big-endian integers and size-prefixed buffers
 * (TPM 2.0 Library, Part 2), every read checked against the bytes that are left, so untrusted
 * input can end early or lie about a length without ever reading out of bounds.
 */
final class TpmReader {

  private final String structure;
  private final byte[] bytes;
  private int offset;

  /** @param structure the name errors use, e.g. {@code TPMS_ATTEST} */
  TpmReader(String structure, byte[] bytes) {
    this.structure = structure;
    this.bytes = bytes;
  }

  int u8(String field) throws TpmFormatException {
    require(1, field);
    return bytes[offset++] & 0xFF;
  }

  int u16(String field) throws TpmFormatException {
    require(2, field);
    int value = ((bytes[offset] & 0xFF) << 8) | (bytes[offset + 1] & 0xFF);
    offset += 2;
    return value;
  }

  /** An unsigned 32-bit value. */
  long u32(String field) throws TpmFormatException {
    require(4, field);
    long value = 0;
    for (int i = 0; i < 4; i++) {
      value = (value << 8) | (bytes[offset++] & 0xFF);
    }
    return value;
  }

  /** A 64-bit value; the TPM's UINT64 fields (clock, firmware version) fit a signed long's bit pattern. */
  long u64(String field) throws TpmFormatException {
    require(8, field);
    long value = 0;
    for (int i = 0; i < 8; i++) {
      value = (value << 8) | (bytes[offset++] & 0xFF);
    }
    return value;
  }

  byte[] bytes(int length, String field) throws TpmFormatException {
    require(length, field);
    byte[] value = Arrays.copyOfRange(bytes, offset, offset + length);
    offset += length;
    return value;
  }

  /** A TPM2B: a 16-bit size, then that many bytes, at most {@code max}. */
  byte[] sized(String field, int max) throws TpmFormatException {
    int size = u16(field + " size");
    if (size > max) {
      throw new TpmFormatException(structure + ": " + field + " is " + size + " bytes, more than the " + max + " it may hold");
    }
    return bytes(size, field);
  }

  /** The structure must end exactly here: trailing bytes would be unsigned or unexplained data. */
  void end() throws TpmFormatException {
    if (offset != bytes.length) {
      throw new TpmFormatException(structure + ": " + (bytes.length - offset) + " unexpected bytes after the end at offset " + offset);
    }
  }

  TpmFormatException invalid(String problem) {
    return new TpmFormatException(structure + ": " + problem);
  }

  private void require(int length, String field) throws TpmFormatException {
    if (length > bytes.length - offset) {
      throw new TpmFormatException(structure + ": truncated: " + field + " needs " + length + " bytes at offset " + offset
          + ", only " + (bytes.length - offset) + " left");
    }
  }
}
