package dev.cmcp.gateway.catalog;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.verify.base.Digests;
import java.util.List;

/**
 * The {@code definition_hash} that pins a tool: {@code sha256:} and the hex SHA-256 of the RFC
 * 8785 canonical JSON of the members of the upstream's tool definition (as in its {@code
 * tools/list}) that tell an agent or its user what the tool does and whether to call it:
 * {@code title}, {@code description}, {@code inputSchema}, {@code outputSchema} and {@code
 * annotations}. A member the upstream leaves out is left out of the hashed object too.
 *
 * <p>Why these: the description and the schemas (with their property descriptions) are what the
 * model reads, so they are where a poisoned instruction goes; the output schema tells the client
 * how to read results; the annotations ({@code readOnlyHint}, {@code destructiveHint}) are what
 * clients use to skip asking a person, so flipping one is a rug pull too; the title is what a
 * person sees. Left out: {@code name} (the catalog already binds it), {@code _meta} and {@code
 * icons}, which servers change for reasons of their own and which change nothing the model reads.
 */
public final class DefinitionHash {

  public static final List<String> PINNED_MEMBERS = List.of("title", "description", "inputSchema", "outputSchema", "annotations");

  private DefinitionHash() {}

  /** The hash of an upstream tool definition. */
  public static String of(JsonNode upstreamDefinition) {
    ObjectNode pinned = JsonNodeFactory.instance.objectNode();
    for (String member : PINNED_MEMBERS) {
      JsonNode value = upstreamDefinition.get(member);
      if (value != null) {
        pinned.set(member, value);
      }
    }
    return Digests.canonicalSha256(pinned);
  }
}
