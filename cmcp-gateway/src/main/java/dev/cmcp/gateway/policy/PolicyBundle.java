package dev.cmcp.gateway.policy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A loaded, parsed (and, with a schema, validated) policy bundle. Build it with {@link
 * PolicyBundleLoader#load}; evaluate calls with {@link PolicyEngine}.
 *
 * @param directory the bundle folder
 * @param manifest manifest.json as parsed
 * @param bundleHash {@code sha256:<hex>} over manifest, policy files and schema
 * @param policies every policy, in file-name order then file order
 */
public record PolicyBundle(Path directory, JsonNode manifest, String bundleHash, List<BundlePolicy> policies) {
  public PolicyBundle {
    manifest = manifest.deepCopy();
    policies = List.copyOf(policies);
  }

  /** A copy: the measured manifest cannot be changed through this record. */
  @Override
  public JsonNode manifest() {
    return manifest.deepCopy();
  }

  /** The manifest's {@code version}, shown to agents in denials. */
  public String version() {
    return manifest.get("version").asText();
  }

  public int policyCount() {
    return policies.size();
  }

  public Optional<BundlePolicy> policy(String id) {
    return policies.stream().filter(p -> p.id().equals(id)).findFirst();
  }
}
