package dev.cmcp.gateway.redaction;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * What a redaction replaced, without a single replaced value: safe for the audit log.
 *
 * @param count how many values (field values and pattern matches) became {@code "[REDACTED]"}
 * @param paths where, in the answer's result, in order of first occurrence and without repeats,
 *     at most {@link ResponseRedactor#MAX_PATHS}; text that held matches is named once however
 *     many it held ({@code content[0].text})
 * @param pathsTruncated whether more places were redacted than {@code paths} lists
 */
public record RedactionReport(int count, List<String> paths, boolean pathsTruncated) {
  public RedactionReport {
    paths = List.copyOf(paths);
  }

  /** The audit log's {@code redactions} member. */
  public ObjectNode toJson() {
    ObjectNode json = JsonNodeFactory.instance.objectNode();
    json.put("count", count);
    ArrayNode list = json.putArray("paths");
    paths.forEach(list::add);
    json.put("paths_truncated", pathsTruncated);
    return json;
  }
}
