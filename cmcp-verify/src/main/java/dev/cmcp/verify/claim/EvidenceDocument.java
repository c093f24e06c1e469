package dev.cmcp.verify.claim;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cmcp.verify.base.Base64Url;
import dev.cmcp.verify.base.JsonFields;
import dev.cmcp.verify.base.StrictJson;
import java.util.Set;

/**
 * The JSON document every platform's {@code trace.runtime.evidence} holds: base64url (no
 * padding) of canonical JSON whose {@code format} member names the platform's encoding.
 */
final class EvidenceDocument {

  static final String PATH = "trace.runtime.evidence";

  private EvidenceDocument() {}

  /** The document, which must be an object whose {@code format} is {@code format}. */
  static JsonNode decode(String evidence, Platform platform, String format) throws ClaimException {
    byte[] json = Base64Url.decode(evidence, ClaimException.at(PATH));
    JsonNode node;
    try {
      node = new StrictJson(4).parse(json);
    } catch (StrictJson.MalformedJsonException e) {
      throw new ClaimException(PATH + ": not JSON (" + e.getMessage() + ")");
    }
    if (!node.isObject()) {
      throw new ClaimException(PATH + ": expected a JSON object");
    }
    JsonNode found = node.get("format");
    if (found == null || !found.isTextual()) {
      throw new ClaimException(PATH + ".format: missing or not a string");
    }
    if (!found.asText().equals(format)) {
      throw new ClaimException(PATH + ".format: " + platform.jsonName() + " evidence is \"" + format
          + "\", found \"" + found.asText() + "\"");
    }
    return node;
  }

  /** The document's members, which must be exactly {@code names}. */
  static JsonFields<ClaimException> exactly(JsonNode document, Set<String> names) throws ClaimException {
    return JsonFields.exactly(document, PATH, names, ClaimException::new);
  }
}
