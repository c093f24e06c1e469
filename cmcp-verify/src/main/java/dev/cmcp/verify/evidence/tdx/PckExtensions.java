package dev.cmcp.verify.evidence.tdx;

import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * What Intel's SGX extension (OID 1.2.840.113741.1.13.1) of a PCK certificate says about the
 * platform: its FMSPC, PCE id and the TCB the certificate was issued for. The extension is a
 * DER SEQUENCE of {OID, value} pairs; the TCB entry is itself such a sequence.
 */
record PckExtensions(String fmspc, String pceId, int pceSvn, int[] cpuSvnComponents) {

  static final String SGX_EXTENSION = "1.2.840.113741.1.13.1";
  private static final String TCB = SGX_EXTENSION + ".2";
  private static final String PCE_ID = SGX_EXTENSION + ".3";
  private static final String FMSPC = SGX_EXTENSION + ".4";
  private static final String PCE_SVN = TCB + ".17";
  private static final int CPU_SVN_COMPONENTS = 16;

  private static final int INTEGER = 0x02;
  private static final int OCTET_STRING = 0x04;
  private static final int OID = 0x06;
  private static final int SEQUENCE = 0x30;

  static PckExtensions of(X509Certificate pck) throws TdxException {
    byte[] wrapped = pck.getExtensionValue(SGX_EXTENSION);
    if (wrapped == null) {
      throw new TdxException("the PCK certificate has no SGX extension (" + SGX_EXTENSION + ")");
    }
    Der extnValue = Der.read(wrapped, 0, wrapped.length, OCTET_STRING);
    Map<String, Der> entries = pairs(Der.read(wrapped, extnValue.start, extnValue.end(), SEQUENCE));
    Map<String, Der> tcb = pairs(require(entries, TCB, SEQUENCE));

    int[] components = new int[CPU_SVN_COMPONENTS];
    for (int i = 0; i < CPU_SVN_COMPONENTS; i++) {
      components[i] = require(tcb, TCB + "." + (i + 1), INTEGER).smallInt();
    }
    return new PckExtensions(
        require(entries, FMSPC, OCTET_STRING).hex(),
        require(entries, PCE_ID, OCTET_STRING).hex(),
        require(tcb, PCE_SVN, INTEGER).smallInt(),
        components);
  }

  /** The {OID, value} pairs of a SEQUENCE, by OID. */
  private static Map<String, Der> pairs(Der sequence) throws TdxException {
    Map<String, Der> byOid = new HashMap<>();
    for (Der pair : sequence.children()) {
      List<Der> parts = pair.children();
      if (pair.tag != SEQUENCE || parts.size() != 2 || parts.get(0).tag != OID) {
        throw new TdxException("the PCK certificate's SGX extension is malformed (expected {OID, value} pairs)");
      }
      byOid.put(parts.get(0).oid(), parts.get(1));
    }
    return byOid;
  }

  private static Der require(Map<String, Der> entries, String oid, int tag) throws TdxException {
    Der value = entries.get(oid);
    if (value == null || value.tag != tag) {
      throw new TdxException("the PCK certificate's SGX extension lacks " + oid);
    }
    return value;
  }

  /** One DER element: tag and the bounds of its contents within {@code data}. */
  private record Der(byte[] data, int tag, int start, int length) {

    int end() {
      return start + length;
    }

    static Der read(byte[] data, int offset, int limit, int expectedTag) throws TdxException {
      Der element = read(data, offset, limit);
      if (element.tag != expectedTag) {
        throw new TdxException(String.format("the PCK certificate's SGX extension is malformed (tag 0x%02x, expected 0x%02x)", element.tag, expectedTag));
      }
      return element;
    }

    static Der read(byte[] data, int offset, int limit) throws TdxException {
      if (limit - offset < 2) {
        throw malformed();
      }
      int tag = data[offset] & 0xff;
      int first = data[offset + 1] & 0xff;
      int position = offset + 2;
      int length;
      if (first < 0x80) {
        length = first;
      } else {
        int count = first & 0x7f;
        // Lengths beyond three bytes cannot occur in a certificate extension.
        if (count == 0 || count > 3 || limit - position < count) {
          throw malformed();
        }
        length = 0;
        for (int i = 0; i < count; i++) {
          length = length << 8 | (data[position++] & 0xff);
        }
      }
      if (length > limit - position) {
        throw malformed();
      }
      return new Der(data, tag, position, length);
    }

    List<Der> children() throws TdxException {
      List<Der> children = new ArrayList<>();
      for (int position = start; position < end(); ) {
        Der child = read(data, position, end());
        children.add(child);
        position = child.end();
      }
      return children;
    }

    int smallInt() throws TdxException {
      if (length < 1 || length > 3 || (data[start] & 0x80) != 0) {
        throw new TdxException("the PCK certificate's SGX extension holds an SVN that is not a small non-negative integer");
      }
      int value = 0;
      for (int i = start; i < end(); i++) {
        value = value << 8 | (data[i] & 0xff);
      }
      return value;
    }

    String hex() {
      return HexFormat.of().formatHex(data, start, end());
    }

    String oid() throws TdxException {
      if (length == 0) {
        throw malformed();
      }
      StringBuilder text = new StringBuilder();
      long arc = 0;
      boolean firstArc = true;
      for (int i = start; i < end(); i++) {
        arc = arc << 7 | (data[i] & 0x7f);
        if ((data[i] & 0x80) == 0) {
          if (firstArc) {
            text.append(Math.min(arc / 40, 2)).append('.').append(arc - 40 * Math.min(arc / 40, 2));
            firstArc = false;
          } else {
            text.append('.').append(arc);
          }
          arc = 0;
        } else if (arc > (1L << 40)) {
          throw malformed();
        }
      }
      if ((data[end() - 1] & 0x80) != 0) {
        throw malformed();
      }
      return text.toString();
    }

    private static TdxException malformed() {
      return new TdxException("the PCK certificate's SGX extension is not valid DER");
    }
  }
}
