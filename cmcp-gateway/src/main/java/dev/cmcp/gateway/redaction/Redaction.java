package dev.cmcp.gateway.redaction;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * What must be redacted from an answer: the obligation that {@code @redact} and {@code
 * @redact_pattern} put on a permit.
 *
 * @param fieldNames member names whose values are replaced wherever they occur in structured data,
 *     lower case (matching ignores case)
 * @param detectors the kinds of personal data replaced in text
 */
public record Redaction(Set<String> fieldNames, Set<Detector> detectors) {

  /** No obligation: the answer goes out as the upstream sent it. */
  public static final Redaction NONE = new Redaction(Set.of(), Set.of());

  public Redaction {
    fieldNames = Set.copyOf(fieldNames.stream().map(name -> name.toLowerCase(Locale.ROOT)).toList());
    detectors = Set.copyOf(detectors);
  }

  /**
   * The obligation written by a policy's annotations.
   *
   * @param redact the {@code @redact} value: field names separated by commas
   * @param redactPattern the {@code @redact_pattern} value: detector names separated by {@code |}
   *     (or commas)
   * @throws IllegalArgumentException naming what is wrong, for the bundle's author
   */
  public static Redaction fromAnnotations(Optional<String> redact, Optional<String> redactPattern) {
    Set<String> fields = new LinkedHashSet<>();
    if (redact.isPresent()) {
      for (String name : split(redact.get(), "[,]", "@redact")) {
        fields.add(name);
      }
    }
    Set<Detector> detectors = EnumSet.noneOf(Detector.class);
    if (redactPattern.isPresent()) {
      for (String name : split(redactPattern.get(), "[|,]", "@redact_pattern")) {
        detectors.add(Detector.named(name).orElseThrow(() -> new IllegalArgumentException(
            "@redact_pattern names \"" + name + "\", which is not a detector; use " + detectorNames())));
      }
    }
    return new Redaction(fields, detectors);
  }

  /** Both obligations at once: when several permits apply, each one's redactions are kept. */
  public Redaction and(Redaction other) {
    Set<String> fields = new TreeSet<>(fieldNames);
    fields.addAll(other.fieldNames);
    Set<Detector> both = EnumSet.noneOf(Detector.class);
    both.addAll(detectors);
    both.addAll(other.detectors);
    return new Redaction(fields, both);
  }

  public boolean isEmpty() {
    return fieldNames.isEmpty() && detectors.isEmpty();
  }

  boolean redactsField(String name) {
    return fieldNames.contains(name.toLowerCase(Locale.ROOT));
  }

  /** {@code email|phone|ssn|credit_card}. */
  public static String detectorNames() {
    return EnumSet.allOf(Detector.class).stream().map(Detector::annotationName).collect(Collectors.joining("|"));
  }

  private static List<String> split(String value, String separators, String annotation) {
    List<String> names = new ArrayList<>();
    for (String part : value.split(separators, -1)) {
      String name = part.strip();
      if (name.isEmpty()) {
        throw new IllegalArgumentException(annotation + "(\"" + value + "\") has an empty name; list names like "
            + (annotation.equals("@redact") ? "\"email,phone\"" : "\"email|phone\""));
      }
      names.add(name);
    }
    return names;
  }
}
