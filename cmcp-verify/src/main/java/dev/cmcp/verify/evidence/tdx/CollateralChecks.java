package dev.cmcp.verify.evidence.tdx;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Collectors;

/**
 * What Intel's signed TCB info and QE identity say about this quote. Each method takes collateral
 * whose signature already checked out ({@link SignedCollateral}) and parts of the quote that are
 * already authenticated, and reads the JSON defensively: a missing or mistyped field fails the check.
 */
final class CollateralChecks {

  private static final HexFormat HEX = HexFormat.of();
  private static final int TCB_COMPONENTS = 16;

  private CollateralChecks() {}

  /** The TCB info is for TDX on this platform (FMSPC, PCE id) and this TDX module (signer, attributes). */
  static Outcome tcbInfo(SignedCollateral signed, TdxQuote.TdReport td, PckExtensions pck) throws TdxException {
    JsonNode info = signed.body();
    String id = text(info, "id", "TCB info");
    if (!id.equals("TDX")) {
      throw new TdxException("TCB info id is \"" + id + "\", not \"TDX\": an SGX TCB info cannot vouch for a TD");
    }
    int version = number(info, "version", "TCB info");
    if (version != 3) {
      throw new TdxException("TCB info version " + version + " is not supported (expected 3)");
    }
    String fmspc = text(info, "fmspc", "TCB info");
    if (!fmspc.equalsIgnoreCase(pck.fmspc())) {
      throw new TdxException("the TCB info is for FMSPC " + fmspc + " but the PCK certificate says " + pck.fmspc());
    }
    String pceId = text(info, "pceId", "TCB info");
    if (!pceId.equalsIgnoreCase(pck.pceId())) {
      throw new TdxException("the TCB info is for PCE id " + pceId + " but the PCK certificate says " + pck.pceId());
    }
    JsonNode module = info.path("tdxModule");
    byte[] moduleSigner = hex(module, "mrsigner", 48, "TCB info tdxModule");
    if (!Arrays.equals(moduleSigner, td.mrSignerSeam())) {
      throw new TdxException("MRSIGNERSEAM " + HEX.formatHex(td.mrSignerSeam()) + " is not the TDX module signer of the TCB info ("
          + HEX.formatHex(moduleSigner) + ")");
    }
    byte[] attributes = hex(module, "attributes", 8, "TCB info tdxModule");
    byte[] mask = hex(module, "attributesMask", 8, "TCB info tdxModule");
    if (!Arrays.equals(and(td.seamAttributes(), mask), attributes)) {
      throw new TdxException("SEAMATTRIBUTES " + HEX.formatHex(td.seamAttributes()) + " under mask " + HEX.formatHex(mask)
          + " are not the TCB info's " + HEX.formatHex(attributes));
    }
    return Outcome.pass("signed by " + signed.signer() + ", issued " + signed.issueDate() + ", next update " + signed.nextUpdate()
        + "; for FMSPC " + fmspc + " and PCE id " + pceId + " as in the PCK certificate; TDX module signer and attributes match");
  }

  /**
   * The platform's TCB level: the first level (Intel lists them newest first) that the PCK
   * certificate's CPUSVN components and PCESVN and the quote's TEE_TCB_SVN all reach.
   */
  static Outcome tcbLevel(SignedCollateral signed, TdxQuote.TdReport td, PckExtensions pck, TdxPolicy policy) throws TdxException {
    int[] teeTcbSvn = unsigned(td.teeTcbSvn());
    String platform = "PCK CPUSVN " + Arrays.toString(pck.cpuSvnComponents()) + ", PCESVN " + pck.pceSvn()
        + ", TEE_TCB_SVN " + Arrays.toString(teeTcbSvn);
    for (JsonNode level : array(signed.body(), "tcbLevels", "TCB info")) {
      JsonNode tcb = level.path("tcb");
      int[] sgx = components(tcb, "sgxtcbcomponents");
      int[] tdx = components(tcb, "tdxtcbcomponents");
      int pceSvn = number(tcb, "pcesvn", "TCB info tcbLevels[].tcb");
      if (!reaches(pck.cpuSvnComponents(), sgx) || pck.pceSvn() < pceSvn || !reaches(teeTcbSvn, tdx)) {
        continue;
      }
      String date = text(level, "tcbDate", "TCB info tcbLevels[]");
      if (tdx[1] != teeTcbSvn[1]) {
        throw new TdxException("the TCB level of " + date + " is for TDX module major version " + tdx[1] + ", the quote has "
            + teeTcbSvn[1]);
      }
      return verdict("TCB level of " + date, text(level, "tcbStatus", "TCB info tcbLevels[]"), advisories(level), policy);
    }
    throw new TdxException("no TCB level of the TCB info covers this platform: it is below every level listed (" + platform + ")");
  }

