package dev.cmcp.verify.evidence.tpm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.verify.base.Base64Url;
import dev.cmcp.verify.base.CanonicalJson;
import dev.cmcp.verify.base.StrictJson;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * A TPM 2.0 quote as the gateway ships it in {@code trace.runtime.evidence}: the bytes the TPM
 * produced, untouched, and the PCR values they summarise. The gateway and the verifier share
 * this one definition of the format.
 *
 * <p>JSON (canonical, RFC 8785; byte strings base64url without padding, digests lower-case hex):
 * {@code {"format":"cmcp-tpm-evidence-v1","attest":<TPMS_ATTEST>,"signature":<TPMT_SIGNATURE>,
 * "ak_public":<TPMT_PUBLIC>,"pcrs":{"sha256":{"0":<hex>,...}}}}. The PCR values are not signed
 * themselves: the quote signs their digest, which the verifier recomputes. An enrolled AK adds,
 * both together or neither, {@code "ak_certificate":<DER>} (the AK certificate {@code cmcp tpm
 * enroll} issued, {@link AkCertificate}) and {@code "ek_certificate":<DER>} (the TPM's EK
 * certificate, as read from its NV index); evidence without them is still valid v1 evidence.
 *
 * @param attest the marshaled TPMS_ATTEST the TPM signed
 * @param signature the marshaled TPMT_SIGNATURE over {@code attest}
 * @param akPublic the marshaled TPMT_PUBLIC of the attestation key (no TPM2B size prefix)
 * @param pcrs the quoted PCR values
 * @param enrollment the AK and EK certificates of an enrolled AK; empty for an uncertified AK
 */
public record TpmEvidence(byte[] attest, byte[] signature, byte[] akPublic, List<PcrValue> pcrs, Optional<Enrollment> enrollment) {

  public static final String FORMAT = "cmcp-tpm-evidence-v1";

  /** Far above any real quote (a few hundred bytes with 24 PCRs in 4 banks), far below a problem. */
  private static final int MAX_JSON_BYTES = 64 * 1024;
  private static final Set<String> FIELDS = Set.of("format", "attest", "signature", "ak_public", "pcrs");
  private static final Set<String> ENROLLMENT_FIELDS = Set.of("ak_certificate", "ek_certificate");
  /** A certificate is a few KiB; the limit only keeps both within the evidence's. */
  private static final int MAX_CERTIFICATE_BYTES = 16 * 1024;
  private static final Pattern PCR_INDEX = Pattern.compile("0|[1-9][0-9]?");
  private static final Pattern LOWER_HEX = Pattern.compile("([0-9a-f]{2})+");
  private static final int MAX_PCR_INDEX = 63;

  /**
   * One PCR's value.
   *
   * @param bank {@code sha1}, {@code sha256}, {@code sha384} or {@code sha512}
   */
  public record PcrValue(String bank, int index, byte[] value) {
    public PcrValue {
      TpmHash hash = TpmHash.byBankName(bank)
          .orElseThrow(() -> new IllegalArgumentException("PCR bank " + bank + " is not one of sha1, sha256, sha384, sha512"));
      if (index < 0 || index > MAX_PCR_INDEX) {
        throw new IllegalArgumentException("PCR index " + index + " is outside 0-" + MAX_PCR_INDEX);
      }
      if (value.length != hash.digestSize) {
        throw new IllegalArgumentException(
            "PCR " + bank + ":" + index + " has " + value.length + " bytes, a " + bank + " digest has " + hash.digestSize);
      }
      value = value.clone();
    }

    @Override
    public byte[] value() {
      return value.clone();
    }
  }

  /**
   * The certificates of an enrolled AK, as DER; they are parsed and checked by {@link TpmVerifier}.
   *
   * @param akCertificate the AK certificate the enrollment CA issued ({@link AkCertificate})
   * @param ekCertificate the TPM's EK certificate, whose SHA-256 the AK certificate names
   */
  public record Enrollment(byte[] akCertificate, byte[] ekCertificate) {
    public Enrollment {
      for (byte[] der : List.of(akCertificate, ekCertificate)) {
        if (der.length == 0 || der.length > MAX_CERTIFICATE_BYTES) {
          throw new IllegalArgumentException("a certificate of an enrolled AK has 1 to " + MAX_CERTIFICATE_BYTES
              + " bytes, not " + der.length);
        }
      }
      akCertificate = akCertificate.clone();
      ekCertificate = ekCertificate.clone();
    }

    @Override
    public byte[] akCertificate() {
      return akCertificate.clone();
    }

    @Override
    public byte[] ekCertificate() {
      return ekCertificate.clone();
    }
  }

  /** Evidence of an AK that no enrollment certifies. */
  public TpmEvidence(byte[] attest, byte[] signature, byte[] akPublic, List<PcrValue> pcrs) {
    this(attest, signature, akPublic, pcrs, Optional.empty());
  }

  public TpmEvidence {
    java.util.Objects.requireNonNull(enrollment, "enrollment");
    attest = attest.clone();
    signature = signature.clone();
    akPublic = akPublic.clone();
    pcrs = List.copyOf(pcrs);
    Set<String> seen = new HashSet<>();
    for (PcrValue pcr : pcrs) {
      if (!seen.add(pcr.bank() + ":" + pcr.index())) {
        throw new IllegalArgumentException("PCR " + pcr.bank() + ":" + pcr.index() + " is listed twice");
      }
    }
  }

  @Override
  public byte[] attest() {
    return attest.clone();
  }

  @Override
  public byte[] signature() {
    return signature.clone();
  }

  @Override
  public byte[] akPublic() {
    return akPublic.clone();
  }

