package dev.cmcp.gateway.policy;

import java.util.Map;
import java.util.Optional;

/**
 * One Cedar policy of a bundle.
 *
 * @param id its {@code @id("...")} annotation, else {@code <file>#<n>} (n counts from 0 within
 *     the file)
 * @param file the policy file, relative to the bundle folder ({@code policies/base.cedar})
 * @param line the 1-based line of the file where the policy starts
 * @param source the policy's text, annotations included
 * @param annotations every annotation ({@code @reason}, {@code @redact}, ...) by name
 */
public record BundlePolicy(String id, String file, int line, String source, Map<String, String> annotations) {
  public BundlePolicy {
    annotations = Map.copyOf(annotations);
  }

  public Optional<String> annotation(String name) {
    return Optional.ofNullable(annotations.get(name));
  }

  /** {@code file:line}, for messages. */
  public String location() {
    return file + ":" + line;
  }
}
