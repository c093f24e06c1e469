package dev.cmcp.verify.evidence.tdx;

import java.util.Arrays;
import java.util.List;

/**
 * A TDX quote, version 4 or 5, as Intel's DCAP quote format lays it out. Integers are little-endian.
 * Version 5 (TDX module 1.5) puts a body descriptor between the header and the body: type u16
 * (2: TD report 1.0, 584 bytes, as in version 4; 3: TD report 1.5, 648 bytes, which adds
 * TEE_TCB_SVN2 16 and MRSERVICETD 48 after REPORTDATA) and size u32; the quote signature then
 * covers header, descriptor and body.
 * Parsing only checks structure; {@link TdxVerifier} checks what the bytes say. Arrays are the
 * parser's own copies and never leave the package.
 *
 * <pre>
 * header (48)          version u16, attestation key type u16, TEE type u32, reserved 4,
 *                      QE vendor id 16, user data 20
 * TD report body (584) see {@link TdReport}
 * signature data       length u32, then: quote signature 64 (r||s), attestation key 64 (x||y),
 *                      certification data: type u16 (6), size u32, then
 *                        QE report 384, QE report signature 64,
 *                        QE authentication data: size u16, bytes,
 *                        certification data: type u16 (5), size u32, PCK chain (PEM)
 * </pre>
 */
