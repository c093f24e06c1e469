package dev.cmcp.gateway.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.verify.base.Digests;
import dev.cmcp.verify.base.StrictJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The measured bytes of a bundle folder: manifest.json, every {@code .cedar} file and the
 * optional schema, and the bundle hash over them.
 *
 * <p>Policy files are every {@code .cedar} file under the folder, at any depth, keyed by their
 * path relative to the folder with {@code /} separators ({@code policies/base.cedar}, or
 * {@code base.cedar} in a flat folder). That is what the reference implementation hashes, so a
 * bundle has the same hash in both. Paths through a folder named {@code ..*} are skipped: they are
 * the kubelet's own copies in a mounted ConfigMap (see {@link #insideKubeletInternals}).
 */
record BundleFiles(Path directory, JsonNode manifest, SortedMap<String, byte[]> policyFiles, Optional<byte[]> schema) {

  static final String MANIFEST = "manifest.json";
  static final String SCHEMA = "schema.cedarschema";
  private static final List<String> REQUIRED_MANIFEST_FIELDS =
      List.of("version", "authored_at", "author_identity", "commit_sha");

  BundleFiles {
    policyFiles = Collections.unmodifiableSortedMap(new TreeMap<>(policyFiles));
  }

  static BundleFiles read(Path directory) throws PolicyException {
    if (!Files.isDirectory(directory)) {
      throw new PolicyException("policy bundle: directory " + directory + " not found");
    }
    return new BundleFiles(directory, readManifest(directory), readPolicyFiles(directory), readSchema(directory));
  }

  /**
   * {@code sha256:} + hex SHA-256 of the RFC 8785 form of {@code {"manifest": ..., "policy_files":
   * {path: hex sha256 of the bytes}, "schema_hash": hex sha256 of the schema bytes, or ""}}.
   */
  String bundleHash() {
    JsonNodeFactory json = JsonNodeFactory.instance;
    ObjectNode fileHashes = json.objectNode();
    policyFiles.forEach((path, bytes) -> fileHashes.put(path, Digests.sha256Hex(bytes)));
    ObjectNode measured = json.objectNode();
    measured.set("manifest", manifest);
    measured.set("policy_files", fileHashes);
    measured.put("schema_hash", schema.map(Digests::sha256Hex).orElse(""));
    return Digests.canonicalSha256(measured);
  }

  private static JsonNode readManifest(Path directory) throws PolicyException {
    Path path = directory.resolve(MANIFEST);
    if (!Files.isRegularFile(path)) {
      throw new PolicyException(
          "policy bundle " + directory + ": " + MANIFEST + " not found; a bundle needs one with "
              + String.join(", ", REQUIRED_MANIFEST_FIELDS));
    }
    JsonNode manifest;
    try {
      manifest = new StrictJson().parse(readBytes(path));
    } catch (StrictJson.MalformedJsonException e) {
      throw new PolicyException("policy bundle " + directory + ": " + MANIFEST + " is not valid JSON: " + e.getMessage());
    }
    if (!manifest.isObject()) {
      throw new PolicyException("policy bundle " + directory + ": " + MANIFEST + " must be a JSON object");
    }
    for (String field : REQUIRED_MANIFEST_FIELDS) {
      if (!manifest.path(field).isTextual()) {
        throw new PolicyException(
            "policy bundle " + directory + ": " + MANIFEST + " needs a string field \"" + field + "\"");
      }
    }
    if (manifest.has("approval_chain") && !manifest.get("approval_chain").isArray()) {
      throw new PolicyException(
          "policy bundle " + directory + ": " + MANIFEST + " field \"approval_chain\" must be an array");
    }
    return manifest;
  }

  private static SortedMap<String, byte[]> readPolicyFiles(Path directory) throws PolicyException {
    List<Path> found;
    try (Stream<Path> walk = Files.walk(directory)) {
      found = walk.filter(p -> p.toString().endsWith(".cedar") && Files.isRegularFile(p))
          .filter(p -> !insideKubeletInternals(directory.relativize(p)))
          .toList();
    } catch (IOException e) {
      throw new PolicyException("policy bundle " + directory + ": cannot list policy files: " + e.getMessage(), e);
    }
    if (found.isEmpty()) {
      throw new PolicyException(
          "policy bundle " + directory + ": no .cedar policy files found (put them in " + directory
              + "/policies/ or directly in " + directory + ")");
    }
    SortedMap<String, byte[]> files = new TreeMap<>();
    for (Path path : found) {
      String relative = directory.relativize(path).toString().replace(path.getFileSystem().getSeparator(), "/");
      files.put(relative, readBytes(path));
    }
    return files;
  }

  /**
   * A Kubernetes ConfigMap or Secret volume keeps each version of its files in a folder whose name
   * starts with {@code ..} and shows them through symbolic links beside it; counting those copies
   * too would load every policy twice and put the folder's time-stamped name into the bundle hash.
   * The kubelet reserves such names, so no bundle author's file can carry one.
   */
  private static boolean insideKubeletInternals(Path relative) {
    for (Path part : relative) {
      if (part.toString().startsWith("..")) {
        return true;
      }
    }
    return false;
  }

  private static Optional<byte[]> readSchema(Path directory) throws PolicyException {
    Path path = directory.resolve(SCHEMA);
    return Files.exists(path) ? Optional.of(readBytes(path)) : Optional.empty();
  }

  private static byte[] readBytes(Path path) throws PolicyException {
    try {
      return Files.readAllBytes(path);
    } catch (IOException e) {
      throw new PolicyException("policy bundle: cannot read " + path + ": " + e.getMessage(), e);
    }
  }
}
