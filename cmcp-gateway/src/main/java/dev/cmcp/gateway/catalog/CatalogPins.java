package dev.cmcp.gateway.catalog;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.verify.base.StrictJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Writes {@code definition_hash} pins into catalog.json, leaving everything else as it was: the
 * other members and their order (a new pin goes last in its tool entry). The layout becomes
 * two-space indented JSON. The file is replaced atomically, and only by a catalog that loads.
 */
public final class CatalogPins {

  /**
   * What pinning did to one tool.
   *
   * @param before the pin the entry had, if any
   * @param after the pin it has now
   */
  public record Change(String toolName, Optional<String> before, String after) {
    public boolean changed() {
      return !before.equals(Optional.of(after));
    }
  }

  private CatalogPins() {}

  /**
   * Sets each listed tool's {@code definition_hash}.
   *
   * @param hashes the new pins, by exposed tool name; tools not named keep what they have
   * @param environment for checking the result as the gateway would load it ({@code ${NAME}})
   * @return one change per tool named, in catalog order
   * @throws CatalogException when the file cannot be read, parsed or written; it is then untouched
   */
  public static List<Change> write(Path catalogFile, Map<String, String> hashes, Map<String, String> environment)
      throws CatalogException {
    String name = catalogFile.toString();
    ObjectNode root;
    try {
      JsonNode parsed = new StrictJson().parse(Files.readAllBytes(catalogFile));
      if (!(parsed instanceof ObjectNode object) || !object.path("tools").isArray()) {
        throw new CatalogException(name + ": not a catalog with a \"tools\" list");
      }
      root = object;
    } catch (IOException e) {
      throw new CatalogException(name + ": cannot read the file (" + e.getMessage() + ")");
    } catch (StrictJson.MalformedJsonException e) {
      throw new CatalogException(name + ": not valid JSON: " + e.getMessage());
    }
    List<Change> changes = new ArrayList<>();
    for (JsonNode entry : root.path("tools")) {
      String tool = entry.path("tool_name").asText();
      String hash = hashes.get(tool);
      if (hash == null || !(entry instanceof ObjectNode object)) {
        continue;
      }
      Optional<String> before = Optional.ofNullable(object.get("definition_hash")).map(JsonNode::asText);
      object.put("definition_hash", hash);
      changes.add(new Change(tool, before, hash));
    }
    replace(catalogFile, root, environment);
    return List.copyOf(changes);
  }

  private static void replace(Path catalogFile, ObjectNode root, Map<String, String> environment) throws CatalogException {
    Path folder = catalogFile.toAbsolutePath().getParent();
    Path temporary = folder.resolve("." + catalogFile.getFileName() + "." + UUID.randomUUID() + ".tmp");
    try {
      Files.writeString(temporary, layout(root) + "\n", StandardCharsets.UTF_8);
      // Loaded from its final folder's point of view: relative paths in it resolve the same.
      CatalogLoader.load(temporary, environment);
      Files.move(temporary, catalogFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new CatalogException(catalogFile + ": cannot write the pinned catalog (" + e.getMessage() + ")");
    } finally {
      try {
        Files.deleteIfExists(temporary);
      } catch (IOException e) {
        System.getLogger("cmcp.catalog").log(System.Logger.Level.WARNING, "cannot remove " + temporary + ": " + e.getMessage());
      }
    }
  }

  private static String layout(ObjectNode root) throws JsonProcessingException {
    DefaultPrettyPrinter printer = new DefaultPrettyPrinter(
        Separators.createDefaultInstance().withObjectFieldValueSpacing(Separators.Spacing.AFTER))
        .withArrayIndenter(DefaultIndenter.SYSTEM_LINEFEED_INSTANCE.withLinefeed("\n"))
        .withObjectIndenter(DefaultIndenter.SYSTEM_LINEFEED_INSTANCE.withLinefeed("\n"));
    return new StrictJson().mapper().writer(printer).writeValueAsString(root);
  }
}