record TdxQuote(
    Header header,
    TdReport tdReport,
    byte[] signedPart,
    byte[] quoteSignature,
    byte[] attestationKey,
    byte[] qeReportBytes,
    QeReport qeReport,
    byte[] qeReportSignature,
    byte[] qeAuthData,
    byte[] pckChainPem,
    int trailingBytes) {

  static final int VERSION_4 = 4;
  static final int VERSION_5 = 5;
  static final int BODY_TD_REPORT_10 = 2;
  static final int BODY_TD_REPORT_15 = 3;
  static final int TD_REPORT_15_BYTES = 648;
  static final int ECDSA_P256_KEY = 2;
  static final long TEE_TYPE_TDX = 0x81;
  static final int QE_REPORT_CERTIFICATION_DATA = 6;
  static final int PCK_CERT_CHAIN = 5;
  static final int HEADER_BYTES = 48;
  static final int TD_REPORT_BYTES = 584;
  static final int QE_REPORT_BYTES = 384;
  static final int SIGNATURE_BYTES = 64;
  static final int KEY_BYTES = 64;

  record Header(int version, int attestationKeyType, long teeType, byte[] qeVendorId, byte[] userData) {}

  /**
   * The TD's measurements and attributes as the TDX module reported them.
   *
   * @param bodyVersion {@code 1.0} (quote version 4, or 5 with body type 2) or {@code 1.5}
   * @param teeTcbSvn2 TD report 1.5 only (empty otherwise)
   * @param mrServiceTd TD report 1.5 only (empty otherwise)
   */
  record TdReport(
      String bodyVersion,
      byte[] teeTcbSvn,
      byte[] mrSeam,
      byte[] mrSignerSeam,
      byte[] seamAttributes,
      byte[] tdAttributes,
      byte[] xfam,
      byte[] mrTd,
      byte[] mrConfigId,
      byte[] mrOwner,
      byte[] mrOwnerConfig,
      List<byte[]> rtmrs,
      byte[] reportData,
      byte[] teeTcbSvn2,
      byte[] mrServiceTd) {

    /** TDATTRIBUTES bit 0: the host can read and change the TD's state. */
    boolean debug() {
      return (tdAttributes[0] & 1) != 0;
    }
  }

  /** The quoting enclave's SGX report body. */
  record QeReport(
      byte[] cpuSvn, byte[] miscSelect, byte[] attributes, byte[] mrEnclave, byte[] mrSigner,
      int isvProdId, int isvSvn, byte[] reportData) {}

  static TdxQuote parse(byte[] quote) throws TdxException {
    Cursor in = new Cursor(quote, 0, quote.length, "quote");
    Header header = readHeader(in);
    TdReport tdReport = header.version() == VERSION_4 ? readTdReport(in, "1.0") : readV5Body(in);
    byte[] signedPart = Arrays.copyOfRange(quote, 0, in.position());

    Cursor signatureData = in.slice(in.u32("signature_data_length"), "signature data");
    byte[] quoteSignature = signatureData.bytes(SIGNATURE_BYTES, "quote_signature");
    byte[] attestationKey = signatureData.bytes(KEY_BYTES, "attestation_key");
    Cursor qeCertification = certificationData(signatureData, QE_REPORT_CERTIFICATION_DATA, "QE report certification data");
    signatureData.requireEnd();

    byte[] qeReportBytes = qeCertification.bytes(QE_REPORT_BYTES, "qe_report");
    QeReport qeReport = readQeReport(new Cursor(qeReportBytes, 0, qeReportBytes.length, "QE report"));
    byte[] qeReportSignature = qeCertification.bytes(SIGNATURE_BYTES, "qe_report_signature");
    byte[] qeAuthData = qeCertification.bytes(qeCertification.u16("qe_auth_data_size"), "qe_auth_data");
    Cursor pckChain = certificationData(qeCertification, PCK_CERT_CHAIN, "PCK certificate chain");
    qeCertification.requireEnd();

    return new TdxQuote(header, tdReport, signedPart, quoteSignature, attestationKey, qeReportBytes, qeReport,
        qeReportSignature, qeAuthData, pckChain.bytes(pckChain.remaining(), "pck_cert_chain"), in.remaining());
  }

  private static Header readHeader(Cursor in) throws TdxException {
    int version = in.u16("header.version");
    if (version != VERSION_4 && version != VERSION_5) {
      throw new TdxException("quote version " + version + " is not supported (expected " + VERSION_4 + " or " + VERSION_5 + ")");
    }
    int keyType = in.u16("header.attestation_key_type");
    if (keyType != ECDSA_P256_KEY) {
      throw new TdxException("attestation key type " + keyType + " is not supported (expected 2, ECDSA-256 with P-256)");
    }
    long teeType = in.u32("header.tee_type");
    if (teeType != TEE_TYPE_TDX) {
      throw new TdxException(String.format("TEE type 0x%x is not TDX (0x81)", teeType));
    }
    in.bytes(4, "header.reserved");
    return new Header(version, keyType, teeType, in.bytes(16, "header.qe_vendor_id"), in.bytes(20, "header.user_data"));
  }

  /** The body descriptor of a version 5 quote, then the TD report 1.0 or 1.5 it announces. */
  private static TdReport readV5Body(Cursor in) throws TdxException {
    int type = in.u16("body.type");
    long size = in.u32("body.size");
    if (type == BODY_TD_REPORT_10 && size == TD_REPORT_BYTES) {
      return readTdReport(in, "1.0");
    }
    if (type == BODY_TD_REPORT_15 && size == TD_REPORT_15_BYTES) {
      return readTdReport(in, "1.5");
    }
    throw new TdxException("quote version 5 body type " + type + " of " + size + " bytes is not a TD report"
        + " (expected type 2 of " + TD_REPORT_BYTES + " bytes or type 3 of " + TD_REPORT_15_BYTES + "; type 1 is an SGX enclave's)");
  }

  private static TdReport readTdReport(Cursor in, String bodyVersion) throws TdxException {
    return new TdReport(
        bodyVersion,
        in.bytes(16, "td_report.tee_tcb_svn"),
        in.bytes(48, "td_report.mrseam"),
        in.bytes(48, "td_report.mrsignerseam"),
        in.bytes(8, "td_report.seam_attributes"),
        in.bytes(8, "td_report.td_attributes"),
        in.bytes(8, "td_report.xfam"),
        in.bytes(48, "td_report.mrtd"),
        in.bytes(48, "td_report.mrconfigid"),
        in.bytes(48, "td_report.mrowner"),
        in.bytes(48, "td_report.mrownerconfig"),
        List.of(in.bytes(48, "td_report.rtmr0"), in.bytes(48, "td_report.rtmr1"),
            in.bytes(48, "td_report.rtmr2"), in.bytes(48, "td_report.rtmr3")),
        in.bytes(64, "td_report.report_data"),
        bodyVersion.equals("1.5") ? in.bytes(16, "td_report.tee_tcb_svn2") : new byte[0],
        bodyVersion.equals("1.5") ? in.bytes(48, "td_report.mrservicetd") : new byte[0]);
  }

  private static QeReport readQeReport(Cursor in) throws TdxException {
    byte[] cpuSvn = in.bytes(16, "qe_report.cpu_svn");
    byte[] miscSelect = in.bytes(4, "qe_report.misc_select");
    in.bytes(28, "qe_report.reserved1");
    byte[] attributes = in.bytes(16, "qe_report.attributes");
    byte[] mrEnclave = in.bytes(32, "qe_report.mrenclave");
    in.bytes(32, "qe_report.reserved2");
    byte[] mrSigner = in.bytes(32, "qe_report.mrsigner");
    in.bytes(96, "qe_report.reserved3");
    int isvProdId = in.u16("qe_report.isv_prod_id");
    int isvSvn = in.u16("qe_report.isv_svn");
    in.bytes(60, "qe_report.reserved4");
    return new QeReport(cpuSvn, miscSelect, attributes, mrEnclave, mrSigner, isvProdId, isvSvn, in.bytes(64, "qe_report.report_data"));
  }

  /** Reads a certification data header of the expected type and returns its body, which must fill {@code in} exactly. */
  private static Cursor certificationData(Cursor in, int expectedType, String what) throws TdxException {
    int type = in.u16("certification_data_type");
    if (type != expectedType) {
      throw new TdxException("certification data type " + type + " is not supported here (expected " + expectedType + ", " + what + ")");
    }
    return in.slice(in.u32("certification_data_size"), what);
  }

  /** A bounds-checked little-endian reader over one region of the quote. */
  private static final class Cursor {
    private final byte[] data;
    private final int end;
    private final String region;
    private int position;

    Cursor(byte[] data, int start, int end, String region) {
      this.data = data;
      this.position = start;
      this.end = end;
      this.region = region;
    }

    int position() {
      return position;
    }

    int remaining() {
      return end - position;
    }

    byte[] bytes(long count, String field) throws TdxException {
      require(count, field);
      byte[] value = Arrays.copyOfRange(data, position, position + (int) count);
      position += (int) count;
      return value;
    }

    int u16(String field) throws TdxException {
      require(2, field);
      int value = (data[position] & 0xff) | (data[position + 1] & 0xff) << 8;
      position += 2;
      return value;
    }

    long u32(String field) throws TdxException {
      require(4, field);
      long value = 0;
      for (int i = 3; i >= 0; i--) {
        value = value << 8 | (data[position + i] & 0xff);
      }
      position += 4;
      return value;
    }

    /** The next {@code count} bytes as their own region; this cursor moves past them. */
    Cursor slice(long count, String what) throws TdxException {
      require(count, what);
      Cursor inner = new Cursor(data, position, position + (int) count, what);
      position += (int) count;
      return inner;
    }

    void requireEnd() throws TdxException {
      if (position != end) {
        throw new TdxException(region + " has " + remaining() + " unexpected bytes at offset " + position + " after its last field");
      }
    }

    private void require(long count, String field) throws TdxException {
      if (count > remaining()) {
        throw new TdxException("quote truncated: " + field + " needs " + count + " bytes at offset " + position
            + " but the " + region + " has only " + remaining() + " left");
      }
    }
  }
}