  /** The quoting enclave is Intel's TD QE (signer, product, attributes) at an accepted TCB level. */
  static Outcome qeIdentity(SignedCollateral signed, TdxQuote.QeReport qe, TdxPolicy policy) throws TdxException {
    JsonNode identity = signed.body();
    String id = text(identity, "id", "QE identity");
    if (!id.equals("TD_QE")) {
      throw new TdxException("QE identity id is \"" + id + "\", not \"TD_QE\"");
    }
    int version = number(identity, "version", "QE identity");
    if (version != 2) {
      throw new TdxException("QE identity version " + version + " is not supported (expected 2)");
    }
    byte[] miscSelect = hex(identity, "miscselect", 4, "QE identity");
    byte[] miscSelectMask = hex(identity, "miscselectMask", 4, "QE identity");
    if (!Arrays.equals(and(qe.miscSelect(), miscSelectMask), miscSelect)) {
      throw new TdxException("the QE's MISCSELECT " + HEX.formatHex(qe.miscSelect()) + " does not match the QE identity");
    }
    byte[] attributes = hex(identity, "attributes", 16, "QE identity");
    byte[] attributesMask = hex(identity, "attributesMask", 16, "QE identity");
    if (!Arrays.equals(and(qe.attributes(), attributesMask), attributes)) {
      throw new TdxException("the QE's attributes " + HEX.formatHex(qe.attributes()) + " do not match the QE identity");
    }
    byte[] mrSigner = hex(identity, "mrsigner", 32, "QE identity");
    if (!Arrays.equals(qe.mrSigner(), mrSigner)) {
      throw new TdxException("the QE's MRSIGNER " + HEX.formatHex(qe.mrSigner()) + " is not Intel's " + HEX.formatHex(mrSigner));
    }
    int prodId = number(identity, "isvprodid", "QE identity");
    if (qe.isvProdId() != prodId) {
      throw new TdxException("the QE's ISVPRODID " + qe.isvProdId() + " is not the QE identity's " + prodId);
    }
    JsonNode best = null;
    int bestSvn = -1;
    for (JsonNode level : array(identity, "tcbLevels", "QE identity")) {
      int svn = number(level.path("tcb"), "isvsvn", "QE identity tcbLevels[].tcb");
      if (svn <= qe.isvSvn() && svn > bestSvn) {
        best = level;
        bestSvn = svn;
      }
    }
    if (best == null) {
      throw new TdxException("the QE's ISVSVN " + qe.isvSvn() + " is below every level of the QE identity");
    }
    Outcome verdict = verdict("QE ISVSVN " + qe.isvSvn() + " at the level of " + text(best, "tcbDate", "QE identity tcbLevels[]"),
        text(best, "tcbStatus", "QE identity tcbLevels[]"), advisories(best), policy);
    return verdict.passed()
        ? Outcome.pass("signed by " + signed.signer() + ", next update " + signed.nextUpdate() + "; TD_QE signer, product and attributes match; "
            + verdict.reason())
        : verdict;
  }

  private static Outcome verdict(String what, String statusName, List<String> advisories, TdxPolicy policy) throws TdxException {
    TcbStatus status = TcbStatus.fromIntelName(statusName)
        .orElseThrow(() -> new TdxException(what + " has an unknown TCB status \"" + statusName + "\""));
    String advised = advisories.isEmpty() ? "" : " (" + String.join(", ", advisories) + ")";
    if (policy.acceptedTcbStatuses().contains(status)) {
      return Outcome.pass(what + ": " + status.intelName() + advised);
    }
    String accepted = policy.acceptedTcbStatuses().stream().map(TcbStatus::intelName).sorted().collect(Collectors.joining(", "));
    return Outcome.fail(what + " is " + status.intelName() + advised + "; the policy accepts " + accepted);
  }

  private static boolean reaches(int[] actual, int[] required) {
    for (int i = 0; i < TCB_COMPONENTS; i++) {
      if (actual[i] < required[i]) {
        return false;
      }
    }
    return true;
  }

  private static int[] components(JsonNode tcb, String field) throws TdxException {
    List<JsonNode> list = array(tcb, field, "TCB info tcbLevels[].tcb");
    if (list.size() != TCB_COMPONENTS) {
      throw new TdxException("TCB info: \"" + field + "\" must list " + TCB_COMPONENTS + " components, not " + list.size());
    }
    int[] svns = new int[TCB_COMPONENTS];
    for (int i = 0; i < TCB_COMPONENTS; i++) {
      svns[i] = number(list.get(i), "svn", "TCB info " + field + "[]");
    }
    return svns;
  }

  private static List<String> advisories(JsonNode level) {
    List<String> ids = new ArrayList<>();
    level.path("advisoryIDs").forEach(id -> ids.add(id.asText()));
    return ids;
  }

  private static int[] unsigned(byte[] bytes) {
    int[] values = new int[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      values[i] = bytes[i] & 0xff;
    }
    return values;
  }

  private static byte[] and(byte[] value, byte[] mask) {
    byte[] result = new byte[value.length];
    for (int i = 0; i < value.length; i++) {
      result[i] = (byte) (value[i] & mask[i]);
    }
    return result;
  }

  private static String text(JsonNode node, String field, String where) throws TdxException {
    JsonNode value = node.path(field);
    if (!value.isTextual()) {
      throw new TdxException(where + ": \"" + field + "\" must be a string");
    }
    return value.asText();
  }

  private static int number(JsonNode node, String field, String where) throws TdxException {
    JsonNode value = node.path(field);
    if (!value.canConvertToInt() || !value.isIntegralNumber() || value.asInt() < 0) {
      throw new TdxException(where + ": \"" + field + "\" must be a non-negative integer");
    }
    return value.asInt();
  }

  private static byte[] hex(JsonNode node, String field, int bytes, String where) throws TdxException {
    String value = text(node, field, where);
    if (value.length() != 2 * bytes || !value.matches("[0-9a-fA-F]*")) {
      throw new TdxException(where + ": \"" + field + "\" must be " + 2 * bytes + " hex digits");
    }
    return HEX.parseHex(value);
  }

  private static List<JsonNode> array(JsonNode node, String field, String where) throws TdxException {
    JsonNode value = node.path(field);
    if (!value.isArray() || value.isEmpty()) {
      throw new TdxException(where + ": \"" + field + "\" must be a non-empty array");
    }
    List<JsonNode> items = new ArrayList<>();
    value.forEach(items::add);
    return items;
  }
}
