package dev.cmcp.gateway.attest;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.verify.claim.Binding;
import dev.cmcp.verify.claim.Platform;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Optional;

/**
 * Intel TDX: a quote (version 4 or 5) signed by the TD quoting enclave, obtained through
 * configfs-tsm, with the binding as REPORTDATA. The measurement is MRTD, the digest of the TD's
 * initial memory.
 *
 * <p>Evidence: base64url of the canonical JSON {@code {"format":"cmcp-tdx-evidence-v1","quote":<base64url quote>}};
 * the quote carries its PCK certificate chain.
 */
public final class TdxProvider implements AttestationProvider {

  public static final String EVIDENCE_FORMAT = "cmcp-tdx-evidence-v1";
  public static final String ASSURANCE = "confidential-vm";

  static final String TSM_PROVIDER = "tdx_guest";

  /** Layout of the Intel TDX DCAP quote: a 48-byte header, then the TD report body. */
  private static final int HEADER_BYTES = 48;
  private static final int TEE_TYPE_OFFSET = 4;
  private static final int TEE_TYPE_TDX = 0x81;
  /** Version 5 puts a body type (2 bytes) and size (4 bytes) between header and body. */
  private static final int V5_BODY_DESCRIPTOR_BYTES = 6;
  private static final int BODY_BYTES = 584;
  static final int MRTD_OFFSET_IN_BODY = 136;
  static final int MRTD_BYTES = 48;
  static final int REPORT_DATA_OFFSET_IN_BODY = 520;

  private static final Path LEGACY_DEVICE = Path.of("/dev/tdx_guest");

  private final ConfigfsTsm tsm;
  private final Clock clock;

  TdxProvider(ConfigfsTsm tsm, Clock clock) {
    this.tsm = tsm;
    this.clock = clock;
  }

  /** Why this machine offers no TDX quotes; empty when it does. */
  static Optional<String> absence(ConfigfsTsm tsm) throws AttestationException {
    return tsm.absence(TSM_PROVIDER, LEGACY_DEVICE);
  }

  @Override
  public Platform platform() {
    return Platform.TDX;
  }

  @Override
  public String configName() {
    return "tdx";
  }

  @Override
  public RuntimeEvidence attest(Binding binding) throws AttestationException {
    byte[] quote = tsm.report(binding.bytes(), TSM_PROVIDER).outblob();
    int body = bodyOffset(quote);
    ConfigfsTsm.warnUnlessBound("tdx", quote, body + REPORT_DATA_OFFSET_IN_BODY, binding);
    int mrtd = body + MRTD_OFFSET_IN_BODY;
    String measurement = HexFormat.of().formatHex(Arrays.copyOfRange(quote, mrtd, mrtd + MRTD_BYTES));
    ObjectNode document = JsonNodeFactory.instance.objectNode();
    document.put("format", EVIDENCE_FORMAT);
    document.put("quote", RuntimeEvidence.base64Url(quote));
    return RuntimeEvidence.of(Platform.TDX, ASSURANCE, measurement, document, clock.instant());
  }

  /** Where the TD report body starts; refuses anything that is not a whole TDX quote. */
  private int bodyOffset(byte[] quote) throws AttestationException {
    if (quote.length < HEADER_BYTES + V5_BODY_DESCRIPTOR_BYTES + BODY_BYTES) {
      throw new AttestationException("tdx: the quote from " + tsm.root() + " has only " + quote.length + " bytes");
    }
    ByteBuffer header = ByteBuffer.wrap(quote).order(ByteOrder.LITTLE_ENDIAN);
    int version = Short.toUnsignedInt(header.getShort(0));
    int teeType = header.getInt(TEE_TYPE_OFFSET);
    if (teeType != TEE_TYPE_TDX) {
      throw new AttestationException("tdx: the quote from " + tsm.root() + " has TEE type 0x" + Integer.toHexString(teeType)
          + ", not TDX (0x81)");
    }
    return switch (version) {
      case 4 -> HEADER_BYTES;
      case 5 -> HEADER_BYTES + V5_BODY_DESCRIPTOR_BYTES;
      default -> throw new AttestationException("tdx: the quote from " + tsm.root() + " has version " + version
          + "; this gateway reads versions 4 and 5");
    };
  }
}
