package dev.cmcp.gateway.policy;

import com.cedarpolicy.BasicAuthorizationEngine;
import com.cedarpolicy.model.DetailedError;
import com.cedarpolicy.model.ValidationRequest;
import com.cedarpolicy.model.ValidationResponse;
import com.cedarpolicy.model.exception.AuthException;
import com.cedarpolicy.model.exception.InternalException;
import com.cedarpolicy.model.policy.Policy;
import com.cedarpolicy.model.policy.PolicySet;
import com.cedarpolicy.model.schema.Schema;
import dev.cmcp.verify.base.StrictJson;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Reads a policy bundle folder: manifest.json, {@code .cedar} files (in {@code policies/} or
 * directly in the folder) and an optional {@code schema.cedarschema}. Every policy is parsed, and
 * validated against the schema when there is one; any problem refuses the whole bundle.
 */
public final class PolicyBundleLoader {

  private PolicyBundleLoader() {}

  /** Loads, parses and validates the bundle in {@code directory}. */
  public static PolicyBundle load(Path directory) throws PolicyException {
    BundleFiles files = BundleFiles.read(directory);
    try {
      return new PolicyBundle(directory, files.manifest(), files.bundleHash(), parseAndValidate(files));
    } catch (PolicyException e) {
      throw new PolicyException("policy bundle " + directory + ": " + e.getMessage(), e);
    }
  }

  private static List<BundlePolicy> parseAndValidate(BundleFiles files) throws PolicyException {
    BasicAuthorizationEngine cedar = new BasicAuthorizationEngine();
    List<LocatedPolicy> policies = new ArrayList<>();
    for (Map.Entry<String, byte[]> file : files.policyFiles().entrySet()) {
      policies.addAll(parseFile(cedar, file.getKey(), decode(file.getKey(), file.getValue())));
    }
    if (policies.isEmpty()) {
      throw new PolicyException("the .cedar files hold no policies; add at least one permit");
    }
    requireUniqueIds(policies);
    if (files.schema().isPresent()) {
      validate(cedar, parseSchema(decode(BundleFiles.SCHEMA, files.schema().get())), policies);
    }
    return policies.stream().map(LocatedPolicy::policy).toList();
  }

  /**
   * The bundle hash of {@code directory} ({@code sha256:<hex>}), from the files alone: what {@code
   * cmcp validate-bundle --expected-hash} compares.
   */
  public static String computeHash(Path directory) throws PolicyException {
    return BundleFiles.read(directory).bundleHash();
  }

  /** A policy and the file text it came from, for pointing at lines in later messages. */
  private record LocatedPolicy(BundlePolicy policy, CedarSource file, int start) {}

  private static List<LocatedPolicy> parseFile(BasicAuthorizationEngine cedar, String file, String text)
      throws PolicyException {
    PolicySet parsed;
    try {
      parsed = PolicySet.parsePolicies(text);
    } catch (InternalException e) {
      throw new PolicyException(describeParseError(cedar, file, text, e));
    }
    if (!parsed.templates.isEmpty()) {
      throw new PolicyException(
          file + ": policy templates (slots such as ?principal) are not supported; write static policies");
    }
    // Cedar names the policies of a parsed text policy0, policy1, ... in the order they appear.
    List<Policy> inFileOrder =
        parsed.policies.stream().sorted(Comparator.comparingInt(PolicyBundleLoader::cedarIndex)).toList();
    CedarSource source = new CedarSource(text);
    List<LocatedPolicy> located = new ArrayList<>();
    int searchFrom = 0;
    for (int n = 0; n < inFileOrder.size(); n++) {
      Policy policy = inFileOrder.get(n);
      // Cedar hands back each policy's exact text; finding it gives the line for messages.
      int start = Math.max(0, text.indexOf(policy.getSource(), searchFrom));
      searchFrom = start + policy.getSource().length();
      int line = source.position(start).line();
      Map<String, String> annotations;
      try {
        annotations = policy.getAnnotations();
      } catch (InternalException e) {
        throw new PolicyException(file + ":" + line + ": cannot read annotations: " + cedarMessage(e));
      }
      String id = annotations.getOrDefault("id", file + "#" + n);
      if (id.isBlank()) {
        throw new PolicyException(file + ":" + line + ": @id is empty; give the policy a name or drop the @id");
      }
      located.add(new LocatedPolicy(new BundlePolicy(id, file, line, policy.getSource(), annotations), source, start));
    }
    return located;
  }

  private static int cedarIndex(Policy policy) {
    String id = policy.getID();
    if (!id.matches("policy[0-9]+")) {
      throw new IllegalStateException("cedar-java named a parsed policy " + id + ", expected policy<N>");
    }
    return Integer.parseInt(id.substring("policy".length()));
  }

  /**
   * cedar-java's text parser reports no position, so the file is cut into statements and each is
   * parsed through the validator (with an empty schema), whose parse errors carry offsets.
   */
  private static String describeParseError(
      BasicAuthorizationEngine cedar, String file, String text, InternalException parseError) {
    String message = cedarMessage(parseError);
    CedarSource source = new CedarSource(text);
    for (CedarSource.Statement statement : source.statements()) {
      Optional<Integer> offset = parseErrorOffset(cedar, statement.text());
      if (offset.isPresent()) {
        int at = statement.start() + CedarSource.charIndexOfByte(statement.text(), offset.get());
        return file + ":" + source.position(at) + ": " + message + "; fix the policy syntax";
      }
    }
    return file + ": " + message + " (line unknown); fix the policy syntax";
  }

