package dev.cmcp.verify.claim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.verify.base.Base64Url;
import dev.cmcp.verify.base.CanonicalJson;
import dev.cmcp.verify.base.Digests;
import dev.cmcp.verify.base.JsonFields;
import dev.cmcp.verify.base.StrictJson;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Development evidence ({@code platform: software}): the gateway states its own measurement
 * and binding. Nothing outside the gateway vouches for them, so a claim carrying it is never
 * more than {@code partially_verified}; it exists so that every other check of the claim can
 * be exercised on an ordinary machine.
 *
 * <p>The evidence is base64url of the canonical JSON
 * {@code {"format":"cmcp-software-evidence-v1","report_data":<hex binding>,"measurement":<hex>,"generated_at":<seconds>}}.
 */
public record SoftwareEvidence(String reportData, String measurement, long generatedAt) implements PlatformEvidence {

  public static final String FORMAT = "cmcp-software-evidence-v1";
  public static final String ASSURANCE = "none";

  private static final Set<String> FIELDS = Set.of("format", "report_data", "measurement", "generated_at");
  private static final Pattern REPORT_DATA = Pattern.compile("[0-9a-f]{128}");
  private static final String EVIDENCE_PATH = "trace.runtime.evidence";

  /**
   * The {@code trace.runtime} object of a software-platform claim: the gateway and the verifier
   * share this one definition.
   *
   * @param measurement hex SHA-256 from {@link #measure}
   */
  public static ObjectNode create(Binding binding, String measurement, Instant generatedAt) {
    if (!JsonFields.HEX_HASH.matcher(measurement).matches()) {
      throw new IllegalArgumentException("software measurement must be 64 lower-case hex digits, not " + measurement);
    }
    ObjectNode evidence = JsonNodeFactory.instance.objectNode();
    evidence.put("format", FORMAT);
    evidence.put("report_data", binding.hex());
    evidence.put("measurement", measurement);
    evidence.put("generated_at", generatedAt.getEpochSecond());
    ObjectNode runtime = JsonNodeFactory.instance.objectNode();
    runtime.put("platform", Platform.SOFTWARE.jsonName());
    runtime.put("assurance", ASSURANCE);
    runtime.put("measurement", measurement);
    runtime.put("evidence", Base64Url.encode(CanonicalJson.bytes(evidence)));
    return runtime;
  }

  /**
   * The software measurement of a set of jar files: hex SHA-256 of the concatenation, in sorted
   * file-name order, of {@code <file name> NUL <hex SHA-256 of the file> \n} for each file.
   * Only the file name counts, not its folder, so an installed copy measures like the build.
   */
  public static String measure(Collection<Path> jars) throws IOException {
    List<Path> sorted = jars.stream().sorted(Comparator.comparing(p -> p.getFileName().toString())).toList();
    ByteArrayOutputStream listing = new ByteArrayOutputStream();
    for (Path jar : sorted) {
      String line = jar.getFileName() + "\0" + Digests.sha256Hex(Files.readAllBytes(jar)) + "\n";
      listing.writeBytes(line.getBytes(StandardCharsets.UTF_8));
    }
    return Digests.sha256Hex(listing.toByteArray());
  }

  /** Decodes {@code trace.runtime.evidence} of a software claim. */
  public static SoftwareEvidence decode(String evidence) throws ClaimException {
    byte[] json = Base64Url.decode(evidence, ClaimException.at(EVIDENCE_PATH));
    JsonNode node;
    try {
      node = new StrictJson(4).parse(json);
    } catch (StrictJson.MalformedJsonException e) {
      throw new ClaimException(EVIDENCE_PATH + ": not JSON (" + e.getMessage() + ")");
    }
    JsonFields<ClaimException> fields = JsonFields.exactly(node, EVIDENCE_PATH, FIELDS, ClaimException::new);
    String format = fields.text("format");
    if (!format.equals(FORMAT)) {
      throw new ClaimException(fields.path("format") + ": expected \"" + FORMAT + "\", found \"" + format + "\"");
    }
    return new SoftwareEvidence(
        fields.text("report_data", REPORT_DATA, "128 lower-case hex digits (a SHA-512 binding)"),
        fields.hexHash("measurement"),
        fields.nonNegativeInteger("generated_at"));
  }

  static SoftwareEvidence fromRuntime(GatewayClaim.Attestation runtime) throws ClaimException {
    if (!runtime.assurance().equals(ASSURANCE)) {
      throw new ClaimException("trace.runtime.assurance: software evidence has assurance \"" + ASSURANCE
          + "\", not \"" + runtime.assurance() + "\"");
    }
    SoftwareEvidence evidence = decode(runtime.evidence());
    if (!evidence.measurement().equals(runtime.measurement())) {
      throw new ClaimException("trace.runtime.measurement does not match the measurement inside the evidence");
    }
    return evidence;
  }

  /** True when the evidence carries {@code binding} as its report data. */
  public boolean isBoundTo(Binding binding) {
    return reportData.equals(binding.hex());
  }
}
