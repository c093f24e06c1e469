package dev.cmcp.gateway.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * A YAML file read as a Jackson tree, plus the line on which each key and list item was written,
 * so that errors can point at the line to fix.
 *
 * @param fileName the file as the user named it, for messages
 * @param root the document's value
 * @param lines line number by path ({@code attestation.provider}, {@code allowed_origins[1]}; the
 *     document itself is {@code ""})
 */
record YamlDocument(String fileName, JsonNode root, Map<String, Integer> lines) {

  private static final YAMLFactory YAML = new YAMLFactory();

  static YamlDocument read(Path file) throws ConfigException {
    String fileName = file.toString();
    String text;
    try {
      text = Files.readString(file);
    } catch (NoSuchFileException e) {
      throw new ConfigException(fileName + ": file not found");
    } catch (CharacterCodingException e) {
      throw new ConfigException(fileName + ": not UTF-8 text; save the file as UTF-8");
    } catch (IOException e) {
      throw new ConfigException(fileName + ": cannot read the file (" + e.getMessage() + ")");
    }
    // Two passes over a small file: Jackson's trees carry no locations, so the first pass over the
    // token stream records lines (and catches duplicate keys), the second builds the tree.
    Map<String, Integer> lines = recordLines(fileName, text);
    JsonNode root;
    try {
      root = new ObjectMapper(YAML).readTree(text);
    } catch (JsonProcessingException e) {
      throw syntaxError(fileName, e);
    }
    if (root == null || root.isMissingNode() || root.isNull()) {
      throw new ConfigException(fileName + ": the file is empty; write at least one setting, such as attestation.provider");
    }
    return new YamlDocument(fileName, root, lines);
  }

  /** The line of {@code path}, or of the document's start when the path was not written. */
  int lineOf(String path) {
    return lines.getOrDefault(path, lines.getOrDefault("", 1));
  }

  /** An error about the value at {@code path}: {@code file:line: path: message}. */
  ConfigException error(String path, String message) {
    String where = path.isEmpty() ? "" : path + ": ";
    return new ConfigException(fileName + ":" + lineOf(path) + ": " + where + message);
  }

  private static Map<String, Integer> recordLines(String fileName, String text) throws ConfigException {
    Map<String, Integer> lines = new HashMap<>();
    try (JsonParser parser = YAML.createParser(text)) {
      boolean documentRead = false;
      for (JsonToken token = parser.nextToken(); token != null; token = parser.nextToken()) {
        JsonStreamContext context = parser.getParsingContext();
        int line = parser.currentTokenLocation().getLineNr();
        if (documentRead) {
          throw new ConfigException(fileName + ":" + line + ": a second YAML document starts here; the config is one document");
        }
        documentRead = context.inRoot();
        if (token == JsonToken.FIELD_NAME) {
          Integer first = lines.putIfAbsent(path(context), line);
          if (first != null) {
            throw new ConfigException(fileName + ":" + line + ": " + path(context) + ": written twice (first on line " + first + "); keep one");
          }
        } else if (token.isScalarValue() || token.isStructStart()) {
          // A value's container: for a map or list that starts here, the one around it.
          JsonStreamContext container = token.isStructStart() ? context.getParent() : context;
          if (container.inArray() || container.inRoot()) {
            lines.putIfAbsent(path(context), line);
          }
        }
      }
    } catch (JsonProcessingException e) {
      throw syntaxError(fileName, e);
    } catch (IOException e) {
      throw new ConfigException(fileName + ": cannot read the file (" + e.getMessage() + ")");
    }
    return lines;
  }

  /** The dotted path of the parser's position: {@code attestation.provider}, {@code allowed_origins[1]}. */
  private static String path(JsonStreamContext context) {
    if (context == null || context.inRoot()) {
      return "";
    }
    String parent = path(context.getParent());
    if (context.inArray()) {
      return context.getCurrentIndex() < 0 ? parent : parent + "[" + context.getCurrentIndex() + "]";
    }
    String name = context.getCurrentName();
    if (name == null) {
      return parent;
    }
    return parent.isEmpty() ? name : parent + "." + name;
  }

  private static ConfigException syntaxError(String fileName, JsonProcessingException e) {
    // SnakeYAML's own message spans several lines with a source excerpt; its one-line problem
    // and mark read better after file:line.
    if (e.getCause() instanceof MarkedYAMLException yaml && yaml.getProblemMark() != null) {
      return new ConfigException(fileName + ":" + (yaml.getProblemMark().getLine() + 1) + ": not valid YAML: " + yaml.getProblem());
    }
    int line = e.getLocation() == null ? 1 : e.getLocation().getLineNr();
    return new ConfigException(fileName + ":" + line + ": not valid YAML: " + e.getOriginalMessage());
  }
}