  /** The canonical JSON of this evidence. */
  public byte[] toJson() {
    ObjectNode json = JsonNodeFactory.instance.objectNode();
    json.put("format", FORMAT);
    json.put("attest", Base64Url.encode(attest));
    json.put("signature", Base64Url.encode(signature));
    json.put("ak_public", Base64Url.encode(akPublic));
    enrollment.ifPresent(e -> {
      json.put("ak_certificate", Base64Url.encode(e.akCertificate()));
      json.put("ek_certificate", Base64Url.encode(e.ekCertificate()));
    });
    ObjectNode banks = json.putObject("pcrs");
    for (PcrValue pcr : pcrs) {
      ObjectNode bank = banks.has(pcr.bank()) ? (ObjectNode) banks.get(pcr.bank()) : banks.putObject(pcr.bank());
      bank.put(Integer.toString(pcr.index()), HexFormat.of().formatHex(pcr.value()));
    }
    return CanonicalJson.bytes(json);
  }

  /** {@code trace.runtime.evidence}: base64url, without padding, of {@link #toJson()}. */
  public String toBase64Url() {
    return Base64Url.encode(toJson());
  }

  /**
   * Reads the evidence JSON strictly: every field present, the two certificates of an enrolled
   * AK both or neither, nothing else, every value in its exact form. The TPM structures inside are read by {@link TpmVerifier}, not here.
   *
   * @throws TpmFormatException naming the member, as {@code evidence.attest: not base64url}
   */
  public static TpmEvidence fromJson(byte[] json) throws TpmFormatException {
    if (json.length > MAX_JSON_BYTES) {
      throw new TpmFormatException("evidence: " + json.length + " bytes, more than the " + MAX_JSON_BYTES + " allowed");
    }
    JsonNode node;
    try {
      node = new StrictJson(4).parse(json);
    } catch (StrictJson.MalformedJsonException e) {
      throw new TpmFormatException("evidence: not JSON (" + e.getMessage() + ")");
    }
    if (!node.isObject()) {
      throw new TpmFormatException("evidence: not a JSON object");
    }
    Set<String> names = new TreeSet<>();
    node.fieldNames().forEachRemaining(names::add);
    Set<String> enrolled = new TreeSet<>(FIELDS);
    enrolled.addAll(ENROLLMENT_FIELDS);
    if (!names.equals(new TreeSet<>(FIELDS)) && !names.equals(enrolled)) {
      throw new TpmFormatException("evidence: fields are " + names + ", expected exactly " + new TreeSet<>(FIELDS)
          + ", or those and " + new TreeSet<>(ENROLLMENT_FIELDS) + " together");
    }
    String format = text(node, "format");
    if (!format.equals(FORMAT)) {
      throw new TpmFormatException("evidence.format: expected \"" + FORMAT + "\", found \"" + format + "\"");
    }
    Optional<Enrollment> enrollment = Optional.empty();
    if (names.containsAll(ENROLLMENT_FIELDS)) {
      try {
        enrollment = Optional.of(new Enrollment(bytes(node, "ak_certificate"), bytes(node, "ek_certificate")));
      } catch (IllegalArgumentException e) {
        throw new TpmFormatException("evidence.ak_certificate/ek_certificate: " + e.getMessage());
      }
    }
    return new TpmEvidence(bytes(node, "attest"), bytes(node, "signature"), bytes(node, "ak_public"),
        pcrValues(node.get("pcrs")), enrollment);
  }

  private static List<PcrValue> pcrValues(JsonNode banks) throws TpmFormatException {
    if (!banks.isObject()) {
      throw new TpmFormatException("evidence.pcrs: not an object");
    }
    List<PcrValue> values = new ArrayList<>();
    for (Map.Entry<String, JsonNode> bank : banks.properties()) {
      String bankPath = "evidence.pcrs." + bank.getKey();
      TpmHash hash = TpmHash.byBankName(bank.getKey())
          .orElseThrow(() -> new TpmFormatException(bankPath + ": not one of the banks sha1, sha256, sha384, sha512"));
      if (!bank.getValue().isObject()) {
        throw new TpmFormatException(bankPath + ": not an object");
      }
      for (Map.Entry<String, JsonNode> pcr : bank.getValue().properties()) {
        String path = bankPath + "." + pcr.getKey();
        if (!PCR_INDEX.matcher(pcr.getKey()).matches() || Integer.parseInt(pcr.getKey()) > MAX_PCR_INDEX) {
          throw new TpmFormatException(path + ": a PCR index is a decimal number 0-" + MAX_PCR_INDEX + " without leading zeros");
        }
        String hex = pcr.getValue().isTextual() ? pcr.getValue().asText() : "";
        if (hex.length() != 2 * hash.digestSize || !LOWER_HEX.matcher(hex).matches()) {
          throw new TpmFormatException(path + ": expected " + 2 * hash.digestSize + " lower-case hex digits");
        }
        values.add(new PcrValue(hash.bankName, Integer.parseInt(pcr.getKey()), HexFormat.of().parseHex(hex)));
      }
    }
    return values;
  }

  private static String text(JsonNode node, String field) throws TpmFormatException {
    JsonNode value = node.get(field);
    if (!value.isTextual()) {
      throw new TpmFormatException("evidence." + field + ": not a string");
    }
    return value.asText();
  }

  /** base64url without padding, and only its one canonical spelling: no re-encoding of signed bytes. */
  private static byte[] bytes(JsonNode node, String field) throws TpmFormatException {
    return Base64Url.decode(text(node, field), reason -> new TpmFormatException("evidence." + field + ": " + reason));
  }
}
