package dev.cmcp.verify.evidence.snp;

import dev.cmcp.verify.evidence.TrustStore;
import dev.cmcp.verify.evidence.TrustStoreException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Map;
import java.util.UUID;

/**
 * The certificate table a host may return after an extended report (GHCB specification,
 * SNP_GET_EXT_REPORT; Linux configfs-tsm {@code auxblob}): entries of a 16-byte GUID, a
 * little-endian offset and length (from the start of the table), ended by an all-zero entry,
 * then the DER certificates. Only the VCEK, VLEK, ASK and ARK entries are read; others are
 * skipped. Every offset and length is checked against the table's bytes.
 */
final class CertificateTable {
  private static final int ENTRY_SIZE = 24;

  // GUIDs in their RFC 4122 byte order, as go-sev-guest and the kernel's users write them.
  private static final Map<UUID, String> KNOWN = Map.of(
      UUID.fromString("63da758d-e664-4564-adc5-f4b93be8accd"), "VCEK",
      UUID.fromString("a8074bc2-a25a-483e-aae6-39c045a0b8a1"), "VLEK",
      UUID.fromString("4ab7b379-bbac-4fe4-a02f-05aef327c782"), "ASK",
      UUID.fromString("c0b406a4-a803-4952-9743-3fb6014cd0ae"), "ARK");

  private CertificateTable() {}

  static TrustStore parse(byte[] table) throws SnpProblem {
    ByteBuffer le = ByteBuffer.wrap(table).order(ByteOrder.LITTLE_ENDIAN);
    ByteBuffer be = ByteBuffer.wrap(table);
    TrustStore certificates = TrustStore.empty();
    int headerEnd = -1;
    // First pass finds the terminator, so that offsets can be checked to lie after the header.
    for (int at = 0; at + ENTRY_SIZE <= table.length; at += ENTRY_SIZE) {
      if (isZero(table, at, ENTRY_SIZE)) {
        headerEnd = at + ENTRY_SIZE;
        break;
      }
    }
    if (headerEnd < 0) {
      throw new SnpProblem("certificate table after the report has no all-zero terminating entry");
    }
    for (int at = 0; at + ENTRY_SIZE < headerEnd; at += ENTRY_SIZE) {
      UUID guid = new UUID(be.getLong(at), be.getLong(at + 8));
      long offset = Integer.toUnsignedLong(le.getInt(at + 16));
      long length = Integer.toUnsignedLong(le.getInt(at + 20));
      String name = KNOWN.get(guid);
      if (name == null) {
        continue;
      }
      if (offset < headerEnd || offset + length > table.length || length == 0) {
        throw new SnpProblem("certificate table entry " + name + " (offset " + offset + ", length "
            + length + ") is empty or lies outside the table's " + table.length + " bytes");
      }
      byte[] der = Arrays.copyOfRange(table, (int) offset, (int) (offset + length));
      try {
        certificates = certificates.plus(TrustStore.parse(name + " in the evidence's certificate table", der));
      } catch (TrustStoreException e) {
        throw new SnpProblem(e.getMessage());
      }
    }
    return certificates;
  }

  private static boolean isZero(byte[] bytes, int from, int length) {
    for (int i = from; i < from + length; i++) {
      if (bytes[i] != 0) {
        return false;
      }
    }
    return true;
  }
}