  private static Optional<Integer> parseErrorOffset(BasicAuthorizationEngine cedar, String statement) {
    try {
      Schema empty = Schema.parse(Schema.JsonOrCedar.Cedar, "");
      ValidationResponse response =
          cedar.validate(new ValidationRequest(empty, new PolicySet(Set.of(new Policy(statement, "statement")))));
      return response.errors.stream()
          .flatMap(List::stream)
          .flatMap(error -> error.sourceLocations.stream())
          .map(label -> label.start)
          .findFirst();
    } catch (AuthException | RuntimeException e) {
      return Optional.empty();
    }
  }

  private static void requireUniqueIds(List<LocatedPolicy> policies) throws PolicyException {
    Map<String, BundlePolicy> byId = new HashMap<>();
    for (LocatedPolicy located : policies) {
      BundlePolicy policy = located.policy();
      BundlePolicy earlier = byId.putIfAbsent(policy.id(), policy);
      if (earlier != null) {
        throw new PolicyException(
            "duplicate policy id \"" + policy.id() + "\" in " + earlier.location() + " and " + policy.location()
                + "; give each policy its own @id");
      }
    }
  }

  private static Schema parseSchema(String text) throws PolicyException {
    // The reference uses Cedar schema syntax; Cedar's JSON schema format is accepted too.
    Schema.JsonOrCedar format = isJsonObject(text) ? Schema.JsonOrCedar.Json : Schema.JsonOrCedar.Cedar;
    try {
      return Schema.parse(format, text);
    } catch (InternalException e) {
      throw new PolicyException(BundleFiles.SCHEMA + ": " + cedarMessage(e) + "; fix the schema");
    }
  }

  private static boolean isJsonObject(String text) {
    try {
      return new StrictJson().parse(text).isObject();
    } catch (StrictJson.MalformedJsonException e) {
      return false;
    }
  }

  private static void validate(BasicAuthorizationEngine cedar, Schema schema, List<LocatedPolicy> policies)
      throws PolicyException {
    Map<String, LocatedPolicy> byId =
        policies.stream().collect(Collectors.toMap(p -> p.policy().id(), p -> p));
    Set<Policy> cedarPolicies = new LinkedHashSet<>();
    for (LocatedPolicy located : policies) {
      cedarPolicies.add(new Policy(located.policy().source(), located.policy().id()));
    }
    ValidationResponse response;
    try {
      response = cedar.validate(new ValidationRequest(schema, new PolicySet(cedarPolicies)));
    } catch (AuthException e) {
      throw new PolicyException("cannot validate the policies against " + BundleFiles.SCHEMA + ": " + e.getMessage(), e);
    }
    List<String> problems = new ArrayList<>();
    response.errors.ifPresent(errors -> errors.forEach(error -> problems.add(BundleFiles.SCHEMA + ": " + describe(error))));
    response.success.ifPresent(
        success -> {
          success.validationErrors.forEach(
              error -> problems.add(locate(byId.get(error.getPolicyId()), error.getError()) + describe(error.getError())));
          success.validationWarnings.stream()
              .filter(warning -> isRefusedWarning(warning.getError()))
              .forEach(
                  warning ->
                      problems.add(
                          locate(byId.get(warning.getPolicyId()), warning.getError()) + describe(warning.getError())
                              + hint(warning.getError())));
        });
    if (!problems.isEmpty()) {
      throw new PolicyException(
          "policies do not match " + BundleFiles.SCHEMA + " (fix the policy or the schema):\n  "
              + String.join("\n  ", problems));
    }
  }

  /**
   * Two of the validator's warnings refuse the bundle. An impossible policy is almost always a
   * misspelled or undeclared name after {@code has} ({@code context.arguments has limt} is simply
   * false), which would silently disable a forbid. Bidirectional control characters make a policy
   * read differently from how it evaluates. Cedar gives warnings no code, so they are told apart
   * by message; the other warnings (mixed scripts, confusable identifiers) also fire on honest
   * text such as {@code "Acme株式会社"} and are let through.
   */
  private static boolean isRefusedWarning(DetailedError warning) {
    return warning.message.contains("policy is impossible") || warning.message.contains("BIDI control characters");
  }

  private static String hint(DetailedError warning) {
    return warning.message.contains("policy is impossible")
        ? " (is a name after `has` misspelled, or missing from " + BundleFiles.SCHEMA + "?)"
        : "";
  }

  private static String locate(LocatedPolicy located, DetailedError error) {
    if (located == null) {
      return "";
    }
    int offsetInPolicy = error.sourceLocations.isEmpty() ? 0 : error.sourceLocations.get(0).start;
    int at = located.start() + CedarSource.charIndexOfByte(located.policy().source(), offsetInPolicy);
    return located.policy().file() + ":" + located.file().position(at) + ": ";
  }

  private static String describe(DetailedError error) {
    return error.message + error.help.filter(help -> !help.isBlank()).map(help -> " (" + help + ")").orElse("");
  }

  private static String cedarMessage(InternalException e) {
    List<String> errors = e.getErrors();
    String message = errors == null || errors.isEmpty() ? e.getMessage() : String.join("; ", errors);
    return message.replace("Internal JNI Error: ", "");
  }

  private static String decode(String file, byte[] bytes) throws PolicyException {
    try {
      return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      throw new PolicyException(file + ": not valid UTF-8; save the file as UTF-8");
    }
  }
}
